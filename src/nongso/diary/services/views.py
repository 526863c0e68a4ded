"""Read-only views for the pages: the farmer's phone page, a co-operative's season (yields
against the co-op and commune, inputs, flags) and the commune/province aggregates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select

from nongso.core import clock
from nongso.core.errors import not_found
from nongso.core.permissions import require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.diary import seasons as season_names
from nongso.diary.models import Activity, ActivityInput, Flag, Input, Plot, Purchase, Season
from nongso.diary.schemas import (
    AreaAggregate,
    AreaRow,
    CoopSummary,
    FarmerHome,
    InputTotal,
    PlausibilityPublic,
    PlotCard,
    SeasonRow,
    TaskPublic,
)
from nongso.diary.services._common import VN, _can_read, _invalid
from nongso.diary.services.activities import _activity_publics
from nongso.diary.services.compliance import _flag_publics, list_rules
from nongso.diary.services.inputs import _input_public, _input_visibility
from nongso.diary.services.plots import _plot_public
from nongso.diary.services.seasons import _season_publics
from nongso.registry import services as registry


def farmer_home(uow: UnitOfWork, lang: str = "vi") -> FarmerHome:
    """The farmer's phone page: my plots (with the current season and the safe-harvest date),
    today's tasks, activities the co-op proposed, my last activities, the inputs catalogue."""
    require_role(uow.principal, "farmer")
    p = uow.principal
    today = clock.today_vn()
    with uow:
        s = uow.session
        plots = s.scalars(select(Plot).where(Plot.farmer_id == p.farmer_id)
                          .order_by(Plot.code)).all()
        seasons = s.scalars(select(Season).where(Season.farmer_id == p.farmer_id)
                            .order_by(Season.sowing_date, Season.id)).all()
        # The open season of each plot, else its last one.
        current: dict[int, Season] = {}
        for x in seasons:
            if x.status == "open" or current.get(x.plot_id, x).status != "open":
                current[x.plot_id] = x
        publics = {x.id: x for x in _season_publics(s, list(current.values()), lang)}
        cards = []
        for plot in plots:
            season = current.get(plot.id)
            safe = season.safe_harvest_date if season else None
            cards.append(PlotCard(plot=_plot_public(plot),
                                  season=publics.get(season.id) if season else None,
                                  safe_harvest_date=safe,
                                  safe_to_harvest_today=safe is None or safe <= today))
        horizon = dt.datetime.combine(today + dt.timedelta(days=4), dt.time(), VN)
        planned = s.scalars(select(Activity).where(
            Activity.farmer_id == p.farmer_id, Activity.status == "planned",
            Activity.at < horizon).order_by(Activity.at).limit(30)).all()
        plot_names = {x.id: x.name for x in plots}
        tasks = [TaskPublic(
            activity_id=a.id, client_uuid=a.client_uuid, version=a.version,
            season_id=a.season_id, plot_id=a.plot_id,
            plot_name=plot_names.get(a.plot_id) if a.plot_id else None, kind=a.kind,
            kind_label=rules.ACTIVITY_KINDS[a.kind][0 if lang == "vi" else 1], status=a.status,
            due=rules.local_date(a.at), title=a.notes, overdue=rules.local_date(a.at) < today,
        ) for a in planned]
        proposed = s.scalars(select(Activity).where(
            Activity.farmer_id == p.farmer_id, Activity.status == "proposed")
            .order_by(Activity.at.desc()).limit(30)).all()
        recent = s.scalars(select(Activity).where(
            Activity.farmer_id == p.farmer_id, Activity.status == "done")
            .order_by(Activity.at.desc(), Activity.id.desc()).limit(10)).all()
        acts = _activity_publics(uow, [*proposed, *recent], lang)
        inputs = s.scalars(select(Input).where(_input_visibility(uow))
                           .order_by(Input.kind, Input.name).limit(300)).all()
        return FarmerHome(today=today, plots=cards, tasks=tasks, proposed=acts[:len(proposed)],
                          recent=acts[len(proposed):], inputs=[_input_public(i) for i in inputs],
                          rules=list_rules(lang), plausibility=[
                              PlausibilityPublic(**vars(b)) for b in rules.plausibility().values()])


def _yield(kg: float | None, area: float | None) -> float | None:
    return round(kg / 1000 / area, 3) if kg and area else None


