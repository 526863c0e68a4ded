"""HTTP adapter of the farm diary: parse, call one service, render."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from nongso.core.deps import LangDep, PageDep, UowDep
from nongso.core.errors import TooLarge
from nongso.core.fields import Id, SaneDate
from nongso.core.pagination import Page
from nongso.diary import services
from nongso.diary.schemas import (
    ActivityCreate,
    ActivityKind,
    ActivityPublic,
    ActivityStatus,
    ActivityUpdate,
    AreaAggregate,
    BulkActivityCreate,
    BulkResult,
    CoopSummary,
    FarmerHome,
    ImportReport,
    InputCreate,
    InputKind,
    InputPublic,
    InputUpdate,
    InputUsePublic,
    PlotCreate,
    PlotPublic,
    PlotUpdate,
    PurchaseCreate,
    PurchasePublic,
    RulePublic,
    SeasonCreate,
    SeasonPublic,
    SeasonReport,
    SeasonUpdate,
    SyncRequest,
    SyncResult,
    TemplatePublic,
    TreeCreate,
    TreePublic,
)

router = APIRouter(prefix="/diary", tags=["diary"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SeasonKeyQuery = Annotated[str, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$",
                                      description="e.g. dong_xuan:2025-2026")]


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


# --- plots, trees ---------------------------------------------------------------------------

@router.get("/plots", response_model=Page[PlotPublic])
def list_plots(uow: UowDep, page: PageDep, farmer_id: Id | None = None,
               organisation_id: Id | None = None,
               commune_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
               q: Annotated[str | None, Query(max_length=100)] = None) -> Page[PlotPublic]:
    return services.list_plots(uow, page, farmer_id, organisation_id, commune_code, q)


@router.post("/plots", response_model=PlotPublic, status_code=status.HTTP_201_CREATED)
def create_plot(body: PlotCreate, uow: UowDep, response: Response) -> PlotPublic:
    plot = services.create_plot(uow, body)
    response.headers["Location"] = f"/api/v1/diary/plots/{plot.id}"
    return plot


@router.get("/plots/{plot_id}", response_model=PlotPublic)
def get_plot(plot_id: Id, uow: UowDep) -> PlotPublic:
    return services.get_plot(uow, plot_id)


@router.patch("/plots/{plot_id}", response_model=PlotPublic)
def update_plot(plot_id: Id, body: PlotUpdate, uow: UowDep) -> PlotPublic:
    return services.update_plot(uow, plot_id, body)


@router.delete("/plots/{plot_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_plot(plot_id: Id, uow: UowDep) -> Response:
    services.delete_plot(uow, plot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/plots/{plot_id}/trees", response_model=list[TreePublic])
def list_trees(plot_id: Id, uow: UowDep) -> list[TreePublic]:
    return services.list_trees(uow, plot_id)


@router.post("/plots/{plot_id}/trees", response_model=TreePublic,
             status_code=status.HTTP_201_CREATED)
def add_tree(plot_id: Id, body: TreeCreate, uow: UowDep) -> TreePublic:
    return services.add_tree(uow, plot_id, body)


# --- seasons ----------------------------------------------------------------------------------

@router.get("/seasons", response_model=Page[SeasonPublic])
def list_seasons(uow: UowDep, page: PageDep, plot_id: Id | None = None,
                 season: Annotated[str | None, Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
                 organisation_id: Id | None = None, farmer_id: Id | None = None,
                 status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")]
                 = None,
                 commune_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
                 ) -> Page[SeasonPublic]:
    return services.list_seasons(uow, page, plot_id, season, organisation_id, farmer_id,
                                 status_, commune_code)


@router.post("/seasons", response_model=SeasonPublic, status_code=status.HTTP_201_CREATED)
def create_season(body: SeasonCreate, uow: UowDep, response: Response) -> SeasonPublic:
    season = services.create_season(uow, body)
    response.headers["Location"] = f"/api/v1/diary/seasons/{season.id}"
    return season


@router.get("/seasons/{season_id}", response_model=SeasonPublic)
def get_season(season_id: Id, uow: UowDep) -> SeasonPublic:
    return services.get_season(uow, season_id)


@router.patch("/seasons/{season_id}", response_model=SeasonPublic)
def update_season(season_id: Id, body: SeasonUpdate, uow: UowDep) -> SeasonPublic:
    return services.update_season(uow, season_id, body)


@router.post("/seasons/{season_id}/certify", response_model=SeasonPublic)
def certify_season(season_id: Id, uow: UowDep) -> SeasonPublic:
    """Certify a season compliant (refused with 409 while it has violations)."""
    return services.certify_season(uow, season_id)


@router.get("/seasons/{season_id}/report", response_model=SeasonReport)
def season_report(season_id: Id, uow: UowDep, lang: LangDep) -> SeasonReport:
    """Every compliance flag of the season with its rule and source."""
    return services.season_report(uow, season_id, lang)


@router.get("/seasons/{season_id}/input-uses", response_model=list[InputUsePublic])
def season_input_uses(season_id: Id, uow: UowDep) -> list[InputUsePublic]:
    return services.season_input_uses(uow, season_id)


@router.get("/seasons/{season_id}/record-book.xlsx")
def season_record_book_xlsx(season_id: Id, uow: UowDep) -> Response:
    """The season's diary as a VietGAP-style record book (Excel)."""
    content, name = services.season_record_book(uow, season_id, "xlsx")
    return _download(content, XLSX, name)


