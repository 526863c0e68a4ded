"""Alerts: raised conditions with their lifecycle, the places and crops they concern,
subscriptions and the notifications sent (an outbox, written in the same transaction).

An ongoing condition has one alert: ``key`` names it (rule, station, subject) and a partial
unique index allows only one alert per key that is not cleared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

STATUSES = ("raised", "acknowledged", "cleared")
CHANNELS = ("inapp", "webhook", "email", "sms")


class Alert(Audited, Base):
    __tablename__ = "alerts"
    __audit_exclude__ = frozenset({"values", "state", "updated_at", "evaluated_at"})
    __table_args__ = (
        Index("uq_alerts_open_key", "key", unique=True,
              sqlite_where=text("status != 'cleared'"),
              postgresql_where=text("status != 'cleared'")),
        Index("ix_alerts_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80), index=True)
    key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(15), default="raised")
    severity: Mapped[str] = mapped_column(String(10))
    # Rule state: the flood alarm level (0-3) and what the rule saw last.
    level: Mapped[int] = mapped_column(default=0)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(100))
    headline_vi: Mapped[str] = mapped_column(String(300))
    headline_en: Mapped[str] = mapped_column(String(300))
    description_vi: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    # The rule's source: ``source`` in Vietnamese, ``source_en`` in English (None on alerts
    # raised before it existed: the pages then show ``source``).
    source: Mapped[str] = mapped_column(Text)
    source_en: Mapped[str | None] = mapped_column(Text)
    values: Mapped[list[Any] | None] = mapped_column(JSON)
    # The station (SensorThings Thing and Datastream) that raised it; no row is lost if the
    # station is deleted.
    thing_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_things.id", ondelete="SET NULL"), index=True)
    datastream_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_datastreams.id", ondelete="SET NULL"), index=True)
    station_name: Mapped[str] = mapped_column(String(200), default="")
    province_code: Mapped[str | None] = mapped_column(String(10), index=True)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    radius_km: Mapped[float | None]
    onset: Mapped[dt.datetime | None]
    expires: Mapped[dt.datetime | None]
    is_exercise: Mapped[bool] = mapped_column(default=False)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    evaluated_at: Mapped[dt.datetime | None]
    # Each change sent out is a new CAP message: 1 = Alert, then Update, Cancel.
    sequence: Mapped[int] = mapped_column(default=1)
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    cleared_at: Mapped[dt.datetime | None]
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    clear_reason: Mapped[str | None] = mapped_column(String(20))
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None]


class AlertCommune(Base):
    __tablename__ = "alert_communes"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class AlertCrop(Base):
    __tablename__ = "alert_crops"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          primary_key=True)
    crop: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class Subscription(Audited, Base):
    """Who gets which alerts, how: a user's own subscription, or one for every user of a
    role (whose own scope decides which communes)."""

    __tablename__ = "alert_subscriptions"
    __audit_exclude__ = frozenset({"secret"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    role: Mapped[str | None] = mapped_column(String(30), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    # E-mail address, phone number or webhook URL (None: the user's own e-mail or phone).
    address: Mapped[str | None] = mapped_column(String(500))
    # Webhook signing secret, encrypted with the installation's secret key.
    secret: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    crop: Mapped[str | None] = mapped_column(String(50))
    rule_prefix: Mapped[str | None] = mapped_column(String(80))
    min_severity: Mapped[str] = mapped_column(String(10), default="minor")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One notification of one alert event to one recipient through one channel."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "event", "channel", "recipient",
                         name="uq_alert_deliveries_once"),
        Index("ix_alert_deliveries_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          index=True)
    # raised-1, updated-3, escalated-1, cleared-4 ... (event and the alert's sequence/level)
    event: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(60))  # "user:5" or "subscription:7"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_subscriptions.id", ondelete="SET NULL"))
    address: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
