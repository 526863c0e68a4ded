"""Use cases of the farm diary: plots, seasons, activities, inputs, compliance, sync, views.

Permissions (checked here, on the scope columns every diary row carries):
- a farmer reads and writes his own plots' diary;
- a co-operative manager reads and writes the diary of his co-operative's member plots, and
  records one activity on many plots at once (farmers then confirm or edit);
- a commune officer reads his commune, a province officer or an inspector the province;
- everyone else sees aggregates only (the commune/province views).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, delete, func, insert, select, true, tuple_
from sqlalchemy.orm import Session

from nongso.core import audit, clock, events
from nongso.core.errors import (
    AppError,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    TooLarge,
    ValidationFailed,
    not_found,
)
from nongso.core.i18n import fold
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules, templates
from nongso.diary import seasons as season_names
from nongso.diary.models import (
    Activity,
    ActivityInput,
    ActivityLink,
    ActivityOutput,
    Flag,
    Input,
    Photo,
    Plot,
    Purchase,
    Season,
    Tree,
)
from nongso.diary.quantities import QuantityError, parse_unit, quantity
from nongso.diary.schemas import (
    ActiveIngredient,
    ActivityCreate,
    ActivityInputIn,
    ActivityInputPublic,
    ActivityPublic,
    ActivityUpdate,
    AreaAggregate,
    AreaRow,
    BulkActivityCreate,
    BulkResult,
    CoopSummary,
    FarmerHome,
    FlagPublic,
    ImportReport,
    ImportRowError,
    InputCreate,
    InputPublic,
    InputTotal,
    InputUpdate,
    InputUsePublic,
    PlotCard,
    PlotCreate,
    PlotPublic,
    PlotUpdate,
    ProcessingOutput,
    ProcessingSource,
    PurchaseCreate,
    PurchasePublic,
    RulePublic,
    SeasonCreate,
    SeasonFigure,
    SeasonFigures,
    SeasonPublic,
    SeasonReport,
    SeasonRow,
    SeasonUpdate,
    SyncError,
    SyncItem,
    SyncRequest,
    SyncResult,
    TaskPublic,
    TemplatePublic,
    TreeCreate,
    TreePublic,
)
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationRef

VN = rules.VN
MAX_PHOTO_BYTES = 5 * 1024 * 1024
BUYER_KINDS = ("buyer", "processor", "exporter", "company", "cooperative")
UUID_NS = uuid.UUID("6f9c1d2e-5b1a-4c36-9a57-0d1a4e1b2c3d")


class UnsupportedMedia(AppError):
    status, code = 415, "unsupported-media-type"
    title_vi, title_en = "Định dạng không được hỗ trợ", "Unsupported media type"


def _invalid(loc: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError(loc, vi, en)])


# --- scope and permissions ------------------------------------------------------------------

def _scope_clause(p: Principal, model: Any) -> ColumnElement[bool]:
    """The rows of ``model`` (with scope columns) the principal may read."""
    require_login(p)
    if p.is_admin:
        return true()
    if p.role in ("province_officer", "inspector"):
        return model.province_code == p.unit_code  # type: ignore[no-any-return]
    if p.role == "commune_officer":
        return model.commune_code == p.unit_code  # type: ignore[no-any-return]
    if p.role == "coop_manager":
        return model.organisation_id == p.organisation_id  # type: ignore[no-any-return]
    if p.role == "farmer":
        return model.farmer_id == p.farmer_id  # type: ignore[no-any-return]
    raise deny()


def _can_read(p: Principal, row: Any) -> bool:
    if p.is_admin:
        return True
    if p.role in ("province_officer", "inspector", "commune_officer"):
        return p.covers_unit(row.commune_code, row.province_code)
    if p.role == "coop_manager":
        return row.organisation_id is not None and row.organisation_id == p.organisation_id
    if p.role == "farmer":
        return row.farmer_id is not None and row.farmer_id == p.farmer_id
    return False


def _can_write(p: Principal, row: Any) -> bool:
    if p.is_admin:
        return True
    if p.role == "coop_manager":
        return row.organisation_id is not None and row.organisation_id == p.organisation_id
    if p.role == "farmer":
        return row.farmer_id is not None and row.farmer_id == p.farmer_id
    return False


def _readable(p: Principal, row: Any, what_vi: str, what_en: str, key: object) -> None:
    if not _can_read(p, row):
        # Someone who may not see a record is told it does not exist (no probing).
        raise not_found(what_vi, what_en, key)


def _writable(p: Principal, row: Any, what_vi: str, what_en: str, key: object) -> None:
    _readable(p, row, what_vi, what_en, key)
    if not _can_write(p, row):
        raise deny()


# --- registry look-ups (read-only) ---------------------------------------------------------

# Through the registry's services: the diary never reads the registry's tables.

def _organisation(uow: UnitOfWork, org_id: int, loc: str) -> OrganisationRef:
    org = registry.organisation_ref(uow, org_id)
    if org is None:
        raise _invalid(loc, f"Tổ chức #{org_id} không tồn tại.",
                       f"Organisation #{org_id} does not exist.")
    return org


# --- time -------------------------------------------------------------------------------------

def _aware(at: dt.datetime) -> dt.datetime:
    """A moment in UTC; a time without a zone is Vietnam time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN)
    return at.astimezone(dt.UTC)


def _check_not_future(at: dt.datetime, loc: str) -> None:
    limit = clock.today_vn() + dt.timedelta(days=1)
    if rules.local_date(at) > limit:
        raise _invalid(
            loc, f"Ngày {rules.local_date(at):%d/%m/%Y} ở tương lai (sau ngày mai "
            f"{limit:%d/%m/%Y}); chỉ ghi việc đã làm.",
            f"{rules.local_date(at):%d/%m/%Y} is in the future (after tomorrow, "
            f"{limit:%d/%m/%Y}); record only what was done.",
        )


# --- plots --------------------------------------------------------------------------------------

def _plot_public(plot: Plot) -> PlotPublic:
    return PlotPublic.model_validate(plot)


def _load_plot(uow: UnitOfWork, plot_id: int) -> Plot:
    plot = uow.session.get(Plot, plot_id)
    if plot is None:
        raise not_found("thửa", "plot", plot_id)
    _readable(uow.principal, plot, "thửa", "plot", plot_id)
    return plot


def _check_unit_in_use(unit_id: int, status: str, effective_status: str) -> None:
    """A new plot lies on a production unit still in the registry and in force."""
    if status == "deleted":
        raise _invalid("production_unit_id",
                       f"Vùng sản xuất #{unit_id} đã bị xoá khỏi sổ đăng ký; không thể tạo thửa "
                       "mới trên vùng này.",
                       f"Production unit #{unit_id} was deleted from the registry; no new plot "
                       "can be created on it.")
    if effective_status in ("retired", "expired"):
        raise _invalid("production_unit_id",
                       f"Vùng sản xuất #{unit_id} đã ngừng hoạt động hoặc hết hiệu lực; không thể "
                       "tạo thửa mới trên vùng này.",
                       f"Production unit #{unit_id} is retired or no longer valid; no new plot "
                       "can be created on it.")


def create_plot(uow: UnitOfWork, data: PlotCreate) -> PlotPublic:
    require_role(uow.principal, "farmer", "coop_manager")
    with uow:
        s, p = uow.session, uow.principal
        unit = None
        if data.production_unit_id is not None:
            unit = registry.production_unit_ref(uow, data.production_unit_id)
            if unit is None:
                raise _invalid("production_unit_id",
                               f"Vùng sản xuất #{data.production_unit_id} không tồn tại.",
                               f"Production unit #{data.production_unit_id} does not exist.")
            _check_unit_in_use(unit.id, unit.status, unit.effective_status)
            farmer_id = unit.farmer_id if data.farmer_id is None else data.farmer_id
        else:
            farmer_id = data.farmer_id if data.farmer_id is not None else p.farmer_id
        if farmer_id is None:
            raise _invalid("farmer_id", "Cần chỉ rõ nông hộ của thửa.",
                           "The plot's farmer is required.")
        farmer = registry.farmer_ref(uow, farmer_id)
        if farmer is None:
            raise _invalid("farmer_id", f"Nông hộ #{farmer_id} không tồn tại.",
                           f"Farmer #{farmer_id} does not exist.")
        if unit is not None and unit.farmer_id is not None and unit.farmer_id != farmer.id:
            raise _invalid("production_unit_id", "Vùng sản xuất này thuộc nông hộ khác.",
                           "This production unit belongs to another farmer.")
        organisation_id = farmer.organisation_id if unit is None or unit.organisation_id is None \
            else unit.organisation_id
        scope = Plot(farmer_id=farmer.id, organisation_id=organisation_id,
                     commune_code=farmer.commune_code, province_code=farmer.province_code)
        if not _can_write(p, scope):
            raise deny()
        area = data.area_ha or (unit.area_ha if unit is not None else None)
        if not area:
            raise _invalid("area_ha", "Cần diện tích thửa (ha).", "The plot's area (ha) is "
                           "required.")
        code = data.code or (unit.code if unit is not None and unit.code else None) or (
            f"PU-{unit.id}" if unit is not None else f"F{farmer.id}-{uuid.uuid4().hex[:6]}")
        if s.scalar(select(Plot.id).where(Plot.code == code)):
            raise Conflict(f"Mã thửa «{code}» đã có.", f"Plot code '{code}' already exists.",
                           [FieldError("code", "Đã tồn tại", "Already exists")])
        attrs = unit.attributes if unit is not None else {}
        plot = Plot(
            production_unit_id=unit.id if unit is not None else None, farmer_id=farmer.id,
            organisation_id=organisation_id,
            commune_code=unit.commune_code if unit is not None else farmer.commune_code,
            province_code=unit.province_code if unit is not None else farmer.province_code,
            code=code, name=data.name or (unit.name if unit is not None else code),
            crop=data.crop or (unit.crop if unit is not None else None), area_ha=area,
            planting_area_code=data.planting_area_code or (
                str(attrs["planting_area_code"]) if attrs.get("planting_area_code") else None),
            certifications=data.certifications,
        )
        s.add(plot)
        uow.commit()
        return _plot_public(plot)


def list_plots(uow: UnitOfWork, page: PageRequest, farmer_id: int | None = None,
               organisation_id: int | None = None, commune_code: str | None = None,
               q: str | None = None) -> Page[PlotPublic]:
    with uow:
        stmt = select(Plot).where(_scope_clause(uow.principal, Plot))
        if farmer_id is not None:
            stmt = stmt.where(Plot.farmer_id == farmer_id)
        if organisation_id is not None:
            stmt = stmt.where(Plot.organisation_id == organisation_id)
        if commune_code:
            stmt = stmt.where(Plot.commune_code == commune_code)
        if q:
            stmt = stmt.where(func.lower(Plot.code).contains(q.lower())
                              | func.lower(Plot.name).contains(q.lower()))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Plot.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_plot_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_plot(uow: UnitOfWork, plot_id: int) -> PlotPublic:
    with uow:
        return _plot_public(_load_plot(uow, plot_id))


def update_plot(uow: UnitOfWork, plot_id: int, data: PlotUpdate) -> PlotPublic:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        for key, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(plot, key, value)
        uow.commit()
        return _plot_public(plot)


def delete_plot(uow: UnitOfWork, plot_id: int) -> None:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        used = uow.session.scalar(select(func.count()).select_from(Season)
                                  .where(Season.plot_id == plot.id)) or 0
        if used:
            raise Conflict(f"Thửa còn {used} vụ trong nhật ký; không xoá được.",
                           f"The plot still has {used} seasons in the diary; not deleted.")
        uow.session.delete(plot)
        uow.commit()