@router.get("/seasons/{season_id}/record-book.pdf")
def season_record_book_pdf(season_id: Id, uow: UowDep) -> Response:
    """The season's diary as a VietGAP-style record book (PDF, Vietnamese diacritics)."""
    content, name = services.season_record_book(uow, season_id, "pdf")
    return _download(content, "application/pdf", name)


# --- activities ------------------------------------------------------------------------------

@router.get("/activities", response_model=Page[ActivityPublic])
def list_activities(uow: UowDep, page: PageDep, lang: LangDep, season_id: Id | None = None,
                    plot_id: Id | None = None, kind: ActivityKind | None = None,
                    status_: Annotated[ActivityStatus | None, Query(alias="status")] = None,
                    since: SaneDate | None = None, until: SaneDate | None = None,
                    ) -> Page[ActivityPublic]:
    return services.list_activities(uow, page, season_id, plot_id, kind, status_, since, until,
                                    lang)


_FLAGS_409: dict[int | str, dict[str, Any]] = {409: {"description": (
                    "The record breaks a rule (banned ingredient on that date, "
                    "pre-harvest interval, dose above the label, implausible harvest): nothing "
                    "saved; the problem lists `flags` (what is wrong, the rule and its source, "
                    "what to do, in Vietnamese and English). Send it again with "
                    "`confirm_flags: true` to save it with its flags.")}}


@router.post("/activities", response_model=ActivityPublic, status_code=status.HTTP_201_CREATED,
             responses=_FLAGS_409)
def create_activity(body: ActivityCreate, uow: UowDep, lang: LangDep,
                    response: Response) -> ActivityPublic:
    """Record an activity; the same client_uuid sent again answers 200 with the first record.

    A record that breaks a rule answers 409 with its flags unless `confirm_flags` is true."""
    activity, created = services.create_activity(uow, body, lang)
    response.headers["Location"] = f"/api/v1/diary/activities/{activity.id}"
    if not created:
        response.status_code = status.HTTP_200_OK
    return activity


@router.post("/activities/bulk", response_model=BulkResult, status_code=status.HTTP_201_CREATED)
def bulk_record(body: BulkActivityCreate, uow: UowDep) -> BulkResult:
    """A co-op records the same activity on many member plots (farmers confirm or edit)."""
    return services.bulk_record(uow, body)


@router.get("/activities/{activity_id}", response_model=ActivityPublic)
def get_activity(activity_id: Id, uow: UowDep, lang: LangDep) -> ActivityPublic:
    return services.get_activity(uow, activity_id, lang)


@router.patch("/activities/{activity_id}", response_model=ActivityPublic, responses=_FLAGS_409)
def update_activity(activity_id: Id, body: ActivityUpdate, uow: UowDep,
                    lang: LangDep) -> ActivityPublic:
    """Edit an activity; with base_version, an edit of an older version is a 409 conflict."""
    return services.update_activity(uow, activity_id, body, lang)


@router.post("/activities/{activity_id}/confirm", response_model=ActivityPublic,
             responses=_FLAGS_409)
def confirm_activity(activity_id: Id, uow: UowDep, lang: LangDep,
                     body: ActivityUpdate | None = None) -> ActivityPublic:
    return services.confirm_activity(uow, activity_id, body, lang)