def coop_summary(uow: UnitOfWork, organisation_id: int, season_key: str,
                 lang: str = "vi") -> CoopSummary:
    """A co-operative's season: members, plots, yields per ha against the co-op and commune
    averages, inputs used, compliance flags."""
    require_login(uow.principal)
    p = uow.principal
    with uow:
        s = uow.session
        org = registry.organisation_ref(uow, organisation_id)
        if org is None or not _can_read(p, Plot(organisation_id=org.id, farmer_id=None,
                                                commune_code=org.commune_code,
                                                province_code=org.province_code)):
            raise not_found("hợp tác xã", "co-operative", organisation_id)
        try:
            label = _season_key_label(season_key, lang)
        except season_names.SeasonError as exc:
            raise _invalid("season", exc.message_vi, exc.message_en) from exc
        seasons = s.scalars(select(Season).where(Season.organisation_id == org.id,
                                                 Season.season_key == season_key)
                            .order_by(Season.plot_id)).all()
        ids = [x.id for x in seasons]
        plots = {x.id: x for x in s.scalars(select(Plot).where(
            Plot.id.in_({x.plot_id for x in seasons}))).all()} if seasons else {}
        names = registry.farmer_names(uow, (x.farmer_id for x in seasons))
        members = registry.count_members(uow, org.id)
        area = sum(x.area_ha for x in seasons)
        # Output and yields as the statistics count them: rice as dry paddy at 14 %.
        harvested = [x for x in seasons if x.harvest_kg]
        kg = sum(x.harvest_dry_kg for x in harvested)
        commune = s.execute(select(func.sum(Season.harvest_dry_kg), func.sum(Season.area_ha))
                            .where(Season.commune_code == org.commune_code,
                                   Season.season_key == season_key,
                                   Season.harvest_kg > 0)).one()
        rows = [SeasonRow(
            season_id=x.id, plot_id=x.plot_id, plot_code=plots[x.plot_id].code,
            farmer_id=x.farmer_id,
            farmer_name=names.get(x.farmer_id) if x.farmer_id is not None else None,
            area_ha=x.area_ha, variety=x.variety, sowing_date=x.sowing_date,
            harvest_kg=round(x.harvest_kg, 3), harvest_dry_kg=round(x.harvest_dry_kg, 3),
            yield_t_ha=_yield(x.harvest_dry_kg, x.area_ha),
            flags_count=x.flags_count, activities_count=x.activities_count,
            safe_harvest_date=x.safe_harvest_date, status=x.status) for x in seasons]
        inputs = _input_totals(uow, seasons)
        flags = s.scalars(select(Flag).where(Flag.season_id.in_(ids))
                          .order_by(Flag.id)).all() if ids else []
        return CoopSummary(
            organisation_id=org.id, organisation_name=org.name, season_key=season_key,
            season_name=label, members=members, plots=len({x.plot_id for x in seasons}),
            seasons=len(seasons), area_ha=round(area, 4), harvest_t=round(kg / 1000, 3),
            harvest_fresh_t=round(sum(x.harvest_kg for x in harvested) / 1000, 3),
            yield_t_ha=_yield(kg, sum(x.area_ha for x in harvested)),
            commune_yield_t_ha=_yield(commune[0], commune[1]),
            activities=sum(x.activities_count for x in seasons),
            sprays=sum(x.sprays_count for x in seasons),
            flags=sum(x.flags_count for x in seasons),
            n_kg_per_ha=round(sum(x.n_kg for x in seasons) / area, 2) if area else None,
            rows=rows, inputs=inputs, flag_list=_flag_publics(s, flags, lang),
        )


def _season_key_label(season_key: str, lang: str) -> str:
    kind, _, years = season_key.partition(":")
    if kind not in season_names.SEASON_KINDS or not years:
        raise season_names.SeasonError(f"Mã vụ «{season_key}» không hợp lệ.",
                                       f"Invalid season key '{season_key}'.")
    first, _, last = years.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        raise season_names.SeasonError(f"Mã vụ «{season_key}» không hợp lệ.",
                                       f"Invalid season key '{season_key}'.")
    return season_names.season_label(kind, int(first), int(last or first), lang)