def add_tree(uow: UnitOfWork, plot_id: int, data: TreeCreate) -> TreePublic:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        if uow.session.scalar(select(Tree.id).where(Tree.plot_id == plot.id,
                                                    Tree.code == data.code)):
            raise Conflict(f"Cây «{data.code}» đã có trong thửa.",
                           f"Tree '{data.code}' already exists on the plot.",
                           [FieldError("code", "Đã tồn tại", "Already exists")])
        tree = Tree(plot_id=plot.id, **data.model_dump())
        uow.session.add(tree)
        uow.commit()
        return TreePublic.model_validate(tree)


def list_trees(uow: UnitOfWork, plot_id: int) -> list[TreePublic]:
    with uow:
        plot = _load_plot(uow, plot_id)
        rows = uow.session.scalars(select(Tree).where(Tree.plot_id == plot.id)
                                   .order_by(Tree.code)).all()
        return [TreePublic.model_validate(t) for t in rows]


# --- seasons ------------------------------------------------------------------------------------

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
            yield_t_ha=round(x.harvest_kg / 1000 / x.area_ha, 3) if x.harvest_kg and x.area_ha
            else None,
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
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Season.sowing_date.desc(), Season.id.desc())
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=_season_publics(uow.session, rows), total=total, limit=page.limit,
                    offset=page.offset)


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


def certify_season(uow: UnitOfWork, season_id: int) -> SeasonPublic:
    """Mark a season compliant (co-op manager, inspector, province officer): refused while it
    has any violation."""
    require_role(uow.principal, "coop_manager", "inspector", "province_officer")
    with uow:
        season = _load_season(uow, season_id)
        if season.flags_count:
            raise Conflict(
                f"Vụ có {season.flags_count} vi phạm; không thể chứng nhận tuân thủ.",
                f"The season has {season.flags_count} violations; it cannot be certified "
                "compliant.",
            )
        season.certified_at = clock.now()
        season.certified_by_user_id = uow.principal.user_id
        uow.commit()
        return _season_publics(uow.session, [season])[0]


# --- figures and flags of a season (kept up to date on every write) ---------------------------

def _facts(s: Session, season_ids: Sequence[int]) -> dict[int, list[rules.ActivityFact]]:
    acts = s.execute(select(Activity.id, Activity.season_id, Activity.kind, Activity.status,
                            Activity.at).where(Activity.season_id.in_(season_ids))).all()
    uses: dict[int, list[rules.InputFact]] = defaultdict(list)
    rows = s.execute(
        select(ActivityInput.activity_id, Input.id, Input.name, Input.kind,
               Input.active_ingredients, Input.phi_days, Input.label_dose_max_per_ha,
               Input.label_dose_unit, ActivityInput.base_unit, ActivityInput.dose_per_ha)
        .join(Input, Input.id == ActivityInput.input_id)
        .join(Activity, Activity.id == ActivityInput.activity_id)
        .where(Activity.season_id.in_(season_ids))
    ).all()
    for aid, iid, name, kind, ais, phi, label_max, label_unit, base_unit, dose in rows:
        label_base = None
        if label_max is not None and label_unit:
            unit = parse_unit(label_unit)
            if rules_base_unit(unit.dimension) == base_unit:
                label_base = label_max * unit.factor
        uses[aid].append(rules.InputFact(
            input_id=iid, name=name, kind=kind,
            ingredients=tuple(str(a.get("name", "")) for a in ais or []),
            phi_days=phi if kind == "pesticide" else None, label_max_per_ha_base=label_base,
            base_unit=base_unit, dose_per_ha_base=dose,
        ))
    out: dict[int, list[rules.ActivityFact]] = defaultdict(list)
    for aid, sid, kind, status, at in acts:
        if sid is None:
            continue
        out[sid].append(rules.ActivityFact(aid, kind, status, at, tuple(uses.get(aid, ()))))
    return out


def rules_base_unit(dimension: str) -> str:
    from nongso.diary.quantities import BASE_UNIT

    return BASE_UNIT[dimension]


def _refresh_seasons(s: Session, season_ids: Iterable[int]) -> None:
    """Recompute the flags and the figures of these seasons from their activities."""
    ids = sorted(set(season_ids))
    for start in range(0, len(ids), 400):
        _refresh_chunk(s, ids[start:start + 400])


def _refresh_chunk(s: Session, ids: list[int]) -> None:
    s.flush()
    facts = _facts(s, ids)
    harvest = dict(s.execute(
        select(Activity.season_id, func.sum(Activity.quantity_base))
        .where(Activity.season_id.in_(ids), Activity.kind == "harvest",
               Activity.status != "planned").group_by(Activity.season_id)).all())
    nutrients = {sid: (n or 0.0, p or 0.0, k or 0.0) for sid, n, p, k in s.execute(
        select(Activity.season_id,
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.n_pct, 0) / 100),
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.p2o5_pct, 0) / 100),
               func.sum(ActivityInput.quantity_base * func.coalesce(Input.k2o_pct, 0) / 100))
        .join(ActivityInput, ActivityInput.activity_id == Activity.id)
        .join(Input, Input.id == ActivityInput.input_id)
        .where(Activity.season_id.in_(ids), Activity.status != "planned",
               Input.kind == "fertiliser", ActivityInput.base_unit == "kg")
        .group_by(Activity.season_id)).all()}
    s.execute(delete(Flag).where(Flag.season_id.in_(ids)))
    flag_rows: list[dict[str, Any]] = []
    now = clock.now()
    for season in s.scalars(select(Season).where(Season.id.in_(ids))).all():
        acts = facts.get(season.id, [])
        done = [a for a in acts if a.status != "planned"]
        flags = rules.evaluate(acts)
        flag_rows += [dict(season_id=season.id, activity_id=f.activity_id, rule_id=f.rule_id,
                           severity=f.severity, message_vi=f.message_vi,
                           message_en=f.message_en, source=f.source, details=f.details,
                           created_at=now) for f in flags]
        harvests = [rules.local_date(a.at) for a in done if a.kind == "harvest"]
        n, p2o5, k2o = nutrients.get(season.id, (0.0, 0.0, 0.0))
        season.activities_count = len(done)
        season.sprays_count = sum(1 for a in done if a.kind == "spraying")
        season.fertilising_count = sum(1 for a in done if a.kind == "fertilising")
        season.harvest_kg = float(harvest.get(season.id) or 0.0)
        season.first_harvest_date = min(harvests) if harvests else None
        season.n_kg, season.p2o5_kg, season.k2o_kg = float(n), float(p2o5), float(k2o)
        season.flags_count = sum(1 for f in flags if f.severity == "violation")
        season.safe_harvest_date = rules.earliest_safe_harvest(done)
        season.last_activity_at = max((a.at for a in done), default=None)
    if flag_rows:
        s.execute(insert(Flag), flag_rows)


# --- inputs catalogue and purchases ----------------------------------------------------------

def _input_visibility(uow: UnitOfWork) -> ColumnElement[bool]:
    p = uow.principal
    if p.is_admin or p.role in ("province_officer", "inspector", "commune_officer"):
        return true()
    org = p.organisation_id
    if p.role == "farmer" and p.farmer_id is not None:
        org = registry.farmer_organisation(uow, p.farmer_id)
    if org is not None:
        return Input.organisation_id.is_(None) | (Input.organisation_id == org)
    return Input.organisation_id.is_(None)


def _input_public(i: Input) -> InputPublic:
    public = InputPublic.model_validate(i)
    public.banned_ingredients = [
        e.name for a in i.active_ingredients
        if (e := rules.match_banned(str(a.get("name", "")))) is not None]
    return public


def _check_input_data(data: InputCreate | InputUpdate) -> None:
    if data.label_dose_unit is not None:
        try:
            unit = parse_unit(data.label_dose_unit)
        except QuantityError as exc:
            raise _invalid("label_dose_unit", exc.message_vi, exc.message_en) from exc
        if unit.dimension not in ("mass", "volume"):
            raise _invalid("label_dose_unit", "Liều trên nhãn tính theo khối lượng hoặc thể tích "
                           "mỗi ha (kg, g, L, mL).", "A label dose is a mass or volume per ha "
                           "(kg, g, L, mL).")
        data.label_dose_unit = unit.symbol
    if isinstance(data, InputCreate):
        if data.kind == "pesticide" and not data.active_ingredients:
            raise _invalid("active_ingredients", "Thuốc BVTV cần ít nhất một hoạt chất.",
                           "A pesticide needs at least one active ingredient.")
        if data.kind != "pesticide" and (data.phi_days is not None):
            raise _invalid("phi_days", "Thời gian cách ly chỉ dành cho thuốc BVTV.",
                           "A pre-harvest interval is for pesticides only.")


def create_input(uow: UnitOfWork, data: InputCreate) -> InputPublic:
    require_role(uow.principal, "province_officer", "coop_manager")
    p = uow.principal
    if p.role == "coop_manager":
        if data.organisation_id not in (None, p.organisation_id):
            raise deny()
        data.organisation_id = p.organisation_id
    _check_input_data(data)
    with uow:
        s = uow.session
        key = fold(data.name)
        dup = s.scalar(select(Input.id).where(Input.name_key == key, (
            Input.organisation_id.is_(None) if data.organisation_id is None
            else Input.organisation_id == data.organisation_id)))
        if dup:
            raise Conflict(f"Vật tư «{data.name}» đã có trong danh mục.",
                           f"Input '{data.name}' is already in the catalogue.",
                           [FieldError("name", "Đã tồn tại", "Already exists")])
        if data.organisation_id is not None:
            _organisation(uow, data.organisation_id, "organisation_id")
        values = data.model_dump()
        values["active_ingredients"] = [a.model_dump() for a in data.active_ingredients]
        item = Input(**values, name_key=key)
        s.add(item)
        uow.commit()
        return _input_public(item)


def _load_input(uow: UnitOfWork, input_id: int) -> Input:
    item = uow.session.scalar(select(Input).where(Input.id == input_id,
                                                  _input_visibility(uow)))
    if item is None:
        raise not_found("vật tư", "input", input_id)
    return item


def get_input(uow: UnitOfWork, input_id: int) -> InputPublic:
    require_login(uow.principal)
    with uow:
        return _input_public(_load_input(uow, input_id))


def list_inputs(uow: UnitOfWork, page: PageRequest, kind: str | None = None,
                q: str | None = None) -> Page[InputPublic]:
    require_login(uow.principal)
    with uow:
        stmt = select(Input).where(_input_visibility(uow))
        if kind:
            stmt = stmt.where(Input.kind == kind)
        if q:
            stmt = stmt.where(Input.name_key.contains(fold(q)))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Input.kind, Input.name).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[_input_public(i) for i in rows], total=total, limit=page.limit,
                    offset=page.offset)


def update_input(uow: UnitOfWork, input_id: int, data: InputUpdate) -> InputPublic:
    require_role(uow.principal, "province_officer", "coop_manager")
    _check_input_data(data)
    with uow:
        item = _load_input(uow, input_id)
        p = uow.principal
        if not p.is_admin and (item.organisation_id is None) != (p.role == "province_officer"):
            raise deny()
        if p.role == "coop_manager" and item.organisation_id != p.organisation_id:
            raise deny()
        for key, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(item, key, value)
        if data.name:
            item.name_key = fold(data.name)
        uow.commit()
        return _input_public(item)


