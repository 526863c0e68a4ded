"""Supply and demand: expected harvests (from the farm diary), buyers' demand, the optimiser's
proposals, agreements and deliveries (which become traceability transaction events)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update

from nongso.core import audit, clock
from nongso.core.errors import Conflict, PermissionDenied, not_found
from nongso.core.i18n import format_date, format_number
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, require_login, require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.market import catalogue, matching
from nongso.market.booking import to_utc
from nongso.market.models import Agreement, Delivery, Demand, Proposal, Supply
from nongso.market.parsing import variety_group
from nongso.market.schemas import (
    AgreementPublic,
    DeliveryCreate,
    DeliveryPublic,
    DemandCreate,
    DemandPublic,
    HarvestSuggestion,
    MatchReport,
    ProposalAccept,
    ProposalPublic,
    SupplyCreate,
    SupplyPublic,
)
from nongso.market.services.common import (
    acting_organisation,
    invalid,
    place_of,
    product_of,
    province_code,
)
from nongso.registry import services as registry
from nongso.trace import services as trace

SUPPLY_ROLES = ("coop_manager", "province_officer", "commune_officer")
DEMAND_ROLES = ("buyer", "province_officer")
OVER_DELIVERY = 1.10  # a delivery may exceed the agreed volume by 10 % (weighing, moisture)


def _window(start: dt.date, end: dt.date, end_loc: str) -> None:
    if end < start:
        raise invalid(end_loc, "Ngày kết thúc phải từ ngày bắt đầu trở đi.",
                      "The end date must not be before the start date.")
    today = clock.today_vn()
    if end < today:
        raise invalid(end_loc, f"Khoảng thời gian đã qua (kết thúc {format_date(end)}).",
                      f"The window is over (it ended on {format_date(end)}).")
    if (end - start).days > 366:
        raise invalid(end_loc, "Khoảng thời gian dài quá một năm.", "The window exceeds a year.")


def _where(uow: UnitOfWork, commune: str | None, lon: float | None, lat: float | None,
           default_commune: str) -> tuple[str, float, float, str]:
    place = place_of(uow, commune or default_commune, "commune_code")
    if (lon is None) != (lat is None):
        raise invalid("lon", "Cần cả kinh độ và vĩ độ.", "Both lon and lat are needed.")
    if lon is None or lat is None:
        if place.lon is None or place.lat is None:
            raise invalid("lon", "Xã chưa có toạ độ: hãy nhập kinh độ, vĩ độ.",
                          "The commune has no coordinates: give lon and lat.")
        lon, lat = place.lon, place.lat
    return place.code, lon, lat, place.province_code


# --- supply ---------------------------------------------------------------------------------

def _agreed(s: Any, column: Any, ids: Sequence[int]) -> dict[int, float]:
    if not ids:
        return {}
    return {i: float(v or 0) for i, v in s.execute(
        select(column, func.sum(Agreement.volume_kg)).where(column.in_(ids))
        .group_by(column))}


def _supply_public(row: Supply, names: dict[int, str], agreed: dict[int, float]
                   ) -> SupplyPublic:
    out = SupplyPublic.model_validate(row)
    out.organisation_name = names.get(row.organisation_id, "")
    out.remaining_kg = max(0.0, row.volume_kg - agreed.get(row.id, 0.0))
    return out


def create_supply(uow: UnitOfWork, data: SupplyCreate) -> SupplyPublic:
    """A co-operative publishes an expected harvest for sale."""
    require_role(uow.principal, *SUPPLY_ROLES)
    with uow:
        org = acting_organisation(uow, data.organisation_id, SUPPLY_ROLES)
        product = product_of(data.product)
        _window(data.available_from, data.available_to, "available_to")
        commune, lon, lat, province = _where(uow, data.commune_code, data.lon, data.lat,
                                             org.commune_code)
        if "planting_area_code" in data.certifications and not data.planting_area_code:
            raise invalid("planting_area_code", "Cần ghi mã số vùng trồng.",
                          "The planting-area code is missing.")
        for n, season_id in enumerate(data.season_ids):
            season = diary.get_season(uow, season_id)
            if season.organisation_id != org.id:
                raise invalid(f"season_ids/{n}", f"Vụ #{season_id} không thuộc {org.name}.",
                              f"Season #{season_id} does not belong to {org.name}.")
        row = Supply(
            organisation_id=org.id, product_code=product.code, grade=data.grade,
            volume_kg=data.volume_kg, available_from=data.available_from,
            available_to=data.available_to, commune_code=commune, province_code=province,
            lon=lon, lat=lat, certifications=sorted(set(data.certifications)),
            planting_area_code=data.planting_area_code, season_ids=list(data.season_ids),
            note=data.note, created_by=uow.principal.user_id)
        uow.session.add(row)
        uow.commit()
        return _supply_public(row, {org.id: org.name}, {})


def list_supplies(uow: UnitOfWork, page: PageRequest, status: str | None = "open",
                  product: str | None = None, organisation_id: int | None = None
                  ) -> Page[SupplyPublic]:
    """Expected harvests on offer (signed-in users: buyers look for produce here)."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        stmt = select(Supply).where(Supply.province_code == province_code())
        if status:
            stmt = stmt.where(Supply.status == status)
        if product:
            stmt = stmt.where(Supply.product_code == product_of(product).code)
        if organisation_id is not None:
            stmt = stmt.where(Supply.organisation_id == organisation_id)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Supply.available_from, Supply.id)
                              .limit(page.limit).offset(page.offset)))
        names = registry.organisation_names(uow, [r.organisation_id for r in rows])
        agreed = _agreed(s, Agreement.supply_id, [r.id for r in rows])
        return Page(items=[_supply_public(r, names, agreed) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _product_of_season(crop: str, variety: str | None) -> str | None:
    v = variety or ""
    if crop == "rice":
        group = variety_group(v) or "ordinary"
        return {"st": "lua_tuoi_st", "fragrant": "lua_tuoi_thom"}.get(group, "lua_tuoi_thuong")
    folded = v.lower()
    return {
        "mango": "xoai_cat_hoa_loc" if "hòa lộc" in folded or "hoa loc" in folded
        else "xoai_cat_chu",
        "durian": "sau_rieng_monthong" if "mon" in folded else "sau_rieng_ri6",
        "pomelo": "buoi_da_xanh", "longan": "nhan",
    }.get(crop)


def harvest_suggestions(uow: UnitOfWork, organisation_id: int | None = None
                        ) -> list[HarvestSuggestion]:
    """The co-operative's expected harvests read from its open diary seasons: volume = area ×
    the plot's earlier yield (else the reference yield of ``data/expected_yields.csv``),
    grouped by product and fortnight of the expected harvest date."""
    require_role(uow.principal, *SUPPLY_ROLES)
    with uow:
        org = acting_organisation(uow, organisation_id, SUPPLY_ROLES)
        today = clock.today_vn()
        seasons = []
        offset = 0
        while True:
            page = diary.list_seasons(uow, PageRequest(500, offset), organisation_id=org.id)
            seasons.extend(page.items)
            offset += 500
            if offset >= page.total:
                break
    past_yield: dict[int, float] = {}
    for season in seasons:
        if season.yield_t_ha:
            past_yield[season.plot_id] = season.yield_t_ha
    groups: dict[tuple[str, dt.date, str | None], list[Any]] = defaultdict(list)
    for season in seasons:
        expected = season.expected_harvest_date
        if season.status != "open" or expected is None or expected < today \
                or season.harvest_kg > 0:
            continue
        product = _product_of_season(season.crop, season.variety)
        if product is None:
            continue
        fortnight = expected - dt.timedelta(days=(expected.toordinal() % 14))
        groups[(product, fortnight, season.planting_area_code)].append(season)
    out = []
    for (product, _fortnight, code), items in sorted(groups.items(), key=lambda g: g[0][1]):
        kg = 0.0
        bases = set()
        for season in items:
            t_ha = past_yield.get(season.plot_id)
            bases.add("plot" if t_ha else "reference")
            t_ha = t_ha or catalogue.expected_yield(season.crop, season.season_kind) or 0.0
            kg += season.area_ha * t_ha * 1000
        if not kg > 0 or not math.isfinite(kg):  # nothing to offer, or a nonsense yield
            continue
        certs = ["vietgap"] if all(season.certified for season in items) else []
        if code:
            certs.append("planting_area_code")
        dates = [season.expected_harvest_date for season in items]
        out.append(HarvestSuggestion(
            product_code=product, crop=items[0].crop,
            variety=items[0].variety, expected_kg=round(kg),
            available_from=min(dates) - dt.timedelta(days=3),
            available_to=max(dates) + dt.timedelta(days=7),
            season_ids=[season.id for season in items], plots=len({s.plot_id for s in items}),
            area_ha=round(sum(season.area_ha for season in items), 3), certifications=certs,
            planting_area_code=code,
            basis=" + ".join(sorted(bases))))
    return out


# --- demand ---------------------------------------------------------------------------------

def _demand_public(row: Demand, names: dict[int, str], agreed: dict[int, float]
                   ) -> DemandPublic:
    out = DemandPublic.model_validate(row)
    out.organisation_name = names.get(row.organisation_id, "")
    out.remaining_kg = max(0.0, row.volume_kg - agreed.get(row.id, 0.0))
    return out


def create_demand(uow: UnitOfWork, data: DemandCreate) -> DemandPublic:
    """A buyer publishes what it wants to buy."""
    require_role(uow.principal, *DEMAND_ROLES)
    with uow:
        org = acting_organisation(uow, data.organisation_id, DEMAND_ROLES)
        product = product_of(data.product)
        _window(data.window_from, data.window_to, "window_to")
        commune, lon, lat, province = _where(uow, data.commune_code, data.lon, data.lat,
                                             org.commune_code)
        row = Demand(
            organisation_id=org.id, product_code=product.code, max_grade=data.max_grade,
            volume_kg=data.volume_kg, window_from=data.window_from, window_to=data.window_to,
            commune_code=commune, province_code=province, lon=lon, lat=lat,
            max_distance_km=data.max_distance_km,
            certifications=sorted(set(data.certifications)),
            price_vnd_per_kg=data.price_vnd_per_kg, note=data.note,
            created_by=uow.principal.user_id)
        uow.session.add(row)
        uow.commit()
        return _demand_public(row, {org.id: org.name}, {})


def list_demands(uow: UnitOfWork, page: PageRequest, status: str | None = "open",
                 product: str | None = None, organisation_id: int | None = None
                 ) -> Page[DemandPublic]:
    require_login(uow.principal)
    with uow:
        s = uow.session
        stmt = select(Demand).where(Demand.province_code == province_code())
        if status:
            stmt = stmt.where(Demand.status == status)
        if product:
            stmt = stmt.where(Demand.product_code == product_of(product).code)
        if organisation_id is not None:
            stmt = stmt.where(Demand.organisation_id == organisation_id)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Demand.window_from, Demand.id)
                              .limit(page.limit).offset(page.offset)))
        names = registry.organisation_names(uow, [r.organisation_id for r in rows])
        agreed = _agreed(s, Agreement.demand_id, [r.id for r in rows])
        return Page(items=[_demand_public(r, names, agreed) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


# --- matching -------------------------------------------------------------------------------

def run_matching(uow: UnitOfWork) -> MatchReport:
    """Propose the optimal matches between the open supplies and demands of the province
    (what is already agreed is left out; earlier proposals not yet agreed are replaced)."""
    require_role(uow.principal, "province_officer", "commune_officer")
    with uow:
        s = uow.session
        province = province_code()
        supplies = list(s.scalars(select(Supply).where(Supply.province_code == province,
                                                       Supply.status == "open")))
        demands = list(s.scalars(select(Demand).where(Demand.province_code == province,
                                                      Demand.status == "open")))
        agreed_s = _agreed(s, Agreement.supply_id, [r.id for r in supplies])
        agreed_d = _agreed(s, Agreement.demand_id, [r.id for r in demands])
        s.execute(update(Proposal).where(Proposal.status == "proposed").values(
            status="superseded"))
        result = matching.solve(
            [matching.SupplyIn(r.id, r.product_code, r.grade,
                               r.volume_kg - agreed_s.get(r.id, 0.0), r.available_from,
                               r.available_to, r.lon, r.lat, frozenset(r.certifications))
             for r in supplies],
            [matching.DemandIn(r.id, r.product_code, r.max_grade,
                               r.volume_kg - agreed_d.get(r.id, 0.0), r.window_from,
                               r.window_to, r.lon, r.lat, r.max_distance_km,
                               frozenset(r.certifications)) for r in demands])
        rows = [Proposal(supply_id=p.supply_id, demand_id=p.demand_id, volume_kg=p.volume_kg,
                         distance_km=p.distance_km, status="proposed") for p in result.pairs]
        s.add_all(rows)
        s.flush()
        audit.record(s, "match", "market_proposals", province,
                     {"proposals": len(rows), "kg": result.total_kg})
        uow.commit()
        return MatchReport(supplies=len(supplies), demands=len(demands),
                           candidates=result.candidates,
                           proposals=_proposal_publics(uow, rows), total_kg=result.total_kg,
                           kg_km=round(result.kg_km, 1))


def _proposal_publics(uow: UnitOfWork, rows: Sequence[Proposal]) -> list[ProposalPublic]:
    s = uow.session
    supplies = {r.id: r for r in s.scalars(select(Supply).where(
        Supply.id.in_({p.supply_id for p in rows})))} if rows else {}
    demands = {r.id: r for r in s.scalars(select(Demand).where(
        Demand.id.in_({p.demand_id for p in rows})))} if rows else {}
    agreements: dict[int | None, int] = {
        pid: aid for pid, aid in s.execute(select(Agreement.proposal_id, Agreement.id).where(
            Agreement.proposal_id.in_([p.id for p in rows])))} if rows else {}
    names = registry.organisation_names(
        uow, [*(x.organisation_id for x in supplies.values()),
              *(x.organisation_id for x in demands.values())])
    out = []
    for p in rows:
        sup, dem = supplies[p.supply_id], demands[p.demand_id]
        out.append(ProposalPublic(
            id=p.id, supply_id=p.supply_id, demand_id=p.demand_id,
            seller=names.get(sup.organisation_id, ""), buyer=names.get(dem.organisation_id, ""),
            product_code=sup.product_code, volume_kg=p.volume_kg, distance_km=p.distance_km,
            status=p.status, seller_accepted=p.seller_accepted_at is not None,
            buyer_accepted=p.buyer_accepted_at is not None,
            agreement_id=agreements.get(p.id), created_at=p.created_at))
    return out


def _proposal_scope(p: Principal) -> Any:
    if p.role in ("coop_manager",):
        return Supply.organisation_id == p.organisation_id
    if p.role == "buyer":
        return Demand.organisation_id == p.organisation_id
    return Supply.province_code == province_code()


def list_proposals(uow: UnitOfWork, page: PageRequest, status: str | None = None
                   ) -> Page[ProposalPublic]:
    """Proposals that concern the caller (its supplies or demands; officers: all)."""
    require_role(uow.principal, "coop_manager", "buyer", "province_officer", "commune_officer",
                 "inspector")
    with uow:
        s = uow.session
        stmt = (select(Proposal).join(Supply, Supply.id == Proposal.supply_id)
                .join(Demand, Demand.id == Proposal.demand_id)
                .where(_proposal_scope(uow.principal)))
        if status:
            stmt = stmt.where(Proposal.status == status)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Proposal.id.desc()).limit(page.limit)
                              .offset(page.offset)))
        return Page(items=_proposal_publics(uow, rows), total=total, limit=page.limit,
                    offset=page.offset)


