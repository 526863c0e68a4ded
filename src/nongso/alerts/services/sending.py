"""Sending: the pending notifications that are due, outside any database transaction (claim,
send, record the outcome with retries and back-off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from nongso.alerts import cap, channels
from nongso.alerts.models import Alert, Delivery, Subscription
from nongso.alerts.schemas import AlertPublic
from nongso.alerts.services._common import _cap_context, _fernet, _public, log
from nongso.core import clock
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork


def _decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a webhook secret cannot be decrypted (was the secret key changed?)")
        return None


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    failed: int
    retried: int


def dispatch(uow: UnitOfWork, registry: Mapping[str, channels.Channel] | None = None,
             limit: int = 200) -> DispatchReport:
    """Send the pending notifications that are due, outside any database transaction:
    claim them, send, record the outcome (with retries and back-off)."""
    require_role(uow.principal, "admin")
    registry = registry or channels.registry()
    now = clock.now()
    with uow:
        s = uow.session
        rows = list(s.scalars(select(Delivery).where(
            Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.id).limit(limit)))
        if not rows:
            return DispatchReport(0, 0, 0)
        ctx = _cap_context(uow)
        alerts = {a.id: a for a in s.scalars(select(Alert).where(
            Alert.id.in_({d.alert_id for d in rows})))}
        publics = {i: _public(uow, a) for i, a in alerts.items()}
        secrets_by_sub = {x.id: _decrypt(x.secret) for x in s.scalars(select(Subscription).where(
            Subscription.id.in_({d.subscription_id for d in rows if d.subscription_id})))}
        jobs = []
        for d in rows:
            a = publics[d.alert_id]
            jobs.append((d.id, d.channel, _notification(a, d, ctx, secrets_by_sub.get(
                d.subscription_id or 0))))
            d.status = "sending"
        uow.commit()
    outcomes: list[tuple[int, str | None, bool]] = []
    for delivery_id, channel_name, note in jobs:
        channel = registry.get(channel_name)
        try:
            if channel is None:
                raise channels.DeliveryError(f"no channel {channel_name!r}", permanent=True)
            channel.send(note)
            outcomes.append((delivery_id, None, False))
        except channels.DeliveryError as exc:
            outcomes.append((delivery_id, str(exc), exc.permanent))
        except Exception as exc:  # a channel bug must not stop the others
            log.exception("channel %s failed", channel_name)
            outcomes.append((delivery_id, f"{exc.__class__.__name__}: {exc}", False))
    sent = failed = retried = 0
    max_attempts = channels.alert_settings().max_attempts
    with uow:
        s = uow.session
        for delivery_id, error, permanent in outcomes:
            found = s.get(Delivery, delivery_id)
            if found is None:
                continue
            d = found
            d.attempts += 1
            if error is None:
                d.status, d.sent_at, d.last_error = "sent", clock.now(), None
                sent += 1
            elif permanent or d.attempts >= max_attempts:
                d.status, d.last_error = "failed", error[:2000]
                failed += 1
                log.warning("alert %s: %s delivery to %s failed: %s", d.alert_id, d.channel,
                            d.recipient, error)
            else:
                d.status, d.last_error = "pending", error[:2000]
                d.next_attempt_at = clock.now() + dt.timedelta(seconds=30 * 2 ** d.attempts)
                retried += 1
        uow.commit()
    return DispatchReport(sent, failed, retried)


_EVENT_WORDS = {
    "raised": ("CẢNH BÁO", "ALERT"), "updated": ("CẬP NHẬT", "UPDATE"),
    "cleared": ("HẾT CẢNH BÁO", "ALL CLEAR"), "escalated": ("CHƯA XỬ LÝ", "NOT ACKNOWLEDGED"),
}


def _notification(a: AlertPublic, d: Delivery, ctx: cap.CapContext,
                  secret: str | None) -> channels.Notification:
    vi = d.language != "en"
    kind = d.event.split("-")[0]
    word = _EVENT_WORDS.get(kind, (kind, kind))[0 if vi else 1]
    headline = a.headline_vi if vi else a.headline_en
    description = a.description_vi if vi else a.description_en
    link = f"{ctx.web_base}/alerts/{a.id}"
    text_body = (f"{word}: {headline}\n\n{description}\n\n"
                 f"{'Xem' if vi else 'See'}: {link}\nCAP: {ctx.web_base}/api/v1/alerts/{a.id}"
                 "/cap.xml\n")
    short = f"[Nong So] {word}: {headline}"[:300] + f" {link}"
    return channels.Notification(
        alert_id=a.id, event=d.event, language=d.language, address=d.address,
        subject=f"[Nông Số] {word}: {headline}"[:200], text=text_body, short=short[:320],
        payload={"event": d.event, **cap.to_json(a, ctx)}, secret=secret,
    )