def delete_input(uow: UnitOfWork, input_id: int) -> None:
    require_role(uow.principal, "province_officer", "coop_manager")
    with uow:
        item = _load_input(uow, input_id)
        p = uow.principal
        if p.role == "coop_manager" and item.organisation_id != p.organisation_id:
            raise deny()
        if p.role == "province_officer" and item.organisation_id is not None:
            raise deny()
        used = uow.session.scalar(select(func.count()).select_from(ActivityInput).where(
            ActivityInput.input_id == item.id)) or 0
        used += uow.session.scalar(select(func.count()).select_from(Purchase).where(
            Purchase.input_id == item.id)) or 0
        if used:
            raise Conflict("Vật tư đã được dùng trong nhật ký; không xoá được.",
                           "The input is used in diaries; it cannot be deleted.")
        uow.session.delete(item)
        uow.commit()


def _purchase_publics(uow: UnitOfWork, rows: Sequence[Purchase]) -> list[PurchasePublic]:
    inputs = dict(uow.session.execute(select(Input.id, Input.name).where(
        Input.id.in_({r.input_id for r in rows}))).all()) if rows else {}
    dealers = registry.organisation_names(uow, (r.dealer_organisation_id for r in rows))
    return [PurchasePublic(
        id=r.id, client_uuid=r.client_uuid, input_id=r.input_id, input_name=inputs[r.input_id],
        dealer_organisation_id=r.dealer_organisation_id,
        dealer_name=dealers.get(r.dealer_organisation_id, ""), farmer_id=r.farmer_id,
        organisation_id=r.organisation_id, purchased_on=r.purchased_on, quantity=r.quantity,
        unit=r.unit, quantity_base=r.quantity_base, base_unit=r.base_unit, lot=r.lot,
        invoice_no=r.invoice_no, price_vnd=r.price_vnd) for r in rows]


def create_purchase(uow: UnitOfWork, data: PurchaseCreate) -> PurchasePublic:
    require_role(uow.principal, "farmer", "coop_manager")
    with uow:
        s, p = uow.session, uow.principal
        client_uuid = str(data.client_uuid or uuid.uuid4())
        existing = s.scalar(select(Purchase).where(Purchase.client_uuid == client_uuid))
        if existing is not None:
            if not _can_read(p, existing):
                raise Conflict("Mã UUID đã được dùng.", "This UUID is already used.")
            return _purchase_publics(uow, [existing])[0]
        item = _load_input(uow, data.input_id)
        dealer = _organisation(uow, data.dealer_organisation_id, "dealer_organisation_id")
        if dealer.kind != "input_dealer":
            raise _invalid("dealer_organisation_id",
                           f"«{dealer.name}» không phải là đại lý vật tư nông nghiệp.",
                           f"'{dealer.name}' is not an input dealer.")
        if data.purchased_on > clock.today_vn() + dt.timedelta(days=1):
            raise _invalid("purchased_on", "Ngày mua ở tương lai.", "Purchase date in the future.")
        try:
            amount = quantity(data.quantity, data.unit, allow_zero=False)
        except QuantityError as exc:
            raise _invalid("unit", exc.message_vi, exc.message_en) from exc
        if amount.unit.dimension not in ("mass", "volume", "count"):
            raise _invalid("unit", "Đơn vị mua phải là khối lượng, thể tích hoặc số lượng.",
                           "A purchase is a mass, a volume or a count.")
        farmer_id = data.farmer_id if data.farmer_id is not None else p.farmer_id
        farmer = registry.farmer_ref(uow, farmer_id) if farmer_id is not None else None
        if farmer_id is not None and farmer is None:
            raise _invalid("farmer_id", f"Nông hộ #{farmer_id} không tồn tại.",
                           f"Farmer #{farmer_id} does not exist.")
        if farmer is not None:
            scope = Purchase(farmer_id=farmer.id, organisation_id=farmer.organisation_id,
                             commune_code=farmer.commune_code, province_code=farmer.province_code)
        else:
            org = _organisation(uow, p.organisation_id or 0, "organisation_id")
            scope = Purchase(farmer_id=None, organisation_id=org.id,
                             commune_code=org.commune_code, province_code=org.province_code)
        if not _can_write(p, scope):
            raise deny()
        purchase = Purchase(
            client_uuid=client_uuid, input_id=item.id, dealer_organisation_id=dealer.id,
            farmer_id=scope.farmer_id, organisation_id=scope.organisation_id,
            commune_code=scope.commune_code, province_code=scope.province_code,
            purchased_on=data.purchased_on, quantity=amount.value, unit=amount.unit.symbol,
            quantity_base=amount.base, base_unit=amount.base_unit, lot=data.lot,
            invoice_no=data.invoice_no, price_vnd=data.price_vnd,
        )
        s.add(purchase)
        uow.commit()
        return _purchase_publics(uow, [purchase])[0]


def list_purchases(uow: UnitOfWork, page: PageRequest, input_id: int | None = None
                   ) -> Page[PurchasePublic]:
    with uow:
        stmt = select(Purchase).where(_scope_clause(uow.principal, Purchase))
        if input_id is not None:
            stmt = stmt.where(Purchase.input_id == input_id)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Purchase.purchased_on.desc(), Purchase.id)
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=_purchase_publics(uow, rows), total=total, limit=page.limit,
                    offset=page.offset)


# --- activities ---------------------------------------------------------------------------------

@dataclass
class _Lookups:
    """Catalogue rows fetched once for a batch (an import) instead of once per row."""

    inputs: dict[int, Input]
    purchases: dict[int, Purchase]


@dataclass
class _Prepared:
    """An activity checked and ready to write (nothing written yet)."""

    values: dict[str, Any]
    inputs: list[dict[str, Any]]
    sources: list[tuple[int, float]]
    outputs: list[tuple[str, float, bool]]
    replace_inputs: bool = True
    replace_links: bool = True


def _season_for(uow: UnitOfWork, season_id: int | None, plot_id: int | None) -> Season | None:
    s = uow.session
    if season_id is not None:
        season = s.get(Season, season_id)
        if season is None or not _can_read(uow.principal, season):
            raise not_found("vụ", "season", season_id)
        return season
    if plot_id is not None:
        plot = _load_plot(uow, plot_id)
        season = s.scalar(select(Season).where(Season.plot_id == plot.id, Season.status == "open")
                          .order_by(Season.sowing_date.desc(), Season.id.desc()).limit(1))
        if season is None:
            raise _invalid("plot_id", f"Thửa «{plot.code}» chưa có vụ đang mở; hãy tạo vụ trước.",
                           f"Plot '{plot.code}' has no open season; create one first.")
        return season
    return None


def _prepare(uow: UnitOfWork, data: ActivityCreate | ActivityUpdate, current: Activity | None,
             season: Season | None, organisation_id: int | None = None,
             lookups: _Lookups | None = None) -> _Prepared:
    """Check an activity (new, or the result of an edit) and build the rows to write."""
    s, p = uow.session, uow.principal
    fields = data.model_dump(exclude_unset=True)

    def pick(name: str) -> Any:
        if name in fields:
            return fields[name]
        return getattr(current, name) if current is not None else None

    kind: str = pick("kind")
    status: str = pick("status") or "done"
    at_raw = pick("at")
    if at_raw is None:
        raise _invalid("at", "Thiếu thời điểm.", "The time is required.")
    at = _aware(at_raw)
    if status != "planned":
        _check_not_future(at, "at")
    day = rules.local_date(at)
    if season is not None:
        scope: dict[str, Any] = dict(
            season_id=season.id, plot_id=season.plot_id, farmer_id=season.farmer_id,
            organisation_id=season.organisation_id, commune_code=season.commune_code,
            province_code=season.province_code)
        if kind in rules.PRODUCE_KINDS | {"sale"} and season.sowing_date and \
                day < season.sowing_date and status != "planned":
            raise _invalid("at", f"Ngày {day:%d/%m/%Y} trước ngày gieo sạ "
                           f"{season.sowing_date:%d/%m/%Y} của vụ.",
                           f"{day:%d/%m/%Y} is before the season's sowing date "
                           f"{season.sowing_date:%d/%m/%Y}.")
        if day < (season.sowing_date or day) - dt.timedelta(days=120):
            raise _invalid("at", "Ngày quá xa trước ngày gieo sạ của vụ.",
                           "The date is too long before the season's sowing date.")
    elif current is not None:
        scope = dict(season_id=None, plot_id=None, farmer_id=current.farmer_id,
                     organisation_id=current.organisation_id, commune_code=current.commune_code,
                     province_code=current.province_code)
    else:
        if kind not in rules.PROCESSING_KINDS | {"sale"}:
            raise _invalid("season_id", "Cần chỉ rõ vụ (season_id) hoặc thửa (plot_id).",
                           "A season (season_id) or a plot (plot_id) is required.")
        org_id = organisation_id if organisation_id is not None else p.organisation_id
        if org_id is None:
            raise _invalid("organisation_id", "Cần chỉ rõ vụ hoặc tổ chức.",
                           "A season or an organisation is required.")
        org = _organisation(uow, org_id, "organisation_id")
        scope = dict(season_id=None, plot_id=None, farmer_id=None, organisation_id=org.id,
                     commune_code=org.commune_code, province_code=org.province_code)
    probe = Activity(**{k: v for k, v in scope.items() if k in (
        "farmer_id", "organisation_id", "commune_code", "province_code")})
    if not _can_write(p, probe):
        raise deny()
    values: dict[str, Any] = dict(scope, kind=kind, status=status, at=at)
    for name in ("done_by", "notes", "moisture_pct", "pest", "density_per_m2", "growth_stage",
                 "price_vnd_per_kg", "area_ha"):
        values[name] = pick(name)
    # The tree of an orchard plot.
    tree_id = pick("tree_id")
    if tree_id is not None:
        tree = s.get(Tree, tree_id)
        if tree is None or tree.plot_id != scope["plot_id"]:
            raise _invalid("tree_id", f"Cây #{tree_id} không thuộc thửa này.",
                           f"Tree #{tree_id} is not on this plot.")
    values["tree_id"] = tree_id
    # The activity's own quantity.
    qty, unit = pick("quantity"), pick("unit")
    values.update(quantity=None, unit=None, quantity_base=None, base_unit=None)
    if qty is not None or unit is not None:
        if qty is None or not unit:
            raise _invalid("unit" if qty is not None else "quantity",
                           "Số lượng cần đi kèm đơn vị.", "A quantity needs its unit.")
        try:
            amount = quantity(qty, unit)
        except QuantityError as exc:
            raise _invalid("unit", exc.message_vi, exc.message_en) from exc
        if kind in rules.PRODUCE_KINDS | {"sale"} and amount.unit.dimension != "mass":
            raise _invalid("unit", f"Sản lượng tính theo khối lượng (kg, tấn), không phải "
                           f"«{unit}».", f"Produce is weighed (kg, t), not '{unit}'.")
        values.update(quantity=amount.value, unit=amount.unit.symbol, quantity_base=amount.base,
                      base_unit=amount.base_unit)
    if kind == "harvest" and status != "planned" and values["quantity_base"] is None:
        raise _invalid("quantity", "Thu hoạch cần sản lượng (kg).",
                       "A harvest needs its quantity (kg).")
    if kind == "sale" and status != "planned":
        if values["quantity_base"] is None:
            raise _invalid("quantity", "Bán cần số lượng (kg).", "A sale needs its quantity (kg).")
        buyer_id = pick("buyer_organisation_id")
        if buyer_id is None:
            raise _invalid("buyer_organisation_id", "Cần người mua (doanh nghiệp/HTX).",
                           "A sale needs its buyer organisation.")
        buyer = _organisation(uow, buyer_id, "buyer_organisation_id")
        if buyer.kind not in BUYER_KINDS:
            raise _invalid("buyer_organisation_id", f"«{buyer.name}» không phải là đơn vị thu "
                           "mua.", f"'{buyer.name}' is not a buyer.")
    values["buyer_organisation_id"] = pick("buyer_organisation_id")
    if kind == "scouting" and values["density_per_m2"] is not None and not values["pest"]:
        raise _invalid("pest", "Mật độ cần tên sâu bệnh.", "A density needs the pest's name.")
    # Inputs.
    replace_inputs = current is None or "inputs" in fields
    inputs: list[dict[str, Any]] = []
    area = values["area_ha"] or (season.area_ha if season is not None else None)
    if replace_inputs:
        given: list[ActivityInputIn] = (data.inputs or []) if data.inputs is not None else []
        inputs = _prepare_inputs(uow, kind, given, area, lookups)
        if kind == "spraying" and status != "planned" and not inputs:
            raise _invalid("inputs", "Phun thuốc cần ít nhất một thuốc BVTV.",
                           "A spraying needs at least one pesticide.")
    # Produce in/out (processing and sales).
    sources: list[tuple[int, float]] = []
    outputs: list[tuple[str, float, bool]] = []
    replace_links = isinstance(data, ActivityCreate)
    if isinstance(data, ActivityCreate):
        if (data.sources or data.outputs) and kind not in rules.PROCESSING_KINDS | {"sale"}:
            raise _invalid("sources", "Nguồn/sản phẩm chỉ dành cho sơ chế và bán.",
                           "Sources/outputs are for processing and sales only.")
        sources = _check_sources(uow, data.sources, current.id if current else None)
        outputs = [(o.product, o.quantity_kg, o.is_main) for o in data.outputs]
        if kind in rules.PROCESSING_KINDS and not outputs and values["quantity_base"]:
            product = season.crop if season is not None else "sản phẩm"
            outputs = [(product, float(values["quantity_base"]), True)]
    return _Prepared(values, inputs, sources, outputs, replace_inputs, replace_links)


