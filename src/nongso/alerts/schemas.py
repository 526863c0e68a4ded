"""Pydantic models of alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["inapp", "webhook", "email", "sms"]
SeverityName = Literal["info", "minor", "moderate", "severe", "extreme"]
Status = Literal["raised", "acknowledged", "cleared"]


class TriggerValuePublic(BaseModel):
    at: str
    value: float
    quantity: str


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: str
    status: Status
    severity: SeverityName
    cap_severity: str
    level: int
    subject: str
    headline_vi: str
    headline_en: str
    description_vi: str
    description_en: str
    source: str
    # English source; None on alerts raised before it was kept (show ``source`` instead).
    source_en: str | None = None
    values: list[TriggerValuePublic]
    thing_id: int | None
    datastream_id: int | None
    station_name: str
    province_code: str | None
    communes: list[str]
    crops: list[str]
    lon: float | None
    lat: float | None
    radius_km: float | None
    onset: dt.datetime | None
    expires: dt.datetime | None
    is_exercise: bool
    raised_at: dt.datetime
    updated_at: dt.datetime
    sequence: int
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None
    cleared_at: dt.datetime | None
    clear_reason: str | None
    escalation_level: int


class CropAtRiskPublic(BaseModel):
    """One crop of a station's salinity alert."""

    crop: str
    name_vi: str
    name_en: str
    severity: SeverityName
    safe_per_mille: float
    ratio: float
    communes: list[str]
    advice_vi: str
    advice_en: str


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)


class SubscriptionCreate(BaseModel):
    """A subscription of the caller (or, for administrators and province officers, of every
    user of a role: each gets the alerts of the communes their own scope covers)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    address: str | None = Field(default=None, max_length=500)
    commune_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    crop: str | None = Field(default=None, max_length=50, pattern=r"^[a-z_]+$")
    rule_prefix: str | None = Field(default=None, max_length=80, pattern=r"^[a-z_.]+$")
    min_severity: SeverityName = "minor"
    language: Literal["vi", "en"] = "vi"
    role: Literal["province_officer", "commune_officer", "coop_manager", "farmer",
                  "inspector"] | None = None


class SubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    role: str | None
    channel: str
    address: str | None
    commune_code: str | None
    crop: str | None
    rule_prefix: str | None
    min_severity: str
    language: str
    is_active: bool
    created_at: dt.datetime


class SubscriptionCreated(SubscriptionPublic):
    """Returned once at creation: a webhook's signing secret is shown only here."""

    secret: str | None = None


class InboxItem(BaseModel):
    id: int
    alert_id: int
    event: str
    severity: SeverityName
    headline: str
    status: Status
    created_at: dt.datetime
    read_at: dt.datetime | None


class StationStatusPublic(BaseModel):
    """A station for the map: its data status and its worst open alert."""

    id: int
    name: str
    kind: str | None
    commune_code: str | None
    lon: float | None
    lat: float | None
    status: Literal["ok", "warning", "alarm", "silent", "no_data"]
    last_time: dt.datetime | None
    latest: list[dict[str, Any]]
    alerts: int
    worst_severity: SeverityName | None
    registry_feature_id: int | None = None  # the station's registry record (infrastructure)


class Threshold(BaseModel):
    """A line to draw on a station's chart."""

    value: float
    label_vi: str
    label_en: str
    kind: Literal["crop", "alarm", "trap", "range"]


class EvaluationReport(BaseModel):
    raised: int = 0
    updated: int = 0
    cleared: int = 0
    escalated: int = 0
    deliveries: int = 0


class ExternalFinding(BaseModel):
    """A condition another domain found (e.g. an abnormal market price), raised through
    :func:`nongso.alerts.services.reconcile_findings` like the alerts of the rules: one open
    alert per ``key``, updated when its severity changes, cleared when no longer found."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=300)
    rule_id: str = Field(min_length=1, max_length=80)
    severity: SeverityName
    subject: str = Field(min_length=1, max_length=100)
    headline_vi: str = Field(min_length=1, max_length=300)
    headline_en: str = Field(min_length=1, max_length=300)
    description_vi: str = Field(max_length=4000)
    description_en: str = Field(max_length=4000)
    source: str = Field(max_length=1000)
    # The source in English ("" when the finding has only one: ``source`` is shown).
    source_en: str = Field(default="", max_length=1000)
    # What it was found on (shown where the rules' alerts name their station).
    station_name: str = Field(default="", max_length=200)
    province_code: str | None = Field(default=None, pattern=r"^\d{2}$")
    communes: list[str] = Field(default_factory=list, max_length=500)
    crops: list[str] = Field(default_factory=list, max_length=20)
    # (ISO date or time, value, quantity) that triggered it.
    values: list[TriggerValuePublic] = Field(default_factory=list, max_length=100)
    level: int = Field(default=0, ge=0, le=10)


# The pure vocabulary the pages use (the import contracts in pyproject.toml let them import
# only ``services`` and ``schemas``); importing it registers the pages' texts.
from nongso.alerts import messages  # noqa: E402, F401  (registers the texts)
from nongso.alerts.messages import CROPS as CROPS  # noqa: E402
from nongso.alerts.messages import crop_name as crop_name  # noqa: E402
