"""HTTP adapter of the market: prices, anomalies, forecasts, supply and demand, listings,
shared equipment. Each route parses, calls one service, renders."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, Path, Query, Response, UploadFile, status

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.errors import TooLarge
from nongso.core.pagination import Page
from nongso.market import services
from nongso.market.schemas import (
    AgreementPublic,
    AnomalyReport,
    BookingCreate,
    DeliveryCreate,
    DeliveryPublic,
    DemandCreate,
    DemandPublic,
    EquipmentCreate,
    EquipmentKind,
    EquipmentPublic,
    FeedReport,
    ForecastPublic,
    FxRatePublic,
    FxRateSet,
    HarvestSuggestion,
    ImportReport,
    JobCreate,
    JobPublic,
    Level,
    ListingCreate,
    ListingPublic,
    ListingUpdate,
    MaintenanceCreate,
    MatchReport,
    OcopListedShare,
    ProductPublic,
    ProposalAccept,
    ProposalPublic,
    QuoteCreate,
    QuotePublic,
    SeriesDetail,
    SeriesPublic,
    SlotPublic,
    SupplyCreate,
    SupplyPublic,
)

router = APIRouter(prefix="/market", tags=["market"])
MAX_IMPORT_BYTES = 5 * 1024 * 1024
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Commune = Annotated[str, Path(pattern=r"^\d{5}$")]


# --- prices ---------------------------------------------------------------------------------

@router.get("/products", response_model=list[ProductPublic])
def products(lang: LangDep) -> list[ProductPublic]:
    """The products whose prices are collected, with their plausible range (đ/kg)."""
    return [ProductPublic(code=p.code, name=p.name(lang), crop=p.crop, form=p.form,
                          min_vnd_kg=p.min_vnd_kg, max_vnd_kg=p.max_vnd_kg)
            for p in services.products()]


@router.get("/series", response_model=Page[SeriesPublic])
def list_series(
    uow: UowDep, page: PageDep, lang: LangDep,
    product: Annotated[str | None, Query(max_length=100)] = None,
    level: Level | None = None,
    place_code: Annotated[str | None, Query(pattern=r"^(\d{2}|\d{5})$")] = None,
) -> Page[SeriesPublic]:
    """Price series (product × market level × place) with their latest monthly mean."""
    return services.list_series(uow, page, product, level, place_code, lang)


@router.get("/series/{series_id}", response_model=SeriesDetail)
def series_detail(series_id: ItemId, uow: UowDep, lang: LangDep) -> SeriesDetail:
    """Monthly means, the IPA month by month, and why the latest month warns or not."""
    return services.series_detail(uow, series_id, lang)


@router.get("/series/{series_id}/forecast", response_model=ForecastPublic)
def price_forecast(series_id: ItemId, uow: UowDep, lang: LangDep) -> ForecastPublic:
    """The forecast with its MASE against "same month last year" (used only if MASE < 1)."""
    return services.price_forecast(uow, series_id, lang)


@router.get("/output-forecast/{commune_code}", response_model=ForecastPublic)
def output_forecast(commune_code: Commune, uow: UowDep, lang: LangDep) -> ForecastPublic:
    """Seasonal output of a commune (from the farm diary) and its forecast."""
    return services.output_forecast(uow, commune_code, lang)


@router.get("/quotes", response_model=Page[QuotePublic])
def list_quotes(uow: UowDep, page: PageDep,
                series_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                since: dt.date | None = None) -> Page[QuotePublic]:
    return services.list_quotes(uow, page, series_id, since)


@router.post("/quotes", response_model=QuotePublic, status_code=status.HTTP_201_CREATED)
def add_quote(body: QuoteCreate, uow: UowDep) -> QuotePublic:
    """Record a price as written ("7.500đ", "7,5k", "150.000 đ/giạ", "480 USD/t")."""
    return services.add_quote(uow, body)


@router.post("/quotes/import", response_model=ImportReport)
async def import_quotes(
    uow: UowDep, lang: LangDep, file: Annotated[UploadFile, File()],
    mode: Annotated[Literal["all", "only_valid"], Form()] = "all",
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """A CSV or Excel sheet of prices: all or nothing (every error with its row and column),
    or ``only_valid``."""
    content = await file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise TooLarge("Tệp quá lớn; tối đa 5 MB.", "The file is too large; at most 5 MB.")
    return services.import_prices(uow, content, file.filename or "gia.csv", mode, dry_run,
                                  lang)


@router.get("/anomalies", response_model=AnomalyReport)
def anomalies(uow: UowDep, lang: LangDep, all: bool = False) -> AnomalyReport:
    """The latest IPA of every series: the warnings (``all=true``: every series, with why it
    does or does not warn)."""
    return services.anomaly_report(uow, lang, everything=all)


@router.post("/anomalies/evaluate", response_model=AnomalyReport)
def evaluate_anomalies(uow: UowDep) -> AnomalyReport:
    """Recompute the IPA and raise, update or clear the price alerts (province officers)."""
    return services.evaluate_anomalies(uow)


@router.get("/fx-rates", response_model=list[FxRatePublic])
def fx_rates(uow: UowDep) -> list[FxRatePublic]:
    return services.list_fx_rates(uow)


@router.put("/fx-rates/{day}", response_model=FxRatePublic)
def set_fx_rate(day: dt.date, body: FxRateSet, uow: UowDep) -> FxRatePublic:
    """The day's USD → VND rate (used for quotes in USD/t)."""
    return services.set_fx_rate(uow, day, body)


