"""Recall notices: a lot recalled or withdrawn is an alert told to the organisations
downstream (the buyers and shops of its forward trace), through the alert channels (the in-app
inbox of their users; sent by :func:`dispatch` like every alert)."""

from __future__ import annotations

from sqlalchemy import select

from nongso.accounts import services as accounts
from nongso.alerts.models import Alert, Delivery
from nongso.core import clock, events
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork

RECALL_RULE = "trace.lot_recall"
_WORDS = {"recalled": ("bị thu hồi", "recalled"),
          "withdrawn": ("bị rút khỏi lưu thông", "withdrawn")}


def notify_recall(uow: UnitOfWork, e: events.LotRecalled) -> int:
    """Raise the recall alert of the lot and queue one in-app notification per user of each
    receiving organisation (inside the caller's unit of work). Returns how many were queued."""
    s = uow.session
    now = clock.now()
    word_vi, word_en = _WORDS.get(e.status, (e.status, e.status))
    key = f"trace.recall:lot{e.lot_id}:{e.status}"
    alert = s.scalar(select(Alert).where(Alert.key == key, Alert.status != "cleared"))
    reason = e.reason or ""
    if alert is None:
        alert = Alert(
            rule_id=RECALL_RULE, key=key, status="raised", severity="severe", level=1,
            subject=e.lot_code[:100],
            headline_vi=f"Lô {e.lot_code} ({e.label}) {word_vi}"[:300],
            headline_en=f"Lot {e.lot_code} ({e.label}) {word_en}"[:300],
            description_vi=(f"Lô hàng anh/chị đã nhận (hoặc hàng làm từ lô này) {word_vi}. "
                            f"Lý do: {reason or 'không ghi'}. Ngừng bán và liên hệ nơi "
                            f"cung cấp. Chi tiết: {e.path}"),
            description_en=(f"A lot you received (or produce made from it) was {word_en}. "
                            f"Reason: {reason or 'not given'}. Stop selling it and contact "
                            f"the supplier. Details: {e.path}"),
            source="Nông Số — truy xuất nguồn gốc", source_en="Nông Số — traceability",
            station_name=f"Lô / lot {e.lot_code}"[:200],
            province_code=get_settings().province_code, raised_at=now, updated_at=now,
            evaluated_at=now, sequence=1)
        s.add(alert)
        s.flush()
    n = 0
    for user_id in accounts.user_ids_of_organisations(uow,
                                                      e.receiver_organisation_ids):
        recipient = f"user:{user_id}"
        if s.scalar(select(Delivery.id).where(
                Delivery.alert_id == alert.id, Delivery.event == "raised-1",
                Delivery.channel == "inapp", Delivery.recipient == recipient)):
            continue
        s.add(Delivery(alert_id=alert.id, event="raised-1", channel="inapp",
                       recipient=recipient, user_id=user_id, status="pending",
                       next_attempt_at=now, created_at=now))
        n += 1
    s.flush()
    return n
