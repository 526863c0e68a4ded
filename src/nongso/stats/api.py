"""HTTP adapter of the statistics: parse, call one service, render.

``GET /api/v1/analytics`` is the DHIS2-like analytics (``dx``, ``pe``, ``ou``); the rest is
under ``/api/v1/stats``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from nongso.core.deps import LangDep, UowDep
from nongso.core.errors import TooLarge
from nongso.core.settings import get_settings
from nongso.stats import exports, services
from nongso.stats.schemas import (
    AllocationPublic,
    AllocationUpdate,
    AnalyticsResult,
    ApprovalAction,
    ApprovalOverview,
    ApprovedValue,
    CalendarPublic,
    CalendarUpdate,
    CategoryOptionPublic,
    DashboardLayout,
    DataElementCreate,
    DataElementPublic,
    DatasetPublic,
    FormPublic,
    FormSave,
    ImportReport,
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    OutlierPublic,
    RefreshReport,
    ReportPublic,
    SeasonReport,
    TargetPublic,
    ValidationRulePublic,
    ViolationPublic,
)

router = APIRouter(prefix="/stats", tags=["stats"])
analytics_router = APIRouter(tags=["stats"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 5 * 1024 * 1024
Code = Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)]
PeriodQ = Annotated[str, Query(min_length=4, max_length=30)]


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@analytics_router.get("/analytics", response_model=AnalyticsResult)
def analytics(
    uow: UowDep, lang: LangDep,
    dx: Annotated[str | None, Query(max_length=2000, description="Data elements and "
                                    "indicators: sown_area.rice;rice_yield")] = None,
    pe: Annotated[str | None, Query(max_length=2000, description="Periods: "
                                    "dong_xuan:2025-2026;LAST_15_SEASONS")] = None,
    ou: Annotated[str | None, Query(max_length=4000, description="Units: 82, 29305, "
                                    "LEVEL-2;82")] = None,
    totals: bool = False,
    approved: Annotated[bool, Query(description="Only approved values")] = False,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """DHIS2-like analytics: one row per (dx, pe, ou) with its value, whether part of it was
    allocated from a split legacy commune, and whether it is approved. Values are current
    (kept up to date as records change: no analytics run). ``format=csv`` for Excel."""
    result = services.analytics(uow, dx, pe, ou, totals=totals, approved_only=approved,
                                lang=lang)
    if format == "csv":
        return Response(exports.analytics_csv(result, lang), media_type="text/csv; "
                        "charset=utf-8", headers={
                            "Content-Disposition": 'attachment; filename="analytics.csv"'})
    return Response(result.model_dump_json(), media_type="application/json")


# --- metadata ---------------------------------------------------------------------------------


@router.get("/data-elements", response_model=list[DataElementPublic])
def list_data_elements(uow: UowDep) -> list[DataElementPublic]:
    return services.list_data_elements(uow)


@router.post("/data-elements", response_model=DataElementPublic,
             status_code=status.HTTP_201_CREATED)
def create_data_element(uow: UowDep, data: DataElementCreate) -> DataElementPublic:
    """A figure the province adds (typed by the communes or imported)."""
    return services.create_data_element(uow, data)


@router.get("/options", response_model=list[CategoryOptionPublic])
def list_options(uow: UowDep) -> list[CategoryOptionPublic]:
    return services.list_options(uow)


@router.get("/indicators", response_model=list[IndicatorPublic])
def list_indicators(uow: UowDep) -> list[IndicatorPublic]:
    return services.list_indicators(uow)


@router.post("/indicators", response_model=IndicatorPublic, status_code=status.HTTP_201_CREATED)
def create_indicator(uow: UowDep, data: IndicatorCreate) -> IndicatorPublic:
    """An indicator as a formula over data elements (``#{output.rice} /
    #{harvested_area.rice}``, ``previous(...)`` for the same period a year earlier)."""
    return services.create_indicator(uow, data)


@router.patch("/indicators/{code}", response_model=IndicatorPublic)
def update_indicator(code: str, uow: UowDep, data: IndicatorUpdate) -> IndicatorPublic:
    return services.update_indicator(uow, code, data)


@router.delete("/indicators/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_indicator(code: str, uow: UowDep) -> Response:
    services.delete_indicator(uow, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/datasets", response_model=list[DatasetPublic])
def list_datasets(uow: UowDep) -> list[DatasetPublic]:
    return services.list_datasets(uow)


@router.get("/validation-rules", response_model=list[ValidationRulePublic])
def list_rules(uow: UowDep) -> list[ValidationRulePublic]:
    return services.list_rules(uow)


@router.get("/calendars", response_model=list[CalendarPublic])
def list_calendars(uow: UowDep) -> list[CalendarPublic]:
    return services.list_calendars(uow)


@router.put("/calendars/{province_code}/{kind}", response_model=CalendarPublic)
def set_calendar(province_code: str, kind: str, uow: UowDep, data: CalendarUpdate
                 ) -> CalendarPublic:
    """The province's own dates of a kind of season."""
    return services.set_calendar(uow, province_code, kind, data)


@router.get("/allocations", response_model=list[AllocationPublic])
def list_allocations(uow: UowDep, old_code: Annotated[str | None, Query(
        pattern=r"^\d{5}$")] = None) -> list[AllocationPublic]:
    """How the figures of split legacy communes are shared among the 2025 communes."""
    return services.list_allocations(uow, old_code)


@router.put("/allocations/{old_code}", response_model=list[AllocationPublic])
def set_allocation(old_code: str, uow: UowDep, data: AllocationUpdate
                   ) -> list[AllocationPublic]:
    return services.set_allocation(uow, old_code, data)


# --- data entry and approval -----------------------------------------------------------------


@router.get("/forms/{dataset}/{period}/{org_unit}", response_model=FormPublic)
def get_form(dataset: str, period: str, org_unit: str, uow: UowDep, lang: LangDep
             ) -> FormPublic:
    return services.get_form(uow, dataset, period, org_unit, lang)


@router.put("/forms", response_model=FormPublic)
def save_form(uow: UowDep, lang: LangDep, data: FormSave) -> FormPublic:
    """Save a commune's typed values: ``null`` is blank (removes a value), 0 is a value;
    approved values are locked (409)."""
    return services.save_form(uow, data, lang)


@router.get("/reports", response_model=ApprovalOverview)
def report_overview(uow: UowDep, lang: LangDep, dataset: Code, period: PeriodQ
                    ) -> ApprovalOverview:
    """Every commune's report of a dataset for a period: status, completeness, timeliness."""
    return services.overview(uow, dataset, period, None, lang)


@router.post("/reports/{dataset}/{period}/{org_unit}/{action}", response_model=ReportPublic)
def report_action(dataset: str, period: str, org_unit: str,
                  action: Literal["approve", "accept", "return", "unapprove"], uow: UowDep,
                  body: ApprovalAction | None = None) -> ReportPublic:
    """approve (commune, or province level with a 2-digit unit), accept (province, second
    step), return (province, with a comment), unapprove."""
    if action == "approve":
        return services.approve(uow, dataset, period, org_unit, body)
    if action == "accept":
        return services.accept(uow, dataset, period, org_unit, body)
    if action == "return":
        return services.return_report(uow, dataset, period, org_unit,
                                      body or ApprovalAction())
    return services.unapprove(uow, dataset, period, org_unit)


@router.get("/validation", response_model=list[ViolationPublic])
def validation(uow: UowDep, lang: LangDep, dataset: Code, period: PeriodQ
               ) -> list[ViolationPublic]:
    return services.validate(uow, dataset, period, None, lang)


@router.get("/outliers", response_model=list[OutlierPublic])
def outliers(uow: UowDep, lang: LangDep, dataset: Code, period: PeriodQ) -> list[OutlierPublic]:
    """Outliers of a dataset's figures for a period: z-score, modified z-score, min–max,
    the same season in earlier years, neighbouring communes."""
    return services.outliers_scan(uow, dataset, period, None, lang)


# --- import ----------------------------------------------------------------------------------


@router.get("/imports/template.xlsx")
def import_template(uow: UowDep) -> Response:
    return _download(services.import_template(uow), XLSX, "mau-nhap-so-lieu-thong-ke.xlsx")


@router.post("/imports", response_model=ImportReport, status_code=status.HTTP_201_CREATED)
async def import_file(
    uow: UowDep, lang: LangDep, file: Annotated[UploadFile, File()],
    encoding: Annotated[Literal["auto", "utf-8", "tcvn3", "vni", "cp1258"], Form()] = "auto",
    period: Annotated[str | None, Form(max_length=30)] = None,
    crop: Annotated[str | None, Form(max_length=50)] = None,
    cong_m2: Annotated[float, Form(ge=500, le=2000)] = 1000.0,
    gia_kg: Annotated[float, Form(ge=5, le=50)] = 20.0,
    units_2025: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
    approved: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """Import historic figures from Excel or CSV (UTF-8 with or without BOM, TCVN3, VNI):
    all or nothing; every error with its row and column."""
    content = await file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise TooLarge("Tệp quá 5 MB.", "The file is larger than 5 MB.")
    return services.import_file(uow, content, file.filename or "import.csv",
                                encoding=encoding, period=period or None, crop=crop or None,
                                cong_m2=cong_m2, gia_kg=gia_kg, units_2025=units_2025,
                                replace=replace, approved=approved, dry_run=dry_run, lang=lang)


# --- outputs ---------------------------------------------------------------------------------


@router.get("/season-report", response_model=SeasonReport)
def season_report(uow: UowDep, lang: LangDep, season: PeriodQ, crop: Code = "rice",
                  format: Literal["json", "xlsx", "pdf"] = "json") -> Response:
    """The seasonal production report by commune against the same season last year; Excel
    and PDF in Vietnamese."""
    if format == "json":
        report = services.season_report(uow, season, crop, None, lang)
        return Response(report.model_dump_json(), media_type="application/json")
    content, media = services.season_report_file(uow, season, format, crop)
    name = f"bao-cao-san-xuat-{season.replace(':', '-')}.{format}"
    return _download(content, media, name)


@router.get("/targets", response_model=list[TargetPublic])
def targets(uow: UowDep, lang: LangDep) -> list[TargetPublic]:
    """The province's digital-transformation targets, computed now, with their goals."""
    return services.province_targets(uow, get_settings().province_code, lang)


@router.get("/approved-values", response_model=list[ApprovedValue])
def approved_values(uow: UowDep, lang: LangDep, since_year: Annotated[
        int | None, Query(ge=1975, le=2100)] = None) -> list[ApprovedValue]:
    """Approved figures by commune × season × data element (as published as open data)."""
    return services.approved_values(uow, None, since_year, lang)


@router.get("/dashboard/layout", response_model=DashboardLayout)
def get_layout(uow: UowDep) -> DashboardLayout:
    return services.get_layout(uow)


@router.put("/dashboard/layout", response_model=DashboardLayout)
def save_layout(uow: UowDep, data: DashboardLayout) -> DashboardLayout:
    """The officer's order of the dashboard items and which are hidden."""
    return services.save_layout(uow, data)


@router.post("/refresh", response_model=RefreshReport)
def refresh(uow: UowDep) -> RefreshReport:
    """Recount what is queued now (admin; the background refresher does it every few
    seconds)."""
    return services.refresh(uow, force_snapshots=True)


@router.post("/rebuild", response_model=RefreshReport)
def rebuild(uow: UowDep) -> RefreshReport:
    """Recount every automatic value from its sources (admin; a repair)."""
    return services.rebuild(uow)