@router.post("/feed/pull", response_model=FeedReport)
def pull_feed(uow: UowDep, lang: LangDep, since: dt.date) -> FeedReport:
    """Read the configured outside price feed (``NONGSO_MARKET_FEED``)."""
    return services.pull_feed(uow, since, lang=lang)


# --- supply and demand ----------------------------------------------------------------------

@router.get("/supplies", response_model=Page[SupplyPublic])
def list_supplies(uow: UowDep, page: PageDep,
                  status_: Annotated[Literal["open", "closed"] | None,
                                     Query(alias="status")] = "open",
                  product: Annotated[str | None, Query(max_length=100)] = None,
                  organisation_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                  ) -> Page[SupplyPublic]:
    return services.list_supplies(uow, page, status_, product, organisation_id)


@router.post("/supplies", response_model=SupplyPublic, status_code=status.HTTP_201_CREATED)
def create_supply(body: SupplyCreate, uow: UowDep) -> SupplyPublic:
    """A co-operative offers an expected harvest."""
    return services.create_supply(uow, body)


@router.get("/supplies/suggestions", response_model=list[HarvestSuggestion])
def harvest_suggestions(
    uow: UowDep,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> list[HarvestSuggestion]:
    """Expected harvests read from the co-operative's open diary seasons."""
    return services.harvest_suggestions(uow, organisation_id)


@router.get("/demands", response_model=Page[DemandPublic])
def list_demands(uow: UowDep, page: PageDep,
                 status_: Annotated[Literal["open", "closed"] | None,
                                    Query(alias="status")] = "open",
                 product: Annotated[str | None, Query(max_length=100)] = None,
                 organisation_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                 ) -> Page[DemandPublic]:
    return services.list_demands(uow, page, status_, product, organisation_id)


@router.post("/demands", response_model=DemandPublic, status_code=status.HTTP_201_CREATED)
def create_demand(body: DemandCreate, uow: UowDep) -> DemandPublic:
    """A buyer publishes its demand."""
    return services.create_demand(uow, body)


@router.post("/matching/run", response_model=MatchReport)
def run_matching(uow: UowDep) -> MatchReport:
    """Propose the optimal matches (volume first, then least transport)."""
    return services.run_matching(uow)


@router.get("/proposals", response_model=Page[ProposalPublic])
def list_proposals(uow: UowDep, page: PageDep,
                   status_: Annotated[Literal["proposed", "agreed", "declined", "superseded"]
                                      | None, Query(alias="status")] = None,
                   ) -> Page[ProposalPublic]:
    return services.list_proposals(uow, page, status_)


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalPublic)
def accept_proposal(proposal_id: ItemId, uow: UowDep,
                    body: Annotated[ProposalAccept | None, Body()] = None) -> ProposalPublic:
    """The seller or the buyer accepts; both: an agreement."""
    return services.respond(uow, proposal_id, True, body)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalPublic)
def decline_proposal(proposal_id: ItemId, uow: UowDep) -> ProposalPublic:
    return services.respond(uow, proposal_id, False)


@router.get("/agreements", response_model=Page[AgreementPublic])
def list_agreements(uow: UowDep, page: PageDep) -> Page[AgreementPublic]:
    return services.list_agreements(uow, page)


@router.post("/agreements/{agreement_id}/deliveries", response_model=DeliveryPublic,
             status_code=status.HTTP_201_CREATED)
def record_delivery(agreement_id: ItemId, body: DeliveryCreate, uow: UowDep) -> DeliveryPublic:
    """A delivery: becomes an EPCIS TransactionEvent in the traceability repository."""
    return services.record_delivery(uow, agreement_id, body)


# --- listings -------------------------------------------------------------------------------

@router.get("/listings", response_model=Page[ListingPublic])
def list_listings(
    uow: UowDep, page: PageDep, q: Annotated[str | None, Query(max_length=200)] = None,
    product: Annotated[str | None, Query(max_length=100)] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    ocop: bool | None = None,
) -> Page[ListingPublic]:
    """The public catalogue."""
    return services.list_listings(uow, page, q, product, organisation_id, ocop)