def _load(s: Any, model: Any, key: int, vi: str, en: str) -> Any:
    row = s.get(model, key)
    if row is None:
        raise not_found(vi, en, key)
    return row


def respond(uow: UnitOfWork, proposal_id: int, accept: bool,
            data: ProposalAccept | None = None) -> ProposalPublic:
    """The seller or the buyer accepts (or declines) a proposal; when both have accepted it
    becomes an agreement."""
    require_role(uow.principal, "coop_manager", "buyer")
    p = uow.principal
    with uow:
        s = uow.session
        prop = _load(s, Proposal, proposal_id, "đề xuất", "proposal")
        sup = s.get(Supply, prop.supply_id)
        dem = s.get(Demand, prop.demand_id)
        assert sup is not None and dem is not None
        seller = p.organisation_id == sup.organisation_id and p.role == "coop_manager"
        buyer = p.organisation_id == dem.organisation_id and p.role == "buyer"
        if not (seller or buyer or p.is_admin):
            raise not_found("đề xuất", "proposal", proposal_id)
        if prop.status != "proposed":
            raise Conflict(f"Đề xuất #{proposal_id} đã ở trạng thái «{prop.status}».",
                           f"Proposal #{proposal_id} is already '{prop.status}'.")
        now = clock.now()
        if not accept:
            prop.status = "declined"
        else:
            if seller or p.is_admin:
                prop.seller_accepted_at = prop.seller_accepted_at or now
            if buyer or p.is_admin:
                prop.buyer_accepted_at = prop.buyer_accepted_at or now
            if prop.seller_accepted_at and prop.buyer_accepted_at:
                left_s = sup.volume_kg - _agreed(s, Agreement.supply_id, [sup.id]).get(sup.id, 0)
                left_d = dem.volume_kg - _agreed(s, Agreement.demand_id, [dem.id]).get(dem.id, 0)
                if prop.volume_kg > min(left_s, left_d) + 1e-6:
                    raise Conflict(
                        "Khối lượng đề xuất vượt phần còn lại của nguồn cung hoặc nhu cầu "
                        f"({format_number(min(left_s, left_d), 'vi')} kg).",
                        "The proposed volume exceeds what is left of the supply or the demand "
                        f"({format_number(min(left_s, left_d), 'en')} kg).")
                price = (data.price_vnd_per_kg if data else None) or dem.price_vnd_per_kg
                s.add(Agreement(proposal_id=prop.id, supply_id=sup.id, demand_id=dem.id,
                                seller_organisation_id=sup.organisation_id,
                                buyer_organisation_id=dem.organisation_id,
                                product_code=sup.product_code, volume_kg=prop.volume_kg,
                                price_vnd_per_kg=price))
                prop.status = "agreed"
        s.flush()
        uow.commit()
        return _proposal_publics(uow, [prop])[0]