def _prepare_inputs(uow: UnitOfWork, kind: str, given: Sequence[ActivityInputIn],
                    area: float | None, lookups: _Lookups | None) -> list[dict[str, Any]]:
    s = uow.session
    ids = {g.input_id for g in given}
    purchase_ids = {g.purchase_id for g in given if g.purchase_id is not None}
    if lookups is not None:
        catalogue, purchases = lookups.inputs, lookups.purchases
    else:
        catalogue = {i.id: i for i in s.scalars(select(Input).where(
            Input.id.in_(ids), _input_visibility(uow))).all()} if ids else {}
        purchases = {x.id: x for x in s.scalars(select(Purchase).where(
            Purchase.id.in_(purchase_ids))).all()} if purchase_ids else {}
    out = []
    for n, g in enumerate(given):
        loc = f"inputs/{n}"
        item = catalogue.get(g.input_id)
        if item is None:
            raise _invalid(f"{loc}/input_id", f"Vật tư #{g.input_id} không có trong danh mục.",
                           f"Input #{g.input_id} is not in the catalogue.")
        if kind == "spraying" and item.kind != "pesticide":
            raise _invalid(f"{loc}/input_id", f"«{item.name}» không phải là thuốc BVTV; không "
                           "ghi vào lần phun được.",
                           f"'{item.name}' is not a pesticide; it cannot be sprayed.")
        if kind == "fertilising" and item.kind not in ("fertiliser", "other"):
            raise _invalid(f"{loc}/input_id", f"«{item.name}» không phải là phân bón.",
                           f"'{item.name}' is not a fertiliser.")
        try:
            amount = quantity(g.quantity, g.unit)
        except QuantityError as exc:
            raise _invalid(f"{loc}/unit", exc.message_vi, exc.message_en) from exc
        if amount.unit.dimension not in ("mass", "volume", "count"):
            raise _invalid(f"{loc}/unit", f"Đơn vị «{g.unit}» không dùng cho vật tư.",
                           f"Unit '{g.unit}' is not an input quantity.")
        if item.label_dose_unit:
            label = parse_unit(item.label_dose_unit)
            if label.dimension != amount.unit.dimension:
                raise _invalid(f"{loc}/unit", f"«{item.name}» tính theo {label.symbol}; không đổi "
                               f"được từ {amount.unit.symbol}.", f"'{item.name}' is measured in "
                               f"{label.symbol}; {amount.unit.symbol} cannot be converted.")
        if g.purchase_id is not None:
            purchase = purchases.get(g.purchase_id)
            if purchase is None or not _can_read(uow.principal, purchase) or (
                    purchase.input_id != item.id):
                raise _invalid(f"{loc}/purchase_id", f"Lần mua #{g.purchase_id} không khớp vật "
                               "tư này.", f"Purchase #{g.purchase_id} does not match this input.")
        dose = amount.base / area if area else None
        out.append(dict(input_id=item.id, purchase_id=g.purchase_id, quantity=amount.value,
                        unit=amount.unit.symbol, quantity_base=amount.base,
                        base_unit=amount.base_unit, dose_per_ha=dose))
    return out


def _produce_kg(s: Session, ids: Iterable[int]) -> dict[int, float]:
    """How much produce (kg) each harvest/processing activity made: its main outputs, else
    its quantity."""
    ids = set(ids)
    if not ids:
        return {}
    made = dict(s.execute(select(ActivityOutput.activity_id, func.sum(ActivityOutput.quantity_kg))
                          .where(ActivityOutput.activity_id.in_(ids),
                                 ActivityOutput.is_main.is_(True))
                          .group_by(ActivityOutput.activity_id)).all())
    for aid, qty in s.execute(select(Activity.id, Activity.quantity_base)
                              .where(Activity.id.in_(ids))).all():
        if aid not in made:
            made[aid] = qty or 0.0
    return {k: float(v) for k, v in made.items()}


def _check_sources(uow: UnitOfWork, sources: Sequence[ProcessingSource], own_id: int | None
                   ) -> list[tuple[int, float]]:
    if not sources:
        return []
    s = uow.session
    ids = {x.activity_id for x in sources}
    found = {a.id: a for a in s.scalars(select(Activity).where(Activity.id.in_(ids))).all()}
    made = _produce_kg(s, ids)
    used = dict(s.execute(select(ActivityLink.source_activity_id,
                                 func.sum(ActivityLink.quantity_kg))
                          .where(ActivityLink.source_activity_id.in_(ids),
                                 ActivityLink.activity_id != (own_id or -1))
                          .group_by(ActivityLink.source_activity_id)).all())
    wanted: dict[int, float] = defaultdict(float)
    for n, x in enumerate(sources):
        a = found.get(x.activity_id)
        if a is None or not _can_read(uow.principal, a):
            raise _invalid(f"sources/{n}/activity_id",
                           f"Không tìm thấy hoạt động #{x.activity_id}.",
                           f"Activity #{x.activity_id} was not found.")
        if a.kind not in rules.PRODUCE_KINDS or a.status == "planned":
            raise _invalid(f"sources/{n}/activity_id", f"Hoạt động #{a.id} không phải là thu "
                           "hoạch hay sơ chế.", f"Activity #{a.id} is not a harvest or processing.")
        wanted[a.id] += x.quantity_kg
    for aid, kg in wanted.items():
        left = made.get(aid, 0.0) - float(used.get(aid) or 0.0)
        if kg > left + 1e-6:
            raise _invalid("sources", f"Hoạt động #{aid} chỉ còn {left:g} kg, không đủ {kg:g} kg.",
                           f"Activity #{aid} has only {left:g} kg left, not {kg:g} kg.")
    return [(x.activity_id, x.quantity_kg) for x in sources]


def _write(uow: UnitOfWork, prepared: _Prepared, activity: Activity) -> Activity:
    s = uow.session
    for key, value in prepared.values.items():
        setattr(activity, key, value)
    activity.updated_at = clock.now()
    if activity.id is None:
        s.add(activity)
    s.flush()
    if prepared.replace_inputs:
        s.execute(delete(ActivityInput).where(ActivityInput.activity_id == activity.id))
        if prepared.inputs:
            s.execute(insert(ActivityInput), [dict(i, activity_id=activity.id)
                                              for i in prepared.inputs])
    if prepared.replace_links:
        s.execute(delete(ActivityLink).where(ActivityLink.activity_id == activity.id))
        s.execute(delete(ActivityOutput).where(ActivityOutput.activity_id == activity.id))
        if prepared.sources:
            s.execute(insert(ActivityLink), [dict(activity_id=activity.id, source_activity_id=a,
                                                  quantity_kg=kg) for a, kg in prepared.sources])
        if prepared.outputs:
            s.execute(insert(ActivityOutput), [dict(activity_id=activity.id, product=p,
                                                    quantity_kg=kg, is_main=m)
                                               for p, kg, m in prepared.outputs])
    return activity


def _publish_recorded(uow: UnitOfWork, a: Activity) -> None:
    """The diary's events for other domains (traceability, statistics), in the same unit of
    work as the record."""
    if a.status != "done":
        return
    s = uow.session
    if a.kind == "harvest":
        season = s.get(Season, a.season_id) if a.season_id else None
        plot = s.get(Plot, a.plot_id) if a.plot_id else None
        if season is None or plot is None:
            return
        events.publish(uow, events.HarvestRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, season_id=season.id, plot_id=plot.id,
            production_unit_id=plot.production_unit_id, organisation_id=a.organisation_id,
            farmer_id=a.farmer_id, commune_code=a.commune_code, crop=season.crop,
            variety=season.variety, harvested_at=a.at, quantity_kg=float(a.quantity_base or 0),
            moisture_pct=a.moisture_pct, planting_area_code=plot.planting_area_code,
            certifications=tuple(plot.certifications or ()),
            season_name=season_names.season_label(season.season_kind, season.year_start,
                                                  season.year_end),
            area_ha=a.area_ha or season.area_ha, tree_id=a.tree_id,
        ))
    elif a.kind in rules.PROCESSING_KINDS:
        links = s.execute(select(ActivityLink.source_activity_id, ActivityLink.quantity_kg)
                          .where(ActivityLink.activity_id == a.id)
                          .order_by(ActivityLink.id)).all()
        outs = s.execute(select(ActivityOutput.product, ActivityOutput.quantity_kg,
                                ActivityOutput.is_main)
                         .where(ActivityOutput.activity_id == a.id)
                         .order_by(ActivityOutput.id)).all()
        events.publish(uow, events.ProcessingRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, kind=a.kind, at=a.at,
            organisation_id=a.organisation_id,
            inputs=tuple((int(i), float(kg)) for i, kg in links),
            outputs=tuple((str(p), float(kg), bool(m)) for p, kg, m in outs),
            season_id=a.season_id, plot_id=a.plot_id, farmer_id=a.farmer_id,
            commune_code=a.commune_code,
        ))
    elif a.kind == "sale":
        sold_from = s.execute(select(ActivityLink.source_activity_id)
                              .where(ActivityLink.activity_id == a.id)
                              .order_by(ActivityLink.id)).scalars().all()
        season = s.get(Season, a.season_id) if a.season_id else None
        events.publish(uow, events.SaleRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, at=a.at,
            seller_organisation_id=a.organisation_id,
            buyer_organisation_id=a.buyer_organisation_id,
            source_activity_ids=tuple(int(x) for x in sold_from),
            quantity_kg=float(a.quantity_base or 0), price_vnd_per_kg=a.price_vnd_per_kg,
            season_id=a.season_id, plot_id=a.plot_id, farmer_id=a.farmer_id,
            commune_code=a.commune_code, product=season.crop if season is not None else None,
        ))