def _input_totals(uow: UnitOfWork, seasons: Sequence[Season]) -> list[InputTotal]:
    """Inputs used in these seasons: totals, plots, treated area, per ha, dealers (one
    GROUP BY by input, season and dealer)."""
    if not seasons:
        return []
    s = uow.session
    area = {x.id: x.area_ha for x in seasons}
    plot_of = {x.id: x.plot_id for x in seasons}
    rows: list[Any] = []
    ids = list(area)
    for start in range(0, len(ids), 500):
        rows += s.execute(
            select(ActivityInput.input_id, Activity.season_id, ActivityInput.base_unit,
                   func.sum(ActivityInput.quantity_base), Purchase.dealer_organisation_id)
            .join(Activity, Activity.id == ActivityInput.activity_id)
            .outerjoin(Purchase, Purchase.id == ActivityInput.purchase_id)
            .where(Activity.season_id.in_(ids[start:start + 500]),
                   Activity.status != "planned")
            .group_by(ActivityInput.input_id, Activity.season_id, ActivityInput.base_unit,
                      Purchase.dealer_organisation_id)).all()
    if not rows:
        return []
    items = {i.id: i for i in s.scalars(select(Input).where(
        Input.id.in_({r[0] for r in rows}))).all()}
    dealers = registry.organisation_names(uow, (r[4] for r in rows))
    totals: dict[tuple[int, str], list[Any]] = {}
    for input_id, season_id, unit, qty, dealer in rows:
        t = totals.setdefault((input_id, unit), [0.0, set(), set(), set()])
        t[0] += float(qty or 0)
        t[1].add(season_id)
        t[2].add(plot_of[season_id])
        if dealer is not None:
            t[3].add(dealers.get(dealer, ""))
    out = []
    for (input_id, unit), (qty, season_ids, plots, names) in totals.items():
        treated = sum(area[x] for x in season_ids)
        item = items[input_id]
        out.append(InputTotal(input_id=input_id, name=item.name, name_en=item.name_en or item.name,
                              kind=item.kind, base_unit=unit,
                              quantity_base=round(qty, 3), plots=len(plots),
                              area_ha=round(treated, 4),
                              per_ha=round(qty / treated, 3) if treated else None,
                              dealers=sorted(names)))
    out.sort(key=lambda i: (i.kind, i.name))
    return out


def area_aggregate(uow: UnitOfWork, unit_code: str, season_key: str | None = None,
                   lang: str = "vi") -> AreaAggregate:
    """Seasons and activities by commune (aggregates only: open to every logged-in user).

    One GROUP BY over the seasons, whose figures are kept up to date from their activities.
    """
    from nongso.units import services as units

    require_login(uow.principal)
    with uow:
        s = uow.session
        level = "province" if len(unit_code) == 2 else "commune"
        where = [Season.province_code == unit_code] if level == "province" else [
            Season.commune_code == unit_code]
        if season_key:
            where.append(Season.season_key == season_key)
        rows = s.execute(
            select(Season.commune_code, Season.season_key, func.count(),
                   func.sum(Season.area_ha), func.sum(Season.activities_count),
                   func.sum(Season.sprays_count), func.sum(Season.harvest_dry_kg),
                   func.sum(case((Season.harvest_kg > 0, Season.area_ha), else_=0.0)),
                   func.sum(Season.flags_count), func.sum(Season.harvest_kg))
            .where(*where).group_by(Season.commune_code, Season.season_key)
            .order_by(Season.commune_code, Season.season_key)).all()
        province = unit_code[:2] if level == "province" else None
        names: dict[str, str] = {}
        if rows:
            if province:
                names = {c.code: c.name for c in units.communes_of_province(uow, province)}
            else:
                names = {unit_code: units.get_unit(uow, unit_code).name}
        return AreaAggregate(level=level, unit_code=unit_code, rows=[AreaRow(
            commune_code=c, commune_name=names.get(c, c), season_key=k,
            season_name=_season_key_label(k, lang), seasons=int(n), area_ha=round(area or 0, 3),
            activities=int(acts or 0), sprays=int(sprays or 0),
            harvest_t=round((kg or 0) / 1000, 3), harvest_fresh_t=round((fresh or 0) / 1000, 3),
            yield_t_ha=_yield(kg, harvested_area), flags=int(flags or 0),
        ) for c, k, n, area, acts, sprays, kg, harvested_area, flags, fresh in rows])


def season_keys(uow: UnitOfWork, lang: str = "vi") -> list[tuple[str, str]]:
    """The seasons present in the diary (key, label in ``lang``), newest first."""
    with uow:
        keys = uow.session.scalars(select(Season.season_key).distinct()).all()
    parsed = []
    for k in keys:
        years = k.partition(":")[2]
        parsed.append((years, k, _season_key_label(k, lang)))
    parsed.sort(reverse=True)
    return [(k, label) for _, k, label in parsed]


def activity_kind_labels(kinds: Sequence[str], lang: str) -> list[tuple[str, str]]:
    """(code, name in ``lang``) of these activity kinds, for a form's choices."""
    return [(k, rules.ACTIVITY_KINDS[k][0 if lang == "vi" else 1]) for k in kinds]
