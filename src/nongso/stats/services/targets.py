"""The province's digital-transformation targets, computed live, and the providers this
platform has today (traceability, monitoring, diary, the statistics themselves)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.monitor import services as monitor
from nongso.registry import services as registry
from nongso.stats import targets
from nongso.stats.models import DataValue, Target
from nongso.stats.schemas import GoalPublic, TargetPublic
from nongso.stats.services._common import AUTOMATIC, ensure_reference_data
from nongso.stats.services.refresh import organisation_communes
from nongso.trace import services as trace
from nongso.units import services as units

NOT_AVAILABLE = ("chưa có dữ liệu", "not yet available")


def province_targets(uow: UnitOfWork, province_code: str | None = None, lang: str = "vi"
                     ) -> list[TargetPublic]:
    """Every target with its value now, its goals (value and year) and whether each is met.
    Aggregates only: public."""
    province = province_code or get_settings().province_code
    today = clock.today_vn()
    system = uow.as_principal(SYSTEM)
    with uow:
        ensure_reference_data(uow.session)
        rows = [(t.code, t.name_vi, t.name_en, t.unit, t.provider, list(t.goals), t.source)
                for t in uow.session.scalars(select(Target).order_by(Target.sort, Target.id))]
    out = []
    for code, name_vi, name_en, unit, provider_name, goal_list, source in rows:
        provider = targets.target_provider(provider_name)
        measure = provider(system, province, today) if provider is not None else None
        value = measure.value if measure is not None else None
        note = (measure.note_vi if lang == "vi" else measure.note_en) if measure is not None \
            else NOT_AVAILABLE[0 if lang == "vi" else 1]
        goals = [GoalPublic(year=g.get("year"), min=g.get("min"), max=g.get("max"),
                            strict=bool(g.get("strict")),
                            met=targets.goal_met(value, g.get("min"), bool(g.get("strict"))))
                 for g in goal_list]
        out.append(TargetPublic(
            code=code, name=name_vi if lang == "vi" else name_en, unit=unit,
            available=measure is not None, value=value,
            numerator=measure.numerator if measure else None,
            denominator=measure.denominator if measure else None, as_of=today, goals=goals,
            note=note, source=source))
    return out


# --- the providers of the domains that exist -------------------------------------------------

CLUBS_AND_COOPS = ("cooperative", "farmer_club")


def trace_organisations(uow: UnitOfWork, province: str, today: dt.date) -> targets.Measure:
    """Co-operatives and farmer clubs (hội quán) with a traced lot this year or last."""
    orgs = organisation_communes(uow, province, CLUBS_AND_COOPS)
    tracing = {r.organisation_id for r in trace.lots_by_organisation(uow)
               if r.organisation_id in orgs and r.year >= today.year - 1}
    return targets.share(len(tracing), len(orgs),
                         f"{len(tracing)}/{len(orgs)} HTX và hội quán có lô truy xuất "
                         f"trong năm {today.year - 1}–{today.year}.",
                         f"{len(tracing)}/{len(orgs)} co-operatives and farmer clubs with a "
                         f"traced lot in {today.year - 1}–{today.year}.")


def monitor_iot(uow: UnitOfWork, province: str, today: dt.date) -> targets.Measure:
    """Communes (the "smart villages") with an IoT station that reported in the last 30
    days."""
    since = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), dt.UTC)
    communes = {s.commune_code for s in monitor.stations(uow)
                if s.commune_code and s.last_time is not None and s.last_time >= since}
    mine = {c.code for c in units.communes_of_province(uow, province)} & communes
    return targets.Measure(float(len(mine)), float(len(mine)), None,
                           f"{len(mine)} xã có trạm quan trắc IoT gửi số liệu trong 30 ngày.",
                           f"{len(mine)} communes with an IoT station that reported in the "
                           "last 30 days.")


def diary_active_farmers(uow: UnitOfWork, province: str, today: dt.date) -> targets.Measure:
    """Registered farming households that keep a diary in the latest season with diaries."""
    registered = registry.province_summary(uow, province).farmers
    with uow:
        s = uow.session
        latest = s.execute(
            select(DataValue.period, func.sum(DataValue.value))
            .where(DataValue.province_code == province,
                   DataValue.data_element == "diary_households",
                   DataValue.start_date <= today)
            .group_by(DataValue.period, DataValue.start_date)
            .order_by(DataValue.start_date.desc()).limit(1)).first()
    if latest is None:
        return targets.share(0, registered, "Chưa có hộ nào ghi nhật ký.",
                             "No household keeps a diary yet.")
    period, households = latest
    return targets.share(float(households or 0), registered,
                         f"{int(households or 0)}/{registered} hộ ghi nhật ký vụ {period}.",
                         f"{int(households or 0)}/{registered} households keep a diary in "
                         f"{period}.")


def stats_automatic(uow: UnitOfWork, province: str, today: dt.date) -> targets.Measure:
    """Figures of this year and last that came from the platform's records rather than from
    typing or importing."""
    with uow:
        rows = dict(uow.session.execute(
            select(DataValue.source, func.count())
            .where(DataValue.province_code == province, DataValue.year >= today.year - 1)
            .group_by(DataValue.source)).all())
    auto = sum(n for src, n in rows.items() if src in AUTOMATIC)
    total = sum(rows.values())
    return targets.share(auto, total, f"{auto}/{total} số liệu {today.year - 1}–{today.year} "
                         "lấy tự động.", f"{auto}/{total} figures of {today.year - 1}–"
                         f"{today.year} collected automatically.")


BUILTIN: dict[str, targets.Provider] = {
    "trace_organisations": trace_organisations,
    "monitor_iot": monitor_iot,
    "diary_active_farmers": diary_active_farmers,
    "stats_automatic": stats_automatic,
}