@router.delete("/activities/{activity_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_activity(activity_id: Id, uow: UowDep) -> Response:
    services.delete_activity(uow, activity_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/activities/{activity_id}/photos", status_code=status.HTTP_201_CREATED)
async def add_photo(activity_id: Id, uow: UowDep, photo: Annotated[UploadFile, File()],
                    client_uuid: Annotated[str | None, Form(max_length=36)] = None,
                    ) -> dict[str, int]:
    content = await photo.read(services.MAX_PHOTO_BYTES + 1)
    if len(content) > services.MAX_PHOTO_BYTES:
        raise TooLarge("Ảnh quá lớn; tối đa 5 MB.", "The photo is too large; at most 5 MB.")
    return {"id": services.add_photo(uow, activity_id, content, client_uuid)}


@router.post("/photos", status_code=status.HTTP_201_CREATED)
async def add_photo_by_uuid(uow: UowDep, photo: Annotated[UploadFile, File()],
                            activity_uuid: Annotated[uuid.UUID, Form()],
                            client_uuid: Annotated[uuid.UUID | None, Form()] = None,
                            ) -> dict[str, int]:
    """Attach a photo to the activity with that client UUID (offline phones)."""
    content = await photo.read(services.MAX_PHOTO_BYTES + 1)
    if len(content) > services.MAX_PHOTO_BYTES:
        raise TooLarge("Ảnh quá lớn; tối đa 5 MB.", "The photo is too large; at most 5 MB.")
    return {"id": services.add_photo(uow, None, content, str(client_uuid) if client_uuid
                                     else None, str(activity_uuid))}


@router.get("/photos/{photo_id}")
def get_photo(photo_id: Id, uow: UowDep) -> Response:
    data, media_type = services.get_photo(uow, photo_id)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private"})


@router.post("/sync", response_model=SyncResult)
def sync(body: SyncRequest, uow: UowDep, lang: LangDep) -> SyncResult:
    """Apply a phone's offline queue: one result per change (applied, duplicate, conflict,
    error)."""
    return services.sync(uow, body, lang)


# --- inputs and purchases ----------------------------------------------------------------------

@router.get("/inputs", response_model=Page[InputPublic])
def list_inputs(uow: UowDep, page: PageDep, kind: InputKind | None = None,
                q: Annotated[str | None, Query(max_length=100)] = None) -> Page[InputPublic]:
    return services.list_inputs(uow, page, kind, q)


@router.post("/inputs", response_model=InputPublic, status_code=status.HTTP_201_CREATED)
def create_input(body: InputCreate, uow: UowDep, response: Response) -> InputPublic:
    item = services.create_input(uow, body)
    response.headers["Location"] = f"/api/v1/diary/inputs/{item.id}"
    return item


@router.get("/inputs/{input_id}", response_model=InputPublic)
def get_input(input_id: Id, uow: UowDep) -> InputPublic:
    return services.get_input(uow, input_id)


@router.patch("/inputs/{input_id}", response_model=InputPublic)
def update_input(input_id: Id, body: InputUpdate, uow: UowDep) -> InputPublic:
    return services.update_input(uow, input_id, body)


@router.delete("/inputs/{input_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_input(input_id: Id, uow: UowDep) -> Response:
    services.delete_input(uow, input_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/purchases", response_model=Page[PurchasePublic])
def list_purchases(uow: UowDep, page: PageDep, input_id: Id | None = None
                   ) -> Page[PurchasePublic]:
    return services.list_purchases(uow, page, input_id)


@router.post("/purchases", response_model=PurchasePublic, status_code=status.HTTP_201_CREATED)
def create_purchase(body: PurchaseCreate, uow: UowDep) -> PurchasePublic:
    return services.create_purchase(uow, body)


# --- rules, templates, views, import ---------------------------------------------------------

@router.get("/rules", response_model=list[RulePublic])
def list_rules(lang: LangDep) -> list[RulePublic]:
    """The compliance rules the diary checks, with their sources."""
    return services.list_rules(lang)


@router.get("/templates", response_model=list[TemplatePublic])
def list_templates(lang: LangDep) -> list[TemplatePublic]:
    return services.list_templates(lang)


@router.get("/me", response_model=FarmerHome)
def farmer_home(uow: UowDep, lang: LangDep) -> FarmerHome:
    """The farmer's plots, current seasons, safe-harvest dates, tasks and last activities."""
    return services.farmer_home(uow, lang)


@router.get("/coops/{organisation_id}/summary", response_model=CoopSummary)
def coop_summary(organisation_id: Id, season: SeasonKeyQuery, uow: UowDep,
                 lang: LangDep) -> CoopSummary:
    return services.coop_summary(uow, organisation_id, season, lang)


@router.get("/coops/{organisation_id}/input-use.xlsx")
def coop_input_use_xlsx(organisation_id: Id, season: SeasonKeyQuery, uow: UowDep) -> Response:
    content, name = services.coop_input_use_xlsx(uow, organisation_id, season)
    return _download(content, XLSX, name)


@router.get("/coops/{organisation_id}/harvest.xlsx")
def coop_harvest_xlsx(organisation_id: Id, season: SeasonKeyQuery, uow: UowDep) -> Response:
    content, name = services.coop_harvest_xlsx(uow, organisation_id, season)
    return _download(content, XLSX, name)


@router.get("/aggregates", response_model=AreaAggregate)
def area_aggregate(uow: UowDep, lang: LangDep,
                   unit: Annotated[str, Query(pattern=r"^\d{2}(\d{3})?$")],
                   season: Annotated[str | None,
                                     Query(pattern=r"^[a-z_]+:\d{4}(-\d{4})?$")] = None,
                   ) -> AreaAggregate:
    """Seasons and activities by commune of a province (or of one commune): aggregates only."""
    return services.area_aggregate(uow, unit, season, lang)


@router.get("/import/template.xlsx")
def import_template() -> Response:
    """The Vietnamese Excel template of the diary import."""
    return _download(services.import_template(), XLSX, "mau-nhap-nhat-ky.xlsx")


@router.post("/import", response_model=ImportReport)
async def import_activities(
    uow: UowDep, lang: LangDep, file: Annotated[UploadFile, File()],
    mode: Annotated[Literal["all", "partial"], Form()] = "all",
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """Import activities from the Excel template: all or nothing by default (every error is
    reported with its row and column); ``mode=partial`` keeps the good rows."""
    content = await file.read(services.MAX_IMPORT_BYTES + 1)
    return services.import_activities(uow, content, file.filename or "import.xlsx", mode,
                                      dry_run, lang)