def _activity_publics(uow: UnitOfWork, acts: Sequence[Activity], lang: str = "vi"
                      ) -> list[ActivityPublic]:
    """Serialise activities with a fixed number of queries whatever their number."""
    if not acts:
        return []
    s = uow.session
    ids = [a.id for a in acts]
    seasons = {x.id: x for x in s.scalars(select(Season).where(
        Season.id.in_({a.season_id for a in acts if a.season_id}))).all()}
    plots = dict(s.execute(select(Plot.id, Plot.name).where(
        Plot.id.in_({a.plot_id for a in acts if a.plot_id}))).all())
    uses: dict[int, list[ActivityInputPublic]] = defaultdict(list)
    rows = s.execute(
        select(ActivityInput, Input, Purchase)
        .join(Input, Input.id == ActivityInput.input_id)
        .outerjoin(Purchase, Purchase.id == ActivityInput.purchase_id)
        .where(ActivityInput.activity_id.in_(ids)).order_by(ActivityInput.id)
    ).all()
    dealers = registry.organisation_names(
        uow, (purchase.dealer_organisation_id for _, _, purchase in rows if purchase))
    for use, item, purchase in rows:
        dealer_name = dealers.get(purchase.dealer_organisation_id) if purchase else None
        uses[use.activity_id].append(ActivityInputPublic(
            input_id=item.id, name=item.name, kind=item.kind,
            active_ingredients=[ActiveIngredient.model_validate(x)
                                for x in item.active_ingredients or []],
            quantity=use.quantity, unit=use.unit, quantity_base=use.quantity_base,
            base_unit=use.base_unit, dose_per_ha=use.dose_per_ha, purchase_id=use.purchase_id,
            dealer_organisation_id=purchase.dealer_organisation_id if purchase else None,
            dealer_name=dealer_name, purchase_lot=purchase.lot if purchase else None,
        ))
    links: dict[int, list[ProcessingSource]] = defaultdict(list)
    for aid, src, kg in s.execute(select(ActivityLink.activity_id, ActivityLink.source_activity_id,
                                         ActivityLink.quantity_kg)
                                  .where(ActivityLink.activity_id.in_(ids))
                                  .order_by(ActivityLink.id)).all():
        links[aid].append(ProcessingSource(activity_id=src, quantity_kg=kg))
    outs: dict[int, list[ProcessingOutput]] = defaultdict(list)
    for aid, product, kg, main in s.execute(
            select(ActivityOutput.activity_id, ActivityOutput.product, ActivityOutput.quantity_kg,
                   ActivityOutput.is_main).where(ActivityOutput.activity_id.in_(ids))
            .order_by(ActivityOutput.id)).all():
        outs[aid].append(ProcessingOutput(product=product, quantity_kg=kg, is_main=main))
    flags: dict[int, list[str]] = defaultdict(list)
    for aid, rule_id in s.execute(select(Flag.activity_id, Flag.rule_id)
                                  .where(Flag.activity_id.in_(ids))).all():
        flags[aid].append(rule_id)
    photos: dict[int, list[int]] = defaultdict(list)
    for aid, pid in s.execute(select(Photo.activity_id, Photo.id)
                              .where(Photo.activity_id.in_(ids))
                              .order_by(Photo.id)).all():
        photos[aid].append(pid)
    out = []
    for a in acts:
        season = seasons.get(a.season_id) if a.season_id else None
        out.append(ActivityPublic(
            id=a.id, client_uuid=a.client_uuid, version=a.version, season_id=a.season_id,
            season_name=season_names.season_label(season.season_kind, season.year_start,
                                                  season.year_end, lang) if season else None,
            plot_id=a.plot_id, plot_name=plots.get(a.plot_id) if a.plot_id else None,
            tree_id=a.tree_id, farmer_id=a.farmer_id, organisation_id=a.organisation_id,
            commune_code=a.commune_code, kind=a.kind,
            kind_label=rules.ACTIVITY_KINDS[a.kind][0 if lang == "vi" else 1],
            status=a.status, at=a.at, done_by=a.done_by, notes=a.notes, quantity=a.quantity,
            unit=a.unit, quantity_base=a.quantity_base, base_unit=a.base_unit,
            area_ha=a.area_ha, moisture_pct=a.moisture_pct, pest=a.pest,
            density_per_m2=a.density_per_m2, growth_stage=a.growth_stage,
            buyer_organisation_id=a.buyer_organisation_id, price_vnd_per_kg=a.price_vnd_per_kg,
            bulk_id=a.bulk_id, confirmed_at=a.confirmed_at, inputs=uses.get(a.id, []),
            sources=links.get(a.id, []), outputs=outs.get(a.id, []),
            flags=sorted(set(flags.get(a.id, []))), photo_ids=photos.get(a.id, []),
            updated_at=a.updated_at,
        ))
    return out


def _create_activity(uow: UnitOfWork, data: ActivityCreate) -> tuple[Activity, bool]:
    """Create (or find again, by its client UUID) an activity; returns (activity, created)."""
    s = uow.session
    client_uuid = str(data.client_uuid or uuid.uuid4())
    existing = s.scalar(select(Activity).where(Activity.client_uuid == client_uuid))
    if existing is not None:
        if not _can_read(uow.principal, existing):
            raise Conflict("Mã UUID đã được dùng.", "This UUID is already used.")
        return existing, False
    season = _season_for(uow, data.season_id, data.plot_id)
    prepared = _prepare(uow, data, None, season, data.organisation_id)
    activity = Activity(client_uuid=client_uuid, version=1,
                        recorded_by_user_id=uow.principal.user_id)
    _write(uow, prepared, activity)
    if activity.season_id is not None:
        _refresh_seasons(s, [activity.season_id])
    _publish_recorded(uow, activity)
    return activity, True


def create_activity(uow: UnitOfWork, data: ActivityCreate, lang: str = "vi"
                    ) -> tuple[ActivityPublic, bool]:
    """Record an activity. Sending the same client UUID again returns the first record."""
    require_login(uow.principal)
    with uow:
        activity, created = _create_activity(uow, data)
        uow.commit()
        return _activity_publics(uow, [activity], lang)[0], created


def _load_activity(uow: UnitOfWork, activity_id: int) -> Activity:
    a = uow.session.get(Activity, activity_id)
    if a is None:
        raise not_found("hoạt động", "activity", activity_id)
    _readable(uow.principal, a, "hoạt động", "activity", activity_id)
    return a


def get_activity(uow: UnitOfWork, activity_id: int, lang: str = "vi") -> ActivityPublic:
    with uow:
        return _activity_publics(uow, [_load_activity(uow, activity_id)], lang)[0]


def list_activities(uow: UnitOfWork, page: PageRequest, season_id: int | None = None,
                    plot_id: int | None = None, kind: str | None = None,
                    status: str | None = None, since: dt.date | None = None,
                    until: dt.date | None = None, lang: str = "vi") -> Page[ActivityPublic]:
    with uow:
        stmt = select(Activity).where(_scope_clause(uow.principal, Activity))
        if season_id is not None:
            stmt = stmt.where(Activity.season_id == season_id)
        if plot_id is not None:
            stmt = stmt.where(Activity.plot_id == plot_id)
        if kind:
            stmt = stmt.where(Activity.kind == kind)
        if status:
            stmt = stmt.where(Activity.status == status)
        if since:
            stmt = stmt.where(Activity.at >= dt.datetime.combine(since, dt.time(), VN))
        if until:
            stmt = stmt.where(Activity.at < dt.datetime.combine(
                until + dt.timedelta(days=1), dt.time(), VN))
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Activity.at.desc(), Activity.id.desc())
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=_activity_publics(uow, rows, lang), total=total,
                    limit=page.limit, offset=page.offset)


def _conflict(current: Activity, base_version: int) -> Conflict:
    return Conflict(
        f"Bản ghi đã được sửa ở nơi khác (phiên bản {current.version}, bạn sửa từ phiên bản "
        f"{base_version}); hãy chọn giữ bản nào.",
        f"The record was changed elsewhere (version {current.version}, your edit started "
        f"from version {base_version}); choose which to keep.",
        extra={"server_version": current.version},
    )


def _update_activity(uow: UnitOfWork, a: Activity, data: ActivityUpdate,
                     confirm: bool = False) -> Activity:
    s = uow.session
    _writable(uow.principal, a, "hoạt động", "activity", a.id)
    if data.base_version is not None and data.base_version != a.version:
        raise _conflict(a, data.base_version)
    season = s.get(Season, a.season_id) if a.season_id else None
    was_harvest = (a.kind, a.quantity_base, a.at, a.moisture_pct)
    was_status = a.status
    prepared = _prepare(uow, data, a, season)
    if confirm:
        prepared.values["status"] = "done"
        a.confirmed_at = clock.now()
    _write(uow, prepared, a)
    a.version += 1
    if a.season_id is not None:
        _refresh_seasons(s, [a.season_id])
    if a.status == "done" and was_status != "done":
        _publish_recorded(uow, a)
    elif a.kind == "harvest" and a.status == "done" and was_harvest != (
            a.kind, a.quantity_base, a.at, a.moisture_pct):
        events.publish(uow, events.HarvestCorrected(
            activity_id=a.id, client_uuid=a.client_uuid, harvested_at=a.at,
            quantity_kg=float(a.quantity_base or 0), moisture_pct=a.moisture_pct))
    return a


def update_activity(uow: UnitOfWork, activity_id: int, data: ActivityUpdate,
                    lang: str = "vi") -> ActivityPublic:
    with uow:
        a = _update_activity(uow, _load_activity(uow, activity_id), data)
        uow.commit()
        return _activity_publics(uow, [a], lang)[0]


def confirm_activity(uow: UnitOfWork, activity_id: int, data: ActivityUpdate | None = None,
                     lang: str = "vi") -> ActivityPublic:
    """A farmer confirms (and may correct) an activity the co-op recorded on his plot."""
    require_role(uow.principal, "farmer")
    with uow:
        a = _load_activity(uow, activity_id)
        if a.status not in ("proposed", "planned"):
            raise Conflict("Hoạt động này đã được xác nhận.", "This activity is already "
                           "confirmed.")
        a = _update_activity(uow, a, data or ActivityUpdate(), confirm=True)
        uow.commit()
        return _activity_publics(uow, [a], lang)[0]


def _delete_activity(uow: UnitOfWork, a: Activity) -> None:
    s = uow.session
    _writable(uow.principal, a, "hoạt động", "activity", a.id)
    used = s.scalar(select(func.count()).select_from(ActivityLink)
                    .where(ActivityLink.source_activity_id == a.id)) or 0
    if used:
        raise Conflict("Sản phẩm của hoạt động này đã được sơ chế hoặc bán; không xoá được.",
                       "This activity's produce was processed or sold; it cannot be deleted.")
    season_id = a.season_id
    events.publish(uow, events.ActivityDeleted(activity_id=a.id, client_uuid=a.client_uuid,
                                               kind=a.kind))
    s.delete(a)
    s.flush()
    if season_id is not None:
        _refresh_seasons(s, [season_id])


def delete_activity(uow: UnitOfWork, activity_id: int) -> None:
    with uow:
        _delete_activity(uow, _load_activity(uow, activity_id))
        uow.commit()


# --- co-operative bulk records ----------------------------------------------------------------