@router.get("/listings/feed.{fmt}")
def listings_feed(fmt: Literal["csv", "json"], uow: UowDep) -> Response:
    """The catalogue for e-commerce platforms (CSV or JSON)."""
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(services.catalogue_feed(uow, fmt), media_type=media, headers={
        "Content-Disposition": f'inline; filename="nongso-catalogue.{fmt}"'})


@router.get("/ocop-share", response_model=OcopListedShare)
def ocop_share(uow: UowDep) -> OcopListedShare:
    """The share of the province's OCOP products listed online."""
    return services.ocop_listed_share(uow)


@router.post("/listings", response_model=ListingPublic, status_code=status.HTTP_201_CREATED)
def create_listing(body: ListingCreate, uow: UowDep) -> ListingPublic:
    return services.create_listing(uow, body)


@router.get("/listings/{listing_id}", response_model=ListingPublic)
def get_listing(listing_id: ItemId, uow: UowDep) -> ListingPublic:
    return services.get_listing(uow, listing_id)


@router.patch("/listings/{listing_id}", response_model=ListingPublic)
def update_listing(listing_id: ItemId, body: ListingUpdate, uow: UowDep) -> ListingPublic:
    return services.update_listing(uow, listing_id, body)


@router.delete("/listings/{listing_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_listing(listing_id: ItemId, uow: UowDep) -> Response:
    services.delete_listing(uow, listing_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- shared equipment -----------------------------------------------------------------------

@router.get("/equipment", response_model=Page[EquipmentPublic])
def list_equipment(uow: UowDep, page: PageDep, lang: LangDep, kind: EquipmentKind | None = None,
                   organisation_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
                   ) -> Page[EquipmentPublic]:
    return services.list_equipment(uow, page, kind, organisation_id, lang)


@router.post("/equipment", response_model=EquipmentPublic, status_code=status.HTTP_201_CREATED)
def create_equipment(body: EquipmentCreate, uow: UowDep, lang: LangDep) -> EquipmentPublic:
    return services.create_equipment(uow, body, lang)


@router.get("/equipment/search", response_model=list[EquipmentPublic])
def search_equipment(uow: UowDep, lang: LangDep,
                     field_id: Annotated[int, Query(ge=1, le=2**63 - 1)],
                     radius_km: Annotated[int, Query(description="5, 20 or 50", ge=1, le=500)] = 20,
                     kind: EquipmentKind | None = None) -> list[EquipmentPublic]:
    """Machines within 5/20/50 km of a field, nearest first."""
    return services.search(uow, field_id, radius_km, kind, lang)


@router.get("/equipment/{equipment_id}", response_model=EquipmentPublic)
def get_equipment(equipment_id: ItemId, uow: UowDep, lang: LangDep) -> EquipmentPublic:
    return services.get_equipment(uow, equipment_id, lang)


@router.get("/equipment/{equipment_id}/slots", response_model=list[SlotPublic])
def equipment_slots(equipment_id: ItemId, uow: UowDep,
                    since: dt.datetime | None = None) -> list[SlotPublic]:
    """The machine's calendar (bookings and maintenance)."""
    return services.slots(uow, equipment_id, since)


@router.post("/equipment/{equipment_id}/maintenance", response_model=SlotPublic,
             status_code=status.HTTP_201_CREATED)
def add_maintenance(equipment_id: ItemId, body: MaintenanceCreate, uow: UowDep) -> SlotPublic:
    return services.add_maintenance(uow, equipment_id, body)


@router.post("/maintenance/{slot_id}/complete", response_model=SlotPublic)
def complete_maintenance(slot_id: ItemId, uow: UowDep) -> SlotPublic:
    return services.complete_maintenance(uow, slot_id)


@router.post("/bookings", response_model=SlotPublic, status_code=status.HTTP_201_CREATED)
def book(body: BookingCreate, uow: UowDep) -> SlotPublic:
    """Book a machine for adjacent fields in a window (times without a zone: Vietnam time).
    An overlapping booking or maintenance block: 409."""
    return services.book(uow, body)


@router.post("/bookings/{slot_id}/cancel", response_model=SlotPublic)
def cancel_booking(slot_id: ItemId, uow: UowDep) -> SlotPublic:
    return services.cancel(uow, slot_id)


@router.post("/bookings/{slot_id}/start", response_model=SlotPublic)
def start_booking(slot_id: ItemId, uow: UowDep) -> SlotPublic:
    return services.start(uow, slot_id)


@router.post("/bookings/{slot_id}/job", response_model=JobPublic,
             status_code=status.HTTP_201_CREATED)
def record_job(slot_id: ItemId, body: JobCreate, uow: UowDep) -> JobPublic:
    """Hours (hour meter), area, fuel and cost of the work, with its diary activity."""
    return services.record_job(uow, slot_id, body)
