"""Reading alerts: the list (open first, filters, "mine"), one alert."""

from __future__ import annotations

from sqlalchemy import func, select

from nongso.alerts.models import Alert, AlertCommune, AlertCrop
from nongso.alerts.schemas import AlertPublic, CropAtRiskPublic
from nongso.alerts.services._common import _load, _public, _publics
from nongso.core.pagination import Page, PageRequest
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor


def _mine(uow: UnitOfWork) -> tuple[set[str] | None, set[str] | None]:
    """The communes and crops that concern the caller (None: no restriction)."""
    p = uow.principal
    if p.role in ("admin", "province_officer", "inspector"):
        return None, None
    if p.role == "commune_officer":
        return {p.unit_code} if p.unit_code else set(), None
    if p.role == "farmer" and p.farmer_id is not None:
        fields = monitor.fields_of(uow, farmer_id=p.farmer_id)
        communes = {f.commune_code for f in fields} | ({p.unit_code} if p.unit_code else set())
        return communes, {f.crop for f in fields if f.crop}
    if p.role == "coop_manager" and p.organisation_id is not None:
        fields = monitor.fields_of(uow, organisation_id=p.organisation_id)
        communes = {f.commune_code for f in fields} | ({p.unit_code} if p.unit_code else set())
        return communes, {f.crop for f in fields if f.crop} or None
    return None, None


def list_alerts(uow: UnitOfWork, page: PageRequest, *, status: str | None = None,
                commune_code: str | None = None, crop: str | None = None,
                rule: str | None = None, mine: bool = False,
                thing_id: int | None = None,
                severity: str | None = None) -> Page[AlertPublic]:
    """Alerts, open ones first then newest (public: warnings are public information)."""
    with uow:
        stmt = select(Alert)
        if status == "open":
            stmt = stmt.where(Alert.status != "cleared")
        elif status:
            stmt = stmt.where(Alert.status == status)
        if rule:
            stmt = stmt.where(Alert.rule_id.startswith(rule, autoescape=True))
        if thing_id is not None:
            stmt = stmt.where(Alert.thing_id == thing_id)
        if severity:
            stmt = stmt.where(Alert.severity == severity)
        communes: set[str] | None = {commune_code} if commune_code else None
        crops: set[str] | None = {crop} if crop else None
        if mine:
            my_communes, my_crops = _mine(uow)
            communes = my_communes if communes is None else (
                communes & my_communes if my_communes is not None else communes)
            crops = my_crops if crops is None else crops
        if communes is not None:
            stmt = stmt.where(Alert.id.in_(select(AlertCommune.alert_id).where(
                AlertCommune.commune_code.in_(sorted(communes)))))
        if crops is not None:
            with_crops = select(AlertCrop.alert_id)
            stmt = stmt.where(Alert.id.in_(select(AlertCrop.alert_id).where(
                AlertCrop.crop.in_(sorted(crops)))) | Alert.id.not_in(with_crops))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        order = (Alert.status == "cleared").asc()
        rows = list(uow.session.scalars(stmt.order_by(order, Alert.updated_at.desc(),
                                                      Alert.id.desc())
                                        .limit(page.limit).offset(page.offset)))
        return Page(items=_publics(uow, rows), total=total, limit=page.limit,
                    offset=page.offset)


def get_alert(uow: UnitOfWork, alert_id: int) -> AlertPublic:
    with uow:
        return _public(uow, _load(uow, alert_id))


def crops_at_risk(uow: UnitOfWork, alert_id: int) -> list[CropAtRiskPublic]:
    """The crops of a station's salinity alert, each with its communes and advice (what the
    rule saw at its last evaluation); empty for other alerts."""
    with uow:
        state = _load(uow, alert_id).state or {}
        rows = state.get("crops") if isinstance(state, dict) else None
        if not isinstance(rows, list):
            return []
        return [CropAtRiskPublic.model_validate(r) for r in rows if isinstance(r, dict)]
