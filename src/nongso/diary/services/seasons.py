"""Seasons of a plot: a crop year named as farmers name it (Đông Xuân 2025-2026 crosses a
year), created with the planned tasks of a crop template, edited, read with their figures.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import Conflict, not_found
from nongso.core.i18n import fold
from nongso.core.pagination import Page, PageRequest
from nongso.core.uow import UnitOfWork
from nongso.diary import seasons as season_names
from nongso.diary import templates
from nongso.diary.models import Activity, ActivityInput, Input, Plot, Season
from nongso.diary.quantities import quantity
from nongso.diary.schemas import SeasonCreate, SeasonPublic, SeasonUpdate, TemplatePublic
from nongso.diary.services._common import (
    UUID_NS,
    VN,
    _invalid,
    _page,
    _readable,
    _scope_clause,
    _writable,
)
from nongso.diary.services.figures import _refresh_seasons
from nongso.diary.services.inputs import _input_visibility
from nongso.diary.services.plots import _load_plot


def _season_publics(s: Session, seasons: Sequence[Season], lang: str = "vi"
                    ) -> list[SeasonPublic]:
    plots = {p.id: p for p in s.scalars(select(Plot).where(
        Plot.id.in_({x.plot_id for x in seasons}))).all()} if seasons else {}
    out = []
    for x in seasons:
        plot = plots[x.plot_id]
        years = f"{x.year_start}-{x.year_end}" if x.year_end != x.year_start else str(
            x.year_start)
        out.append(SeasonPublic(
            id=x.id, plot_id=x.plot_id, plot_code=plot.code, plot_name=plot.name,
            production_unit_id=plot.production_unit_id,
            planting_area_code=plot.planting_area_code, organisation_id=x.organisation_id,
            farmer_id=x.farmer_id, commune_code=x.commune_code, province_code=x.province_code,
            crop=x.crop, variety=x.variety, season_kind=x.season_kind,
            name=season_names.season_label(x.season_kind, x.year_start, x.year_end, "vi"),
            name_en=season_names.season_label(x.season_kind, x.year_start, x.year_end, "en"),
            season_key=x.season_key, year_start=x.year_start, year_end=x.year_end,
            crop_year=years, sowing_date=x.sowing_date,
            expected_harvest_date=x.expected_harvest_date, harvest_date=x.first_harvest_date,
            area_ha=x.area_ha, status=x.status, template_code=x.template_code,
            activities_count=x.activities_count, harvest_kg=round(x.harvest_kg, 3),
            harvest_dry_kg=round(x.harvest_dry_kg, 3),
            yield_t_ha=round(x.harvest_dry_kg / 1000 / x.area_ha, 3)
            if x.harvest_dry_kg and x.area_ha else None,
            n_kg=round(x.n_kg, 3), p2o5_kg=round(x.p2o5_kg, 3), k2o_kg=round(x.k2o_kg, 3),
            flags_count=x.flags_count, compliant=x.flags_count == 0,
            certified=x.certified_at is not None, certified_at=x.certified_at,
            safe_harvest_date=x.safe_harvest_date, last_activity_at=x.last_activity_at,
        ))
    return out


def _load_season(uow: UnitOfWork, season_id: int) -> Season:
    season = uow.session.get(Season, season_id)
    if season is None:
        raise not_found("vụ", "season", season_id)
    _readable(uow.principal, season, "vụ", "season", season_id)
    return season


def get_season(uow: UnitOfWork, season_id: int) -> SeasonPublic:
    """A season with its plot, production unit, organisation and figures (contract)."""
    with uow:
        return _season_publics(uow.session, [_load_season(uow, season_id)])[0]


def list_seasons(uow: UnitOfWork, page: PageRequest, plot_id: int | None = None,
                 season_key: str | None = None, organisation_id: int | None = None,
                 farmer_id: int | None = None, status: str | None = None,
                 commune_code: str | None = None) -> Page[SeasonPublic]:
    with uow:
        stmt = select(Season).where(_scope_clause(uow.principal, Season))
        if plot_id is not None:
            stmt = stmt.where(Season.plot_id == plot_id)
        if season_key:
            stmt = stmt.where(Season.season_key == season_key)
        if organisation_id is not None:
            stmt = stmt.where(Season.organisation_id == organisation_id)
        if farmer_id is not None:
            stmt = stmt.where(Season.farmer_id == farmer_id)
        if status:
            stmt = stmt.where(Season.status == status)
        if commune_code:
            stmt = stmt.where(Season.commune_code == commune_code)
        return _page(uow.session, stmt, (Season.sowing_date.desc(), Season.id.desc()), page,
                     lambda rows: _season_publics(uow.session, rows))


def create_season(uow: UnitOfWork, data: SeasonCreate) -> SeasonPublic:
    with uow:
        s = uow.session
        plot = _load_plot(uow, data.plot_id)
        _writable(uow.principal, plot, "thửa", "plot", data.plot_id)
        try:
            if data.year_start is not None:
                end = data.year_end if data.year_end is not None else (
                    data.year_start + 1 if data.season_kind == "dong_xuan" else data.year_start)
                season_names.check_crop_year(data.season_kind, data.year_start, end)
                crop_year = season_names.CropYear(data.season_kind, data.year_start, end)
            else:
                crop_year = season_names.infer_crop_year(
                    data.season_kind, data.sowing_date, data.expected_harvest_date)
        except season_names.SeasonError as exc:
            raise _invalid("year_start", exc.message_vi, exc.message_en) from exc
        if data.expected_harvest_date and data.expected_harvest_date < data.sowing_date:
            raise _invalid("expected_harvest_date", "Ngày thu hoạch dự kiến trước ngày gieo sạ.",
                           "The expected harvest date is before the sowing date.")
        if data.sowing_date > clock.today_vn() + dt.timedelta(days=366):
            raise _invalid("sowing_date", "Ngày gieo sạ quá xa trong tương lai.",
                           "The sowing date is too far in the future.")
        if s.scalar(select(Season.id).where(Season.plot_id == plot.id,
                                            Season.season_key == crop_year.key)):
            raise Conflict(f"Thửa đã có vụ {crop_year.label()}.",
                           f"The plot already has the season {crop_year.label('en')}.")
        template = None
        if data.template_code:
            template = templates.get(data.template_code)
            if template is None:
                raise _invalid("template_code", f"Không có mẫu «{data.template_code}».",
                               f"No template '{data.template_code}'.")
        season = Season(
            plot_id=plot.id, farmer_id=plot.farmer_id, organisation_id=plot.organisation_id,
            commune_code=plot.commune_code, province_code=plot.province_code,
            season_kind=data.season_kind, year_start=crop_year.year_start,
            year_end=crop_year.year_end, season_key=crop_year.key,
            crop=data.crop or plot.crop or "rice", variety=data.variety,
            sowing_date=data.sowing_date, expected_harvest_date=data.expected_harvest_date,
            area_ha=data.area_ha or plot.area_ha, template_code=data.template_code,
        )
        s.add(season)
        s.flush()
        if template is not None:
            _apply_template(uow, season, template)
        _refresh_seasons(s, [season.id])
        uow.commit()
        return _season_publics(s, [season])[0]


def _apply_template(uow: UnitOfWork, season: Season, template: templates.Template) -> None:
    """Planned tasks of the template, dated from the sowing date, with suggested inputs."""
    s = uow.session
    names = {fold(st.input_name) for st in template.steps if st.input_name}
    catalogue = {i.name_key: i for i in s.scalars(select(Input).where(
        Input.name_key.in_(names), _input_visibility(uow))).all()} if names else {}
    assert season.sowing_date is not None
    for n, step in enumerate(template.steps):
        day = season.sowing_date + dt.timedelta(days=step.day)
        at = dt.datetime.combine(day, dt.time(7, 0), tzinfo=VN).astimezone(dt.UTC)
        activity = Activity(
            client_uuid=str(uuid.uuid5(UUID_NS, f"template:{season.id}:{n}")),
            season_id=season.id, plot_id=season.plot_id, farmer_id=season.farmer_id,
            organisation_id=season.organisation_id, commune_code=season.commune_code,
            province_code=season.province_code, kind=step.kind, status="planned", at=at,
            notes=step.title_vi, recorded_by_user_id=uow.principal.user_id,
        )
        s.add(activity)
        product = catalogue.get(fold(step.input_name)) if step.input_name else None
        if product is not None and step.quantity_per_ha and step.unit:
            amount = quantity(step.quantity_per_ha * season.area_ha, step.unit)
            s.flush()
            s.add(ActivityInput(activity_id=activity.id, input_id=product.id,
                                quantity=round(amount.value, 4), unit=amount.unit.symbol,
                                quantity_base=amount.base, base_unit=amount.base_unit,
                                dose_per_ha=amount.base / season.area_ha))


def update_season(uow: UnitOfWork, season_id: int, data: SeasonUpdate) -> SeasonPublic:
    with uow:
        season = _load_season(uow, season_id)
        _writable(uow.principal, season, "vụ", "season", season_id)
        changes = data.model_dump(exclude_unset=True)
        sowing = changes.get("sowing_date") or season.sowing_date
        harvest = changes.get("expected_harvest_date") or season.expected_harvest_date
        if sowing and harvest and harvest < sowing:
            raise _invalid("expected_harvest_date", "Ngày thu hoạch dự kiến trước ngày gieo sạ.",
                           "The expected harvest date is before the sowing date.")
        for key, value in changes.items():
            if value is not None:
                setattr(season, key, value)
        uow.commit()
        return _season_publics(uow.session, [season])[0]


def list_templates(lang: str = "vi") -> list[TemplatePublic]:
    return [t.public(lang) for t in templates.all_templates()]