def _agreement_public(uow: UnitOfWork, a: Agreement) -> AgreementPublic:
    names = registry.organisation_names(uow, [a.seller_organisation_id,
                                              a.buyer_organisation_id])
    return AgreementPublic(
        id=a.id, proposal_id=a.proposal_id, supply_id=a.supply_id, demand_id=a.demand_id,
        seller_organisation_id=a.seller_organisation_id,
        buyer_organisation_id=a.buyer_organisation_id,
        seller=names.get(a.seller_organisation_id, ""),
        buyer=names.get(a.buyer_organisation_id, ""), product_code=a.product_code,
        volume_kg=a.volume_kg, price_vnd_per_kg=a.price_vnd_per_kg,
        delivered_kg=a.delivered_kg, status=a.status, created_at=a.created_at)


def list_agreements(uow: UnitOfWork, page: PageRequest) -> Page[AgreementPublic]:
    require_login(uow.principal)
    p = uow.principal
    with uow:
        s = uow.session
        stmt = select(Agreement)
        if p.role in ("coop_manager", "buyer"):
            stmt = stmt.where((Agreement.seller_organisation_id == p.organisation_id)
                              | (Agreement.buyer_organisation_id == p.organisation_id))
        elif p.role not in ("admin", "province_officer", "commune_officer", "inspector"):
            raise PermissionDenied("Bạn không xem được các thoả thuận.",
                                   "You may not see agreements.")
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Agreement.id.desc()).limit(page.limit)
                              .offset(page.offset)))
        names = registry.organisation_names(
            uow, [x for a in rows for x in (a.seller_organisation_id, a.buyer_organisation_id)])
        items = []
        for a in rows:
            items.append(AgreementPublic(
                id=a.id, proposal_id=a.proposal_id, supply_id=a.supply_id,
                demand_id=a.demand_id, seller_organisation_id=a.seller_organisation_id,
                buyer_organisation_id=a.buyer_organisation_id,
                seller=names.get(a.seller_organisation_id, ""),
                buyer=names.get(a.buyer_organisation_id, ""), product_code=a.product_code,
                volume_kg=a.volume_kg, price_vnd_per_kg=a.price_vnd_per_kg,
                delivered_kg=a.delivered_kg, status=a.status, created_at=a.created_at))
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def record_delivery(uow: UnitOfWork, agreement_id: int, data: DeliveryCreate) -> DeliveryPublic:
    """A delivery under an agreement: the lot and volume shipped, recorded as an EPCIS
    TransactionEvent (the agreement as purchase order, the delivery as despatch advice) in the
    traceability repository, in the same transaction."""
    require_role(uow.principal, "coop_manager", "buyer")
    p = uow.principal
    with uow:
        s = uow.session
        a = _load(s, Agreement, agreement_id, "thoả thuận", "agreement")
        if not p.is_admin and p.organisation_id not in (a.seller_organisation_id,
                                                        a.buyer_organisation_id):
            raise not_found("thoả thuận", "agreement", agreement_id)
        if a.status != "active":
            raise Conflict(f"Thoả thuận #{a.id} đã hoàn thành.",
                           f"Agreement #{a.id} is already fulfilled.")
        if a.delivered_kg + data.volume_kg > a.volume_kg * OVER_DELIVERY + 1e-6:
            raise Conflict(
                f"Giao {format_number(data.volume_kg, 'vi')} kg vượt khối lượng thoả thuận "
                f"({format_number(a.volume_kg, 'vi')} kg, đã giao "
                f"{format_number(a.delivered_kg, 'vi')} kg).",
                f"Delivering {format_number(data.volume_kg, 'en')} kg exceeds the agreement "
                f"({format_number(a.volume_kg, 'en')} kg, {format_number(a.delivered_kg, 'en')}"
                " kg delivered).")
        at = to_utc(data.delivered_at).utc if data.delivered_at else clock.now()
        if at > clock.now() + dt.timedelta(minutes=5):
            raise invalid("delivered_at", "Thời điểm giao hàng ở tương lai.",
                          "The delivery time is in the future.")
        lot = trace.get_lot(uow, data.lot_id)
        if lot.organisation_id != a.seller_organisation_id:
            raise invalid("lot_id", f"Lô {lot.lot_code} không thuộc bên bán của thoả thuận.",
                          f"Lot {lot.lot_code} does not belong to the seller.")
        product = catalogue.product(a.product_code)
        if lot.crop and product and lot.crop != product.crop:
            raise invalid("lot_id", f"Lô {lot.lot_code} là {lot.crop}, không phải "
                          f"{product.name_vi}.", f"Lot {lot.lot_code} is {lot.crop}, not "
                          f"{product.name_en}.")
        delivery = Delivery(agreement_id=a.id, delivered_at=at, volume_kg=data.volume_kg,
                            lot_id=lot.id, event_ids=[], created_by=p.user_id)
        s.add(delivery)
        s.flush()
        issuer = get_settings().gs1_company_prefix
        event = {
            "type": "TransactionEvent", "action": "ADD",
            "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "eventTimeZoneOffset": "+07:00", "bizStep": "shipping",
            "disposition": "in_transit",
            "bizTransactionList": [
                {"type": "po", "bizTransaction":
                    f"urn:epcglobal:cbv:bt:{issuer}:MARKET-AGR-{a.id}"},
                {"type": "desadv", "bizTransaction":
                    f"urn:epcglobal:cbv:bt:{issuer}:MARKET-DLV-{delivery.id}"}],
            "quantityList": [{"epcClass": lot.epc_class, "quantity": round(data.volume_kg, 3),
                              "uom": "KGM"}],
        }
        event_id = trace.capture_event(uow, event)
        delivery.event_ids = [event_id]
        a.delivered_kg = round(a.delivered_kg + data.volume_kg, 3)
        if a.delivered_kg >= a.volume_kg - 1e-6:
            a.status = "fulfilled"
        s.flush()
        uow.commit()
        return DeliveryPublic(id=delivery.id, agreement_id=a.id, delivered_at=at,
                              volume_kg=delivery.volume_kg, lot_id=lot.id,
                              event_ids=[event_id], agreement=_agreement_public(uow, a))