def bulk_record(uow: UnitOfWork, data: BulkActivityCreate) -> BulkResult:
    """The same activity on many member plots, proposed for each farmer to confirm or edit.

    All or nothing: a plot outside the co-operative or without an open season refuses the
    whole batch. Sending the same batch UUID again records nothing twice.
    """
    require_role(uow.principal, "coop_manager")
    p = uow.principal
    at = _aware(data.at)
    _check_not_future(at, "at")
    with uow:
        s = uow.session
        plot_ids = list(dict.fromkeys(data.plot_ids))
        plots = {x.id: x for x in s.scalars(select(Plot).where(Plot.id.in_(plot_ids))).all()}
        outside = [i for i in plot_ids if i not in plots or not _can_write(p, plots[i])]
        if outside:
            raise ValidationFailed(
                f"{len(outside)} thửa không thuộc hợp tác xã của bạn: {outside[:20]}.",
                f"{len(outside)} plots are not your co-operative's: {outside[:20]}.",
                [FieldError(f"plot_ids/{plot_ids.index(i)}", "Thửa không thuộc HTX",
                            "Not a plot of your co-operative") for i in outside[:50]])
        open_seasons: dict[int, Season] = {}
        for season in s.scalars(select(Season).where(Season.plot_id.in_(plot_ids),
                                                     Season.status == "open")
                                .order_by(Season.sowing_date, Season.id)).all():
            open_seasons[season.plot_id] = season  # the latest open one wins
        missing = [i for i in plot_ids if i not in open_seasons]
        if missing:
            raise ValidationFailed(
                f"{len(missing)} thửa chưa có vụ đang mở: {missing[:20]}.",
                f"{len(missing)} plots have no open season: {missing[:20]}.",
                [FieldError(f"plot_ids/{plot_ids.index(i)}", "Chưa có vụ đang mở",
                            "No open season") for i in missing[:50]])
        bulk_id = str(data.client_uuid)
        uuids = {i: str(uuid.uuid5(data.client_uuid, f"plot:{i}")) for i in plot_ids}
        existing = dict(s.execute(select(Activity.client_uuid, Activity.id).where(
            Activity.client_uuid.in_(list(uuids.values())))).all())
        created: list[Activity] = []
        for plot_id in plot_ids:
            if uuids[plot_id] in existing:
                continue
            season = open_seasons[plot_id]
            item = ActivityCreate(
                client_uuid=uuid.UUID(uuids[plot_id]), season_id=season.id, kind=data.kind,
                at=at, done_by=data.done_by, notes=data.notes, pest=data.pest,
                growth_stage=data.growth_stage,
                inputs=[ActivityInputIn(input_id=i.input_id, unit=i.unit,
                                        quantity=round(i.quantity_per_ha * season.area_ha, 6),
                                        purchase_id=i.purchase_id) for i in data.inputs],
            )
            prepared = _prepare(uow, item, None, season)
            prepared.values["status"] = "proposed"
            activity = Activity(client_uuid=uuids[plot_id], version=1, bulk_id=bulk_id,
                                recorded_by_user_id=p.user_id)
            _write(uow, prepared, activity)
            created.append(activity)
        _refresh_seasons(s, [open_seasons[i].id for i in plot_ids])
        audit.record(s, "bulk", "diary_activities", bulk_id,
                     {"kind": data.kind, "plots": len(plot_ids), "created": len(created)})
        uow.commit()
        by_plot = {a.plot_id: a.id for a in created}
        ids = [existing.get(uuids[i]) or by_plot[i] for i in plot_ids]
        return BulkResult(bulk_id=bulk_id, created=len(created),
                          already_recorded=len(plot_ids) - len(created), activity_ids=ids)


# --- offline sync -----------------------------------------------------------------------------

def sync(uow: UnitOfWork, request: SyncRequest, lang: str = "vi") -> SyncResult:
    """Apply a phone's queue of offline changes, one result per change.

    A create whose client UUID is already known is a duplicate (the first record is
    returned); an update or delete made from an older version than the server's is a
    conflict and is not applied: the server copy is returned so the user can choose.
    Invalid changes are reported and not applied; the others are.
    """
    require_login(uow.principal)
    items: list[SyncItem] = []
    with uow:
        s = uow.session
        for op in request.ops:
            key = str(op.client_uuid)
            try:
                if op.op == "create":
                    if op.create is None:
                        raise _invalid("create", "Thiếu dữ liệu tạo mới.", "Missing 'create'.")
                    op.create.client_uuid = op.client_uuid
                    activity, created = _create_activity(uow, op.create)
                    items.append(SyncItem(
                        client_uuid=key, op=op.op, status="applied" if created else "duplicate",
                        activity=_activity_publics(uow, [activity], lang)[0]))
                    continue
                current = s.scalar(select(Activity).where(Activity.client_uuid == key))
                if current is None or not _can_read(uow.principal, current):
                    if op.op == "delete":
                        items.append(SyncItem(client_uuid=key, op=op.op, status="duplicate"))
                        continue
                    items.append(SyncItem(
                        client_uuid=key, op=op.op, status="conflict",
                        message="Bản ghi đã bị xoá trên máy chủ." if lang == "vi"
                        else "The record was deleted on the server."))
                    continue
                base = op.base_version if op.base_version is not None else (
                    op.update.base_version if op.update else None)
                if base is not None and base != current.version:
                    err = _conflict(current, base)
                    items.append(SyncItem(client_uuid=key, op=op.op, status="conflict",
                                          message=err.message(lang),
                                          server=_activity_publics(uow, [current], lang)[0]))
                    continue
                if op.op == "delete":
                    _delete_activity(uow, current)
                    items.append(SyncItem(client_uuid=key, op=op.op, status="applied"))
                    continue
                change = op.update or ActivityUpdate()
                change.base_version = None
                updated = _update_activity(uow, current, change)
                items.append(SyncItem(client_uuid=key, op=op.op, status="applied",
                                      activity=_activity_publics(uow, [updated], lang)[0]))
            except (ValidationFailed, NotFound, Conflict, PermissionDenied) as exc:
                items.append(SyncItem(
                    client_uuid=key, op=op.op, status="error", message=exc.message(lang),
                    errors=[SyncError(**e.as_dict(lang)) for e in exc.errors]))
        uow.commit()
    return SyncResult(items=items, applied=sum(1 for i in items if i.status == "applied"),
                      conflicts=sum(1 for i in items if i.status == "conflict"),
                      errors=sum(1 for i in items if i.status == "error"))


# --- photos ----------------------------------------------------------------------------------

def add_photo(uow: UnitOfWork, activity_id: int | None, content: bytes,
              client_uuid: str | None = None, activity_uuid: str | None = None) -> int:
    """Attach a photo (JPEG, PNG or WebP up to 5 MB) to an activity, given by its id or by its
    client UUID (a phone uploads its queued photos that way); returns the photo's id."""
    from PIL import Image, UnidentifiedImageError

    if len(content) > MAX_PHOTO_BYTES:
        raise TooLarge(f"Ảnh quá lớn ({len(content) / 1024 / 1024:.1f} MB); tối đa 5 MB.",
                       f"The photo is too large ({len(content) / 1024 / 1024:.1f} MB); "
                       "at most 5 MB.")
    try:
        with Image.open(io.BytesIO(content)) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMedia("Tệp gửi lên không phải là ảnh (JPEG, PNG, WebP).",
                               "The file is not an image (JPEG, PNG, WebP).") from exc
    types = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
    if fmt not in types:
        raise UnsupportedMedia(f"Định dạng ảnh {fmt} không được hỗ trợ (JPEG, PNG, WebP).",
                               f"Image format {fmt} is not supported (JPEG, PNG, WebP).")
    with uow:
        s = uow.session
        if activity_id is None:
            found = s.scalar(select(Activity.id).where(Activity.client_uuid == activity_uuid))
            if found is None:
                raise not_found("hoạt động", "activity", activity_uuid)
            activity_id = found
        a = _load_activity(uow, activity_id)
        _writable(uow.principal, a, "hoạt động", "activity", activity_id)
        key = client_uuid or str(uuid.uuid4())
        existing = s.scalar(select(Photo).where(Photo.client_uuid == key))
        if existing is not None:
            if existing.activity_id != a.id:
                raise Conflict("Mã UUID của ảnh đã được dùng.", "This photo UUID is used.")
            return existing.id
        photo = Photo(activity_id=a.id, client_uuid=key, content_type=types[fmt], width=width,
                      height=height, size_bytes=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), data=content)
        s.add(photo)
        audit.record(s, "photo", "diary_activities", str(a.id), {"bytes": len(content)})
        uow.commit()
        return photo.id


def get_photo(uow: UnitOfWork, photo_id: int) -> tuple[bytes, str]:
    with uow:
        photo = uow.session.get(Photo, photo_id)
        if photo is None:
            raise not_found("ảnh", "photo", photo_id)
        _load_activity(uow, photo.activity_id)
        return photo.data, photo.content_type


# --- the contract with traceability and inspectors ------------------------------------------

def season_input_uses(uow: UnitOfWork, season_id: int) -> list[InputUsePublic]:
    """Every input used in a season, with its dealer, lot and the rules it breaks."""
    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        rows = s.execute(
            select(Activity, ActivityInput, Input, Purchase)
            .join(ActivityInput, ActivityInput.activity_id == Activity.id)
            .join(Input, Input.id == ActivityInput.input_id)
            .outerjoin(Purchase, Purchase.id == ActivityInput.purchase_id)
            .where(Activity.season_id == season.id, Activity.status != "planned")
            .order_by(Activity.at, ActivityInput.id)
        ).all()
        # A flag names the input it is about (details.input_id): banned ingredient, dose.
        flags: dict[tuple[int, int | None], set[str]] = defaultdict(set)
        for aid, rule_id, details in s.execute(select(Flag.activity_id, Flag.rule_id,
                                                      Flag.details)
                                               .where(Flag.season_id == season.id)).all():
            flags[(aid, (details or {}).get("input_id"))].add(rule_id)
        out = []
        dealers = registry.organisation_names(
            uow, (purchase.dealer_organisation_id for *_, purchase in rows if purchase))
        for a, use, item, purchase in rows:
            dealer_name = dealers.get(purchase.dealer_organisation_id) if purchase else None
            rule_ids = flags.get((a.id, item.id), set())
            out.append(InputUsePublic(
                activity_id=a.id, client_uuid=a.client_uuid, at=a.at, kind=a.kind,
                plot_id=a.plot_id, season_id=a.season_id, input_id=item.id,
                input_kind=item.kind, product_name=item.name,
                active_ingredients=[ActiveIngredient.model_validate(x)
                                    for x in item.active_ingredients or []],
                quantity=use.quantity, unit=use.unit, quantity_base=use.quantity_base,
                base_unit=use.base_unit, dose_per_ha=use.dose_per_ha,
                dealer_organisation_id=purchase.dealer_organisation_id if purchase else None,
                dealer_name=dealer_name, purchase_id=use.purchase_id,
                purchase_lot=purchase.lot if purchase else None, flags=sorted(rule_ids),
            ))
        return out


def _flag_publics(s: Session, flags: Sequence[Flag], lang: str) -> list[FlagPublic]:
    if not flags:
        return []
    acts = {a.id: a for a in s.scalars(select(Activity).where(
        Activity.id.in_({f.activity_id for f in flags}))).all()}
    catalogue = rules.rule_catalogue()
    out = []
    for f in flags:
        a = acts[f.activity_id]
        rule = catalogue.get(f.rule_id)
        out.append(FlagPublic(
            id=f.id, rule_id=f.rule_id, severity=f.severity,
            title=(rule.title_vi if lang == "vi" else rule.title_en) if rule else f.rule_id,
            message=f.message_vi if lang == "vi" else f.message_en, source=f.source,
            activity_id=a.id, activity_kind=a.kind, activity_at=a.at, plot_id=a.plot_id,
            season_id=f.season_id, details=dict(f.details or {}),
        ))
    return out


