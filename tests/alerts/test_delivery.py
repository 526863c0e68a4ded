"""Delivery: in-app inbox, signed webhooks (a real HTTP server), e-mail (a real SMTP server,
aiosmtpd), SMS through the fake gateway; subscriptions by commune, crop and role; retries."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller

from nongso.alerts import channels, services
from nongso.alerts.channels import AlertSettings
from nongso.alerts.schemas import SubscriptionCreate
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from tests.alerts.conftest import NOW, add_fields
from tests.alerts.test_lifecycle import actors_principal
from tests.helpers import Actors, assert_problem
from tests.monitor.conftest import make_station


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, type[_Receiver]]]:
    # The receiver listens on loopback: the administrator's setting allows internal targets.
    monkeypatch.setenv("NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE", "true")
    channels.alert_settings.cache_clear()

    class Receiver(_Receiver):
        received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
        status = 200

    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()
    monkeypatch.delenv("NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE")
    channels.alert_settings.cache_clear()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    mailbox = _Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.fixture
def sms() -> Iterator[channels.FakeSmsGateway]:
    yield channels.FakeSmsGateway()


@pytest.fixture
def registry(smtp: tuple[int, _Mailbox], sms: channels.FakeSmsGateway
             ) -> Iterator[dict[str, channels.Channel]]:
    settings = AlertSettings(smtp_host="127.0.0.1", smtp_port=smtp[0],
                             mail_from="canh-bao@nongso.test")
    reg: dict[str, channels.Channel] = {
        "inapp": channels.InAppChannel(),
        "webhook": channels.WebhookChannel(5.0, allow_private=True),
        "email": channels.EmailChannel(settings), "sms": channels.SmsChannel(sms)}
    previous = channels.use(reg)
    yield reg
    channels.use(previous)


def _salinity_alert(platform: Platform, actors: Actors, value: float = 1.6) -> int:
    st = make_station(platform, "Vàm Kênh", lon=106.7, lat=10.27)
    add_fields(platform, 106.7, 10.27, {"durian": actors.commune_a, "rice": actors.commune_b})
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(st.salinity, [NOW - dt.timedelta(minutes=3)],
                                                   [value])])
    alerts = services.list_alerts(platform.uow(SYSTEM), __import__(
        "nongso.core.pagination", fromlist=["PageRequest"]).PageRequest(50, 0), status="open")
    return alerts.items[0].id


def test_signed_webhook_email_sms_and_inbox(platform: Platform, actors: Actors,
                                            now: clock.FixedClock, webhook: Any,
                                            smtp: tuple[int, _Mailbox],
                                            sms: channels.FakeSmsGateway, registry: Any) -> None:
    url, receiver = webhook
    commune_a = actors_principal(actors, "commune_a")
    hook = services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="webhook", address=url, commune_code=actors.commune_a))
    assert hook.secret and len(hook.secret) > 30
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="email", address="canbo.xa@example.org", crop="durian"))
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="sms", address="0900 000 123", min_severity="severe"))
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(channel="inapp"))
    # Not for this alert: another crop, another commune.
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="email", address="lua@example.org", crop="rice", commune_code=actors.commune_b))
    alert_id = _salinity_alert(platform, actors, 1.6)  # durian 3.2x: extreme; rice not at risk
    report = services.dispatch(platform.uow(SYSTEM))
    assert (report.sent, report.failed) == (4, 0)

    ((headers, body),) = receiver.received
    assert channels.verify(hook.secret, headers["X-Nongso-Timestamp"], body,
                           headers["X-Nongso-Signature"])
    assert not channels.verify("another-secret", headers["X-Nongso-Timestamp"], body,
                               headers["X-Nongso-Signature"])
    doc = json.loads(body)
    assert doc["event"] == "raised-1" and doc["alert"]["msgType"] == "Alert"
    assert doc["alert"]["info"][0]["severity"] == "Extreme"

    _port, mailbox = smtp
    ((sender, to, raw),) = mailbox.messages
    mail = message_from_bytes(raw)
    assert sender == "canh-bao@nongso.test" and to == ["canbo.xa@example.org"]
    headline = "CẢNH BÁO: Mặn 1,60 ‰ tại Vàm Kênh: nguy hại cho sầu riêng"
    assert str(make_header(decode_header(mail["Subject"]))) == f"[Nông Số] {headline}"
    text = mail.get_payload(decode=True).decode()
    assert text.splitlines()[0] == headline
    assert f"CAP: http://127.0.0.1:8000/api/v1/alerts/{alert_id}/cap.xml" in text.splitlines()

    ((phone, text),) = sms.sent
    assert phone == "0900 000 123" and len(text) <= 320 and "CẢNH BÁO" in text

    r = actors.client.get("/api/v1/alerts/inbox", headers=actors.headers("commune_a"))
    (item,) = r.json()["items"]
    assert item["event"] == "raised-1" and item["read_at"] is None
    r = actors.client.post(f"/api/v1/alerts/inbox/{item['id']}/read",
                           headers=actors.headers("commune_a"))
    assert r.status_code == 204
    assert actors.client.get("/api/v1/alerts/inbox",
                             headers=actors.headers("commune_a")).json()["items"][0]["read_at"]
    assert_problem(actors.client.post(f"/api/v1/alerts/inbox/{item['id']}/read",
                                      headers=actors.headers("commune_b")), 404)
    # Nothing is sent twice.
    assert services.dispatch(platform.uow(SYSTEM)).sent == 0


def test_role_subscriptions_reach_users_of_the_communes_concerned(
        platform: Platform, actors: Actors, now: clock.FixedClock, smtp: tuple[int, _Mailbox],
        registry: Any) -> None:
    from nongso.accounts import services as accounts
    from nongso.accounts.schemas import UserUpdate

    for name, mail in (("commune_a", "a@example.org"), ("commune_b", "b@example.org")):
        accounts.update_user(platform.uow(SYSTEM), actors.users[name], UserUpdate(email=mail))
    province = actors_principal(actors, "province")
    r = actors.client.post("/api/v1/alerts/subscriptions", headers=actors.headers("commune_a"),
                           json={"channel": "email", "role": "commune_officer"})
    assert_problem(r, 403)  # only province officers and administrators subscribe a role
    services.create_subscription(platform.uow(province), SubscriptionCreate(
        channel="email", role="commune_officer"))
    _salinity_alert(platform, actors, 1.6)  # durian (commune A) only
    services.dispatch(platform.uow(SYSTEM))
    _, mailbox = smtp
    assert [to for _, to, _ in mailbox.messages] == [["a@example.org"]]


def test_failed_deliveries_are_retried_then_given_up(platform: Platform, actors: Actors,
                                                     now: clock.FixedClock, webhook: Any,
                                                     registry: Any) -> None:
    url, receiver = webhook
    receiver.status = 503
    commune_a = actors_principal(actors, "commune_a")
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="webhook", address=url))
    _salinity_alert(platform, actors)
    first = services.dispatch(platform.uow(SYSTEM))
    assert (first.sent, first.retried) == (0, 1)
    assert services.dispatch(platform.uow(SYSTEM)).retried == 0  # not due yet
    receiver.status = 200
    now.advance(dt.timedelta(minutes=2))
    assert services.dispatch(platform.uow(SYSTEM)).sent == 1
    assert len(receiver.received) == 2
    # A client error (404) is permanent: no retry.
    receiver.status = 404
    services.create_subscription(platform.uow(commune_a), SubscriptionCreate(
        channel="webhook", address=url + "/gone"))
    st = make_station(platform, "Trạm 2", lon=106.8, lat=10.5)
    add_fields(platform, 106.8, 10.5, {"durian": actors.commune_a})
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(st.salinity, [NOW], [2.0])])
    report = services.dispatch(platform.uow(SYSTEM))
    assert report.failed == 2


def test_subscription_api_validates_and_is_private(actors: Actors, now: clock.FixedClock) -> None:
    c = actors.client
    h = actors.headers("farmer_a")
    bad = [
        {"channel": "email", "address": "not-an-address"},
        {"channel": "sms", "address": "abc"},
        {"channel": "webhook", "address": "ftp://x"},
        {"channel": "pigeon"},
        {"channel": "inapp", "commune_code": "99999"},
        {"channel": "inapp", "min_severity": "huge"},
        {"channel": "inapp", "unexpected": 1},
    ]
    for body in bad:
        r = c.post("/api/v1/alerts/subscriptions", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
    r = c.post("/api/v1/alerts/subscriptions", json={"channel": "inapp", "crop": "rice"},
               headers=h)
    assert r.status_code == 201 and r.json()["secret"] is None
    sub = r.json()["id"]
    assert c.get("/api/v1/alerts/subscriptions", headers=h).json()["total"] == 1
    assert c.get("/api/v1/alerts/subscriptions",
                 headers=actors.headers("commune_b")).json()["total"] == 0
    assert_problem(c.delete(f"/api/v1/alerts/subscriptions/{sub}",
                            headers=actors.headers("commune_b")), 404)
    assert c.delete(f"/api/v1/alerts/subscriptions/{sub}", headers=h).status_code == 204
    assert_problem(c.post("/api/v1/alerts/subscriptions", json={"channel": "inapp"}), 401)
