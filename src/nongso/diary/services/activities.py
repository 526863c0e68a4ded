"""One activity of the diary: record it (once per client UUID), read, list, edit (with
the version it was edited from), confirm (a farmer, what the co-op proposed) or delete it.

``_prepare`` holds every check an activity passes before anything is written; the co-op bulk
record, the offline sync and the Excel import write through it too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from nongso.core import clock, events
from nongso.core.errors import Conflict, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
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
    ProcessingOutput,
    ProcessingSource,
)
from nongso.diary.services._common import (
    VN,
    _aware,
    _can_read,
    _can_write,
    _check_not_future,
    _invalid,
    _organisation,
    _page,
    _readable,
    _scope_clause,
    _writable,
)
from nongso.diary.services.figures import _refresh_seasons
from nongso.diary.services.inputs import _input_visibility
from nongso.diary.services.plots import _load_plot
from nongso.diary.services.to_trace import _publish_recorded
from nongso.registry import services as registry

BUYER_KINDS = ("buyer", "processor", "exporter", "company", "cooperative")


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
            input_id=item.id, name=item.name if lang == "vi" else (item.name_en or item.name),
            kind=item.kind,
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
            flag_titles=[_rule_title(r, lang) for r in sorted(set(flags.get(a.id, [])))],
            updated_at=a.updated_at,
        ))
    return out


def _rule_title(rule_id: str, lang: str) -> str:
    rule = rules.rule_catalogue().get(rule_id)
    if rule is None:
        return rule_id
    return rule.title_vi if lang == "vi" else rule.title_en


class FlagsToConfirm(Conflict):
    """The record breaks a rule: nothing was saved; send it again with ``confirm_flags``."""

    code = "confirm-flags"
    title_vi, title_en = "Cần xác nhận cảnh báo", "Warnings to confirm"


def _season_flags(s: Session, season_id: int | None) -> list[Flag]:
    if season_id is None:
        return []
    s.flush()
    return list(s.scalars(select(Flag).where(Flag.season_id == season_id)
                          .order_by(Flag.activity_id, Flag.id)).all())


def flag_warning(flags: Sequence[rules.FlagResult | Flag]) -> list[dict[str, Any]]:
    """What a client shows before saving: each flag with what is wrong, why (the rule and its
    source) and what to do, in Vietnamese and English."""
    catalogue = rules.rule_catalogue()
    out = []
    for f in flags:
        rule = catalogue.get(f.rule_id)
        out.append({
            "rule_id": f.rule_id, "severity": f.severity, "activity_id": f.activity_id,
            "title_vi": rule.title_vi if rule else f.rule_id,
            "title_en": rule.title_en if rule else f.rule_id,
            "message_vi": f.message_vi, "message_en": f.message_en, "source": f.source,
            "advice_vi": rule.advice_vi if rule else "",
            "advice_en": rule.advice_en if rule else "",
            "details": dict(f.details or {}),
        })
    return out


def _ask_confirmation(s: Session, season_id: int | None, before: set[tuple[int, str]]) -> None:
    """Refuse (and so roll back) a write that raises flags the client has not confirmed."""
    new = [f for f in _season_flags(s, season_id) if (f.activity_id, f.rule_id) not in before
           and f.rule_id not in rules.OBSERVATION_RULES]
    if not new:
        return
    titles_vi = "; ".join(dict.fromkeys(f.message_vi for f in new))
    titles_en = "; ".join(dict.fromkeys(f.message_en for f in new))
    raise FlagsToConfirm(
        f"Chưa lưu: {titles_vi} Nếu đúng là việc đã làm, hãy xác nhận để lưu kèm cảnh báo "
        "(confirm_flags).",
        f"Not saved: {titles_en} If this is what happened, confirm to save it with its "
        "warnings (confirm_flags).",
        extra={"flags": flag_warning(new), "confirm_with": "confirm_flags"},
    )


def _flag_keys(s: Session, season_id: int | None) -> set[tuple[int, str]]:
    return {(f.activity_id, f.rule_id) for f in _season_flags(s, season_id)}


def _publish_new_flags(uow: UnitOfWork, season_id: int | None,
                       before: set[tuple[int, str]]) -> None:
    """What a write's new flags mean for other domains: a scouting record at a pest's spray
    threshold raises the pest alert; violations on a season whose later harvests already made
    lots hold those lots (and what was made from them) in traceability."""
    if season_id is None:
        return
    s = uow.session
    raised = [f for f in _season_flags(s, season_id) if (f.activity_id, f.rule_id) not in before]
    for f in raised:
        if f.rule_id in rules.OBSERVATION_RULES:
            _publish_pest_alert(uow, f)
    new = [f for f in raised if f.severity == "violation"]
    if not new:
        return
    flagged = {a.id: a for a in s.scalars(select(Activity).where(
        Activity.id.in_({f.activity_id for f in new})))}
    new = sorted((f for f in new if f.activity_id in flagged),
                 key=lambda f: (flagged[f.activity_id].at, f.activity_id, f.id))
    if not new:
        return
    first = flagged[new[0].activity_id]
    harvests = tuple(s.scalars(select(Activity.id).where(
        Activity.season_id == season_id, Activity.kind == "harvest",
        Activity.status == "done", Activity.at >= first.at).order_by(Activity.id)))
    if harvests:
        events.publish(uow, events.ViolationsRecorded(
            activity_id=first.id, season_id=season_id, at=first.at,
            harvest_activity_ids=harvests,
            violations=tuple(dict.fromkeys(f"{f.rule_id}: {f.message_vi}" for f in new))))


def _publish_pest_alert(uow: UnitOfWork, f: Flag) -> None:
    a = uow.session.get(Activity, f.activity_id)
    details = dict(f.details or {})
    if a is None or a.season_id is None or a.density_per_m2 is None:
        return
    events.publish(uow, events.PestThresholdReached(
        activity_id=a.id, season_id=a.season_id, commune_code=a.commune_code,
        crop=details.get("crop"), pest=a.pest or str(details.get("pest", "")),
        pest_code=str(details.get("pest", "")), at=a.at, density_per_m2=a.density_per_m2,
        threshold_per_m2=float(details.get("threshold_per_m2", 0)),
        message_vi=f.message_vi, message_en=f.message_en, source=f.source))


def _create_activity(uow: UnitOfWork, data: ActivityCreate, confirmed: bool = True
                     ) -> tuple[Activity, bool]:
    """Create (or find again, by its client UUID) an activity; returns (activity, created).

    Unless ``confirmed``, a record that raises a flag is refused with the flags (nothing
    written)."""
    s = uow.session
    client_uuid = str(data.client_uuid or uuid.uuid4())
    existing = s.scalar(select(Activity).where(Activity.client_uuid == client_uuid))
    if existing is not None:
        if not _can_read(uow.principal, existing):
            raise Conflict("Mã UUID đã được dùng.", "This UUID is already used.")
        return existing, False
    season = _season_for(uow, data.season_id, data.plot_id)
    prepared = _prepare(uow, data, None, season, data.organisation_id)
    before = {(f.activity_id, f.rule_id) for f in _season_flags(s, season.id)} \
        if season is not None and not confirmed else set()
    flags_before = _flag_keys(s, season.id if season is not None else None)
    activity = Activity(client_uuid=client_uuid, version=1,
                        recorded_by_user_id=uow.principal.user_id)
    _write(uow, prepared, activity)
    if activity.season_id is not None:
        _refresh_seasons(s, [activity.season_id])
        if not confirmed:
            _ask_confirmation(s, activity.season_id, before)
        _publish_new_flags(uow, activity.season_id, flags_before)
    _publish_recorded(uow, activity)
    return activity, True


def create_activity(uow: UnitOfWork, data: ActivityCreate, lang: str = "vi"
                    ) -> tuple[ActivityPublic, bool]:
    """Record an activity. Sending the same client UUID again returns the first record."""
    require_login(uow.principal)
    with uow:
        activity, created = _create_activity(uow, data, confirmed=data.confirm_flags)
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
        return _page(uow.session, stmt, (Activity.at.desc(), Activity.id.desc()), page,
                     lambda rows: _activity_publics(uow, rows, lang))


def _conflict(current: Activity, base_version: int) -> Conflict:
    return Conflict(
        f"Bản ghi đã được sửa ở nơi khác (phiên bản {current.version}, bạn sửa từ phiên bản "
        f"{base_version}); hãy chọn giữ bản nào.",
        f"The record was changed elsewhere (version {current.version}, your edit started "
        f"from version {base_version}); choose which to keep.",
        extra={"server_version": current.version},
    )


def _update_activity(uow: UnitOfWork, a: Activity, data: ActivityUpdate,
                     confirm: bool = False, confirmed: bool = True) -> Activity:
    s = uow.session
    _writable(uow.principal, a, "hoạt động", "activity", a.id)
    if data.base_version is not None and data.base_version != a.version:
        raise _conflict(a, data.base_version)
    season = s.get(Season, a.season_id) if a.season_id else None
    was_harvest = (a.kind, a.quantity_base, a.at, a.moisture_pct)
    was_status = a.status
    prepared = _prepare(uow, data, a, season)
    before = {(f.activity_id, f.rule_id) for f in _season_flags(s, a.season_id)} \
        if not confirmed else set()
    flags_before = _flag_keys(s, a.season_id)
    if confirm:
        prepared.values["status"] = "done"
        a.confirmed_at = clock.now()
    _write(uow, prepared, a)
    a.version += 1
    if a.season_id is not None:
        _refresh_seasons(s, [a.season_id])
        if not confirmed:
            _ask_confirmation(s, a.season_id, before)
        _publish_new_flags(uow, a.season_id, flags_before)
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
        a = _update_activity(uow, _load_activity(uow, activity_id), data,
                             confirmed=data.confirm_flags)
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
        data = data or ActivityUpdate()
        a = _update_activity(uow, a, data, confirm=True, confirmed=data.confirm_flags)
        uow.commit()
        return _activity_publics(uow, [a], lang)[0]


def _delete_activity(uow: UnitOfWork, a: Activity) -> None:
    s = uow.session
    _writable(uow.principal, a, "hoạt động", "activity", a.id)
    # Produce already processed or sold: deleting would orphan the lots made from it, so the
    # refusal names the processing or sale activities that used it.
    users = s.execute(select(Activity.id, Activity.kind, Activity.at).join(
        ActivityLink, ActivityLink.activity_id == Activity.id)
        .where(ActivityLink.source_activity_id == a.id).order_by(Activity.at, Activity.id)).all()
    if users:
        vi = ", ".join(f"#{i} {rules.ACTIVITY_KINDS.get(k, (k, k))[0]} "
                       f"{rules.local_date(at):%d/%m/%Y}" for i, k, at in users)
        en = ", ".join(f"#{i} {rules.ACTIVITY_KINDS.get(k, (k, k))[1]} "
                       f"{rules.local_date(at):%d/%m/%Y}" for i, k, at in users)
        raise Conflict(f"Sản phẩm của hoạt động này đã được sơ chế hoặc bán ({vi}); không xoá "
                       "được. Xoá hoặc sửa các hoạt động đó trước.",
                       f"This activity's produce was processed or sold ({en}); it cannot be "
                       "deleted. Delete or correct those activities first.")
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