def list_rules(lang: str = "vi") -> list[RulePublic]:
    return [RulePublic(rule_id=r.rule_id, severity=r.severity,
                       title=r.title_vi if lang == "vi" else r.title_en, source=r.source)
            for r in rules.rule_catalogue().values()]


def season_report(uow: UnitOfWork, season_id: int, lang: str = "vi") -> SeasonReport:
    """Every flag of the season with its rule and source; compliant only without any."""
    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        flags = s.scalars(select(Flag).where(Flag.season_id == season.id)
                          .order_by(Flag.activity_id, Flag.id)).all()
        public = _season_publics(s, [season], lang)[0]
        flag_list = _flag_publics(s, flags, lang)
        flag_list.sort(key=lambda f: (f.activity_at, f.id))
        return SeasonReport(season=public, compliant=public.compliant,
                            certified=public.certified,
                            safe_harvest_date=season.safe_harvest_date, flags=flag_list,
                            rules=list_rules(lang))


def list_templates(lang: str = "vi") -> list[TemplatePublic]:
    return [t.public(lang) for t in templates.all_templates()]


# --- views ---------------------------------------------------------------------------------------

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
                          recent=acts[len(proposed):], inputs=[_input_public(i) for i in inputs])


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
        harvested = [x for x in seasons if x.harvest_kg]
        kg = sum(x.harvest_kg for x in harvested)
        commune = s.execute(select(func.sum(Season.harvest_kg), func.sum(Season.area_ha))
                            .where(Season.commune_code == org.commune_code,
                                   Season.season_key == season_key,
                                   Season.harvest_kg > 0)).one()
        rows = [SeasonRow(
            season_id=x.id, plot_id=x.plot_id, plot_code=plots[x.plot_id].code,
            farmer_id=x.farmer_id,
            farmer_name=names.get(x.farmer_id) if x.farmer_id is not None else None,
            area_ha=x.area_ha, variety=x.variety, sowing_date=x.sowing_date,
            harvest_kg=round(x.harvest_kg, 3), yield_t_ha=_yield(x.harvest_kg, x.area_ha),
            flags_count=x.flags_count, activities_count=x.activities_count,
            safe_harvest_date=x.safe_harvest_date, status=x.status) for x in seasons]
        inputs = _input_totals(uow, seasons)
        flags = s.scalars(select(Flag).where(Flag.season_id.in_(ids))
                          .order_by(Flag.id)).all() if ids else []
        return CoopSummary(
            organisation_id=org.id, organisation_name=org.name, season_key=season_key,
            season_name=label, members=members, plots=len({x.plot_id for x in seasons}),
            seasons=len(seasons), area_ha=round(area, 4), harvest_t=round(kg / 1000, 3),
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
        out.append(InputTotal(input_id=input_id, name=item.name, kind=item.kind, base_unit=unit,
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
                   func.sum(Season.sprays_count), func.sum(Season.harvest_kg),
                   func.sum(case((Season.harvest_kg > 0, Season.area_ha), else_=0.0)),
                   func.sum(Season.flags_count))
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
            harvest_t=round((kg or 0) / 1000, 3), yield_t_ha=_yield(kg, harvested_area),
            flags=int(flags or 0),
        ) for c, k, n, area, acts, sprays, kg, harvested_area, flags in rows])


