"""Alerts that do not shout: a cleared alert stays cleared a while, one message per alert and
recipient per interval, webhooks only to public addresses unless allowed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from nongso.accounts import services as accounts
from nongso.alerts import channels, engine, services
from nongso.alerts.models import Alert, Delivery
from nongso.alerts.rules import RuleResult
from nongso.alerts.schemas import SubscriptionCreate
from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services as monitor
from nongso.monitor.ingest import SeriesIn
from tests.alerts.conftest import NOW, add_fields
from tests.helpers import Actors, assert_problem
from tests.monitor.conftest import make_station


def _salinity(platform: Platform, ds: int, value: float, minutes_ago: int) -> None:
    at = clock.now() - dt.timedelta(minutes=minutes_ago)
    monitor.ingest(platform.uow(SYSTEM), [SeriesIn(ds, [at], [value])])


def _subscribe(actors: Actors) -> None:
    officer = accounts.authenticate(actors.platform.uow(), bearer=actors.token("commune_a"))
    services.create_subscription(actors.platform.uow(officer), SubscriptionCreate(
        channel="inapp", commune_code=actors.commune_a))


def _alerts(platform: Platform) -> list[tuple[str, str]]:
    with platform.uow() as uow:
        return [(a.status, a.severity) for a in uow.session.scalars(
            select(Alert).order_by(Alert.id))]


def _events(platform: Platform) -> list[str]:
    with platform.uow() as uow:
        return [d.event for d in uow.session.scalars(select(Delivery).order_by(Delivery.id))]


def test_a_flickering_condition_raises_once_per_hold(platform: Platform, actors: Actors,
                                                     now: clock.FixedClock) -> None:
    st = make_station(platform, "Vàm Kênh", lon=106.70, lat=10.27)
    add_fields(platform, 106.70, 10.27, {"durian": actors.commune_a})
    _subscribe(actors)
    _salinity(platform, st.salinity, 0.8, 30)
    assert _alerts(platform) == [("raised", "moderate")]
    _salinity(platform, st.salinity, 0.2, 20)
    assert _alerts(platform) == [("cleared", "moderate")]
    told = _events(platform)
    assert told.count("raised-1") >= 1 and told.count("cleared-2") == told.count("raised-1")
    # Salty again a minute later: the alert stays cleared (no new alert, no new message).
    now.advance(dt.timedelta(minutes=1))
    _salinity(platform, st.salinity, 0.8, 5)
    assert _alerts(platform) == [("cleared", "moderate")]
    assert _events(platform) == told
    # Worse than what cleared goes through at once.
    _salinity(platform, st.salinity, 2.4, 4)
    assert _alerts(platform) == [("cleared", "moderate"), ("raised", "extreme")]
    assert len(_events(platform)) > len(told)
    # Better within the interval: the alert follows, the recipients are not told again.
    told = _events(platform)
    now.advance(dt.timedelta(minutes=2))
    _salinity(platform, st.salinity, 1.2, 1)  # 2.4 times durian's safe 0.5 ‰
    assert _alerts(platform)[-1] == ("raised", "severe")
    assert _events(platform) == told
    # Once the interval has passed, a change (better still) is told again.
    now.advance(dt.timedelta(minutes=11))
    _salinity(platform, st.salinity, 0.8, 1)
    assert _alerts(platform)[-1] == ("raised", "moderate")
    assert len(_events(platform)) > len(told)


def test_the_hold_ends_after_the_minimum_time(platform: Platform, actors: Actors,
                                              now: clock.FixedClock) -> None:
    st = make_station(platform, "Bình Thạnh", lon=106.60, lat=10.20)
    add_fields(platform, 106.60, 10.20, {"durian": actors.commune_a})
    _subscribe(actors)
    _salinity(platform, st.salinity, 0.8, 30)
    _salinity(platform, st.salinity, 0.2, 20)
    now.advance(dt.timedelta(minutes=9))
    _salinity(platform, st.salinity, 0.8, 5)
    assert [s for s, _ in _alerts(platform)] == ["cleared"]
    now.advance(dt.timedelta(minutes=2))  # 11 minutes after it cleared
    _salinity(platform, st.salinity, 0.8, 1)
    assert [s for s, _ in _alerts(platform)] == ["cleared", "raised"]
    assert _events(platform).count("raised-1") == 2 * _events(platform).count("cleared-2")


def test_reconcile_holds_recently_cleared_keys() -> None:
    def finding(severity: str) -> engine.Finding:
        return engine.Finding("s|1", RuleResult(
            rule_id="s", severity=severity, subject="x", headline_vi="", headline_en="",
            description_vi="", description_en="", values=(), source_vi="", source_en=""),
            ("82001",))

    assert engine.reconcile([], [finding("moderate")], "s|", {"s|1": "moderate"}) == []
    (worse,) = engine.reconcile([], [finding("severe")], "s|", {"s|1": "moderate"})
    assert worse.kind == "raise" and worse.worse
    (plain,) = engine.reconcile([], [finding("moderate")], "s|", {})
    assert plain.kind == "raise" and not plain.worse


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/x",
    "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x",
    "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://172.16.5.4/x",
])
def test_webhooks_to_internal_addresses_are_refused(url: str) -> None:
    assert channels.webhook_refusal(url) is not None
    assert channels.webhook_refusal(url, allow_private=True) is None


def test_webhook_names_are_resolved_before_they_are_trusted() -> None:
    def resolve(host: str) -> list[str]:
        return {"hook.example.vn": ["93.184.216.34"], "inside.example.vn": ["10.0.0.7"]}[host]

    assert channels.webhook_refusal("https://hook.example.vn/x", resolve=resolve) is None
    assert channels.webhook_refusal("https://inside.example.vn/x", resolve=resolve)
    # Sending checks again (the name may point elsewhere by then): refused for good.
    n = channels.Notification(alert_id=1, event="raised-1", language="vi",
                              address="http://127.0.0.1:9/hook", subject="", text="",
                              short="", payload={})
    with pytest.raises(channels.DeliveryError) as refused:
        channels.WebhookChannel(1.0).send(n)
    assert refused.value.permanent


def test_subscription_to_an_internal_webhook_is_refused(actors: Actors) -> None:
    h = actors.headers("farmer_a")
    r = actors.client.post("/api/v1/alerts/subscriptions", headers=h,
                           json={"channel": "webhook", "address": "http://127.0.0.1:9/x"})
    body = assert_problem(r, 422)
    assert "địa chỉ nội bộ" in body["detail"]
    r = actors.client.post("/api/v1/alerts/subscriptions", headers=h,
                           json={"channel": "webhook", "address": "https://93.184.216.34/x"})
    assert r.status_code == 201, r.text
    assert NOW  # the alerts' fixed clock is not needed here