def season_keys(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The seasons present in the diary (key, Vietnamese label), newest first."""
    with uow:
        keys = uow.session.scalars(select(Season.season_key).distinct()).all()
    parsed = []
    for k in keys:
        years = k.partition(":")[2]
        parsed.append((years, k, _season_key_label(k, "vi")))
    parsed.sort(reverse=True)
    return [(k, label) for _, k, label in parsed]


# --- exports -------------------------------------------------------------------------------------

def season_record_book(uow: UnitOfWork, season_id: int, fmt: str) -> tuple[bytes, str]:
    """The season's VietGAP-style record book as Excel ("xlsx") or PDF ("pdf")."""
    from nongso.diary import exports
    from nongso.units import services as units

    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        public = _season_publics(s, [season])[0]
        acts = s.scalars(select(Activity).where(Activity.season_id == season.id)
                         .order_by(Activity.at, Activity.id)).all()
        activities = _activity_publics(uow, acts)
        purchase_ids = {i.purchase_id for a in activities for i in a.inputs if i.purchase_id}
        purchases = s.scalars(select(Purchase).where(
            (Purchase.id.in_(purchase_ids)) | (
                (Purchase.farmer_id == season.farmer_id) & Purchase.farmer_id.is_not(None)
                & (Purchase.purchased_on >= (season.sowing_date or dt.date.min)
                   - dt.timedelta(days=60))
                & (Purchase.purchased_on <= (season.first_harvest_date or dt.date.max))))
            .order_by(Purchase.purchased_on, Purchase.id)).all()
        flags = s.scalars(select(Flag).where(Flag.season_id == season.id)
                          .order_by(Flag.id)).all()
        farmer = registry.farmer_names(uow, [season.farmer_id]).get(season.farmer_id or 0)
        org = registry.organisation_names(uow, [season.organisation_id]).get(
            season.organisation_id or 0)
        buyers = registry.organisation_names(uow, (a.buyer_organisation_id for a in activities))
        commune = units.get_unit(uow, season.commune_code).name
        book = exports.RecordBook(
            season=public, farmer_name=farmer, organisation_name=org, commune_name=commune,
            activities=activities, purchases=_purchase_publics(uow, purchases),
            flags=sorted(_flag_publics(s, flags, "vi"), key=lambda f: (f.activity_at, f.id)),
            buyers=buyers)
    name = f"so-nhat-ky-{public.plot_code}-{public.season_key.replace(':', '-')}"
    if fmt == "pdf":
        return exports.record_book_pdf(book), name + ".pdf"
    return exports.record_book_xlsx(book), name + ".xlsx"


def coop_input_use_xlsx(uow: UnitOfWork, organisation_id: int, season_key: str
                        ) -> tuple[bytes, str]:
    from nongso.diary import exports

    summary = coop_summary(uow, organisation_id, season_key)
    return exports.input_use_xlsx(summary), \
        f"vat-tu-{organisation_id}-{season_key.replace(':', '-')}.xlsx"


def coop_harvest_xlsx(uow: UnitOfWork, organisation_id: int, season_key: str
                      ) -> tuple[bytes, str]:
    from nongso.diary import exports

    summary = coop_summary(uow, organisation_id, season_key)
    return exports.harvest_xlsx(summary), \
        f"san-luong-{organisation_id}-{season_key.replace(':', '-')}.xlsx"


# --- Excel import -------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 8 * 1024 * 1024


def import_template() -> bytes:
    from nongso.diary import excel

    return excel.template_xlsx()


def import_activities(uow: UnitOfWork, content: bytes, filename: str, mode: str = "all",
                      dry_run: bool = False, lang: str = "vi") -> ImportReport:
    """Import activities from an Excel file (the template, or a file like it).

    All or nothing by default: when any row has an error nothing is stored and every error is
    reported with its row and column (422). ``mode="partial"`` stores the good rows and
    reports the others. Rows already imported (same plot, time, work, input, quantities,
    notes) are recognised and not stored twice.
    """
    from nongso.diary import excel

    require_role(uow.principal, "farmer", "coop_manager")
    if len(content) > MAX_IMPORT_BYTES:
        raise TooLarge(f"Tệp quá lớn; tối đa {MAX_IMPORT_BYTES // 1024 // 1024} MB.",
                       f"The file is too large; at most {MAX_IMPORT_BYTES // 1024 // 1024} MB.")
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnsupportedMedia("Chỉ nhận tệp Excel .xlsx (dùng tệp mẫu).",
                               "Only Excel .xlsx files are accepted (use the template).")
    try:
        parsed = excel.parse(content)
    except excel.ExcelFileError as exc:
        raise ValidationFailed(exc.message_vi, exc.message_en,
                               [FieldError("file", exc.message_vi, exc.message_en)]) from exc
    errors: list[excel.RowError] = list(parsed.errors)
    headers = parsed.headers
    p = uow.principal
    with uow:
        s = uow.session
        codes = {r.plot_code for r in parsed.rows}
        plots = {x.code: x for x in s.scalars(select(Plot).where(Plot.code.in_(codes))).all()}
        plot_ids = [x.id for x in plots.values()]
        seasons: dict[tuple[int, str], Season] = {}
        latest_open: dict[int, Season] = {}
        keys = set()
        for r in parsed.rows:
            if r.season:
                with contextlib.suppress(season_names.SeasonError):  # reported per row below
                    keys.add(season_names.parse_label(r.season).key)
        for start in range(0, len(plot_ids), 500):
            for x in s.scalars(select(Season).where(
                    Season.plot_id.in_(plot_ids[start:start + 500]),
                    Season.season_key.in_(keys) | (Season.status == "open"))
                    .order_by(Season.sowing_date, Season.id)).all():
                seasons[(x.plot_id, x.season_key)] = x
                if x.status == "open":
                    latest_open[x.plot_id] = x
        catalogue: dict[str, Input] = {}
        for item in s.scalars(select(Input).where(_input_visibility(uow))
                              .order_by(Input.organisation_id.is_(None), Input.id)).all():
            catalogue.setdefault(item.name_key, item)
        wanted_lots = sorted({r.purchase_lot for r in parsed.rows if r.purchase_lot})
        lots = {(x.input_id, fold(x.lot or "")): x for start in range(0, len(wanted_lots), 500)
                for x in s.scalars(select(Purchase).where(
                    _scope_clause(p, Purchase),
                    Purchase.lot.in_(wanted_lots[start:start + 500]))).all()}
        cache = _Lookups(inputs={i.id: i for i in catalogue.values()},
                         purchases={x.id: x for x in lots.values()})
        fingerprints: dict[str, int] = {}
        ready: list[tuple[excel.ImportRow, _Prepared, str]] = []

        def err(row: int, key: str | None, vi: str, en: str) -> None:
            errors.append(excel.RowError(row, headers.get(key, key) if key else None, vi, en))

        for r in parsed.rows:
            plot = plots.get(r.plot_code)
            if plot is None or not _can_read(p, plot):
                err(r.row, "plot_code", f"không có thửa «{r.plot_code}».",
                    f"no plot '{r.plot_code}'.")
                continue
            if not _can_write(p, plot):
                err(r.row, "plot_code", f"thửa «{r.plot_code}» không phải của bạn.",
                    f"plot '{r.plot_code}' is not yours.")
                continue
            if r.season:
                try:
                    crop_year = season_names.parse_label(r.season)
                except season_names.SeasonError as exc:
                    err(r.row, "season", exc.message_vi, exc.message_en)
                    continue
                season = seasons.get((plot.id, crop_year.key))
                if season is None:
                    err(r.row, "season", f"thửa «{r.plot_code}» chưa có vụ {crop_year.label()}.",
                        f"plot '{r.plot_code}' has no season {crop_year.label('en')}.")
                    continue
            else:
                found = latest_open.get(plot.id)
                if found is None:
                    err(r.row, "season", f"thửa «{r.plot_code}» chưa có vụ đang mở.",
                        f"plot '{r.plot_code}' has no open season.")
                    continue
                season = found
            key = r.fingerprint()
            if key in fingerprints:
                err(r.row, None, f"trùng với dòng {fingerprints[key]}.",
                    f"duplicate of row {fingerprints[key]}.")
                continue
            fingerprints[key] = r.row
            inputs: list[ActivityInputIn] = []
            if r.input_name:
                product = catalogue.get(fold(r.input_name))
                if product is None:
                    err(r.row, "input_name", f"vật tư «{r.input_name}» không có trong danh mục.",
                        f"input '{r.input_name}' is not in the catalogue.")
                    continue
                purchase_id = None
                if r.purchase_lot:
                    purchase = lots.get((product.id, fold(r.purchase_lot)))
                    if purchase is None:
                        err(r.row, "purchase_lot", f"không có lần mua lô «{r.purchase_lot}» "
                            "của vật tư này.", f"no purchase of lot '{r.purchase_lot}' of this "
                            "input.")
                        continue
                    purchase_id = purchase.id
                assert r.input_quantity is not None and r.input_unit is not None
                inputs.append(ActivityInputIn(input_id=product.id, quantity=r.input_quantity,
                                              unit=r.input_unit, purchase_id=purchase_id))
            data = ActivityCreate(
                season_id=season.id, kind=r.kind, at=r.at,
                done_by=r.done_by, notes=r.notes, area_ha=r.area_ha,
                quantity=r.harvest_kg, unit="kg" if r.harvest_kg is not None else None,
                moisture_pct=r.moisture_pct, pest=r.pest, density_per_m2=r.density,
                growth_stage=r.growth_stage, inputs=inputs)
            try:
                prepared = _prepare(uow, data, None, season, lookups=cache)
            except ValidationFailed as exc:
                column_of = {"at": "date", "quantity": "harvest_kg", "unit": "input_unit",
                             "inputs": "input_name", "pest": "pest", "area_ha": "area_ha"}
                first = exc.errors[0].loc.split("/")[0] if exc.errors else None
                err(r.row, column_of.get(first or ""), _lower_first(exc.message_vi),
                    _lower_first(exc.message_en))
                continue
            ready.append((r, prepared, str(uuid.uuid5(UUID_NS, "import:" + key))))
        known = set()
        uuids = [u for _, _, u in ready]
        for start in range(0, len(uuids), 500):
            known |= set(s.scalars(select(Activity.client_uuid).where(
                Activity.client_uuid.in_(uuids[start:start + 500]))).all())
        errors.sort(key=lambda e: e.row)
        report_errors = [ImportRowError(row=e.row, column=e.column, message=e.message(lang))
                         for e in errors]
        if errors and mode == "all":
            raise ValidationFailed(
                f"Tệp có {len(errors)} lỗi; chưa nhập dòng nào (sửa rồi nhập lại, hoặc chọn "
                "nhập các dòng đúng).",
                f"The file has {len(errors)} errors; nothing was imported (fix them and import "
                "again, or choose to import the good rows).",
                [FieldError(f"rows/{e.row}" + (f"/{e.column}" if e.column else ""),
                            e.message("vi"), e.message("en")) for e in errors[:500]],
            )
        new = [(r, prep, u) for r, prep, u in ready if u not in known]
        ids: list[int] = []
        if new and not dry_run:
            ids = _bulk_insert(uow, new)
            audit.record(s, "import", "diary_activities", filename[:100],
                         {"rows": len(new), "errors": len(errors), "mode": mode})
            uow.commit()
        return ImportReport(
            rows_read=parsed.rows_read, rows_imported=0 if dry_run else len(new),
            rows_already_imported=len(ready) - len(new),
            rows_with_errors=len({e.row for e in errors}), mode=mode,
            dry_run=dry_run, errors=report_errors, activity_ids=ids)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _bulk_insert(uow: UnitOfWork, rows: Sequence[tuple[Any, _Prepared, str]]) -> list[int]:
    """Write many prepared activities at once (one INSERT per table), then refresh their
    seasons and publish their events."""
    s = uow.session
    now = clock.now()
    values = [dict(prep.values, client_uuid=u, version=1, updated_at=now, created_at=now,
                   recorded_by_user_id=uow.principal.user_id) for _, prep, u in rows]
    ids: list[int] = []
    for start in range(0, len(values), 2000):
        chunk = values[start:start + 2000]
        result = s.execute(insert(Activity).returning(Activity.id, sort_by_parameter_order=True),
                           chunk)
        ids += [int(x) for x in result.scalars().all()]
    uses = [dict(i, activity_id=aid) for aid, (_, prep, _) in zip(ids, rows, strict=True)
            for i in prep.inputs]
    for start in range(0, len(uses), 5000):
        s.execute(insert(ActivityInput), uses[start:start + 5000])
    _refresh_seasons(s, {v["season_id"] for v in values if v["season_id"] is not None})
    eventful = [aid for aid, v in zip(ids, values, strict=True)
                if v["kind"] in rules.PRODUCE_KINDS | {"sale"} and v["status"] == "done"]
    for start in range(0, len(eventful), 500):
        for a in s.scalars(select(Activity).where(Activity.id.in_(eventful[start:start + 500]))
                           .order_by(Activity.id)).all():
            _publish_recorded(uow, a)
    return ids


def principal_named(uow: UnitOfWork, username: str) -> Principal | None:
    """The principal of a user account, for command-line use (``--user``)."""
    from nongso.accounts.services import principal_by_name

    return principal_by_name(uow, username)


def farmer_inputs(uow: UnitOfWork) -> list[InputPublic]:
    """The inputs catalogue the caller may use (for forms)."""
    require_login(uow.principal)
    with uow:
        rows = uow.session.scalars(select(Input).where(_input_visibility(uow))
                                   .order_by(Input.kind, Input.name).limit(500)).all()
        return [_input_public(i) for i in rows]


def flagged_seasons(uow: UnitOfWork, unit_code: str, season_key: str | None = None,
                    limit: int = 200) -> list[SeasonPublic]:
    """Seasons with violations in the caller's scope (inspectors, officers, co-op managers):
    the list an inspection starts from. Others get an empty list."""
    p = uow.principal
    if not p.is_authenticated or p.role not in (
            "admin", "province_officer", "commune_officer", "inspector", "coop_manager"):
        return []
    with uow:
        stmt = select(Season).where(_scope_clause(p, Season), Season.flags_count > 0)
        stmt = stmt.where(Season.province_code == unit_code if len(unit_code) == 2
                          else Season.commune_code == unit_code)
        if season_key:
            stmt = stmt.where(Season.season_key == season_key)
        rows = uow.session.scalars(stmt.order_by(Season.flags_count.desc(), Season.id)
                                   .limit(limit)).all()
        return _season_publics(uow.session, rows)


def input_dealers(uow: UnitOfWork, province_code: str) -> list[tuple[int, str]]:
    """The input dealers of the registry (public business information), for forms."""
    page = registry.list_organisations(uow, PageRequest(500, 0), kind="input_dealer",
                                       province_code=province_code)
    return [(o.id, o.name) for o in page.items]


def publish_recorded_events(uow: UnitOfWork, organisation_id: int | None = None,
                            season_key: str | None = None) -> int:
    """Publish HarvestRecorded / ProcessingRecorded / SaleRecorded again for activities
    already in the diary (admin): for rows written in bulk without events (the demo) or a
    subscriber that joins later. Returns how many events were published."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        stmt = select(Activity).where(Activity.status == "done",
                                      Activity.kind.in_(rules.PRODUCE_KINDS | {"sale"}))
        if organisation_id is not None:
            stmt = stmt.where(Activity.organisation_id == organisation_id)
        if season_key:
            stmt = stmt.where(Activity.season_id.in_(
                select(Season.id).where(Season.season_key == season_key)))
        # Harvests first, then processing, then sales: each event's sources exist before it.
        order = case((Activity.kind == "harvest", 0), (Activity.kind == "sale", 2), else_=1)
        count = 0
        for a in s.scalars(stmt.order_by(order, Activity.at, Activity.id)).all():
            _publish_recorded(uow, a)
            count += 1
        uow.commit()
        return count


def season_figures(uow: UnitOfWork, *, keys: Sequence[tuple[str, str]] | None = None,
                   season_keys: Sequence[str] | None = None, province_code: str | None = None,
                   after_season_id: int | None = None) -> SeasonFigures:
    """The diary's figures by commune × season × crop for the statistics (admin or the
    system): sown area, harvested area (seasons with a harvest), harvest weight and its
    measured moisture, nutrients applied, sprays, households, VietGAP-certified area.

    For the (commune, season key) pairs in ``keys``; or for ``season_keys`` (and a province);
    or for the pairs that have a season newer than ``after_season_id`` — how new seasons are
    found without an event. Reads the seasons' kept figures and, for the moisture, the
    harvest activities of those seasons (indexed by season)."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        newest = int(s.scalar(select(func.max(Season.id))) or 0)
        if after_season_id is not None:
            keys = [(c, k) for c, k in s.execute(
                select(Season.commune_code, Season.season_key).distinct()
                .where(Season.id > after_season_id)).all()]
        filters: list[list[ColumnElement[bool]]] = []
        if keys is not None:
            pairs = sorted(set(keys))
            filters = [[tuple_(Season.commune_code, Season.season_key).in_(pairs[i:i + 200])]
                       for i in range(0, len(pairs), 200)]
        else:
            where: list[ColumnElement[bool]] = []
            if season_keys is not None:
                where.append(Season.season_key.in_(sorted(set(season_keys))))
            if province_code is not None:
                where.append(Season.province_code == province_code)
            filters = [where]
        group = (Season.commune_code, Season.season_key, Season.crop)
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for where in filters:
            for row in s.execute(
                select(*group, Season.province_code, func.count(),
                       func.count(Season.farmer_id.distinct()), func.sum(Season.area_ha),
                       func.sum(case((Season.harvest_kg > 0, Season.area_ha), else_=0.0)),
                       func.sum(Season.harvest_kg), func.sum(Season.n_kg),
                       func.sum(Season.p2o5_kg), func.sum(Season.k2o_kg),
                       func.sum(Season.sprays_count))
                .where(*where).group_by(*group, Season.province_code)).all():
                out[(row[0], row[1], row[2])] = dict(
                    commune_code=row[0], season_key=row[1], crop=row[2], province_code=row[3],
                    seasons=int(row[4]), farmers=int(row[5]), sown_ha=float(row[6] or 0),
                    harvested_ha=float(row[7] or 0), harvest_kg=float(row[8] or 0),
                    n_kg=float(row[9] or 0), p2o5_kg=float(row[10] or 0),
                    k2o_kg=float(row[11] or 0), sprays=int(row[12] or 0), moisture_kg=0.0,
                    kg_times_moisture=0.0, vietgap_ha=0.0)
            for c, k, crop, kg, kgm in s.execute(
                select(*group, func.sum(Activity.quantity_base),
                       func.sum(Activity.quantity_base * Activity.moisture_pct))
                .join(Activity, Activity.season_id == Season.id)
                .where(*where, Activity.kind == "harvest", Activity.status != "planned",
                       Activity.moisture_pct.is_not(None)).group_by(*group)).all():
                if (c, k, crop) in out:
                    out[(c, k, crop)].update(moisture_kg=float(kg or 0),
                                             kg_times_moisture=float(kgm or 0))
            for c, k, crop, ha in s.execute(
                select(*group, func.sum(Season.area_ha))
                .join(Plot, Plot.id == Season.plot_id)
                .where(*where, cast(Plot.certifications, String).like("%VietGAP%"))
                .group_by(*group)).all():
                if (c, k, crop) in out:
                    out[(c, k, crop)]["vietgap_ha"] = float(ha or 0)
        return SeasonFigures(rows=[SeasonFigure(**v) for _, v in sorted(out.items())],
                             max_season_id=newest)
