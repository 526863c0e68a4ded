"""The province's routine seasonal production report by commune: sown, harvested, yield and
output against the same season of the previous year (data, Excel, PDF)."""

from __future__ import annotations

from sqlalchemy import select

from nongso.core import clock
from nongso.core.permissions import require_login
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import exports, formulas, periods
from nongso.stats.models import Report
from nongso.stats.schemas import SeasonReport, SeasonReportRow
from nongso.stats.services import _store
from nongso.stats.services._common import (
    commune_names,
    invalid,
    meta,
    parse_period,
    province_name,
)

ELEMENTS = ("sown_area", "harvested_area", "output")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _change(now: float | None, before: float | None) -> float | None:
    return round(100 * now / before - 100, 1) if now is not None and before else None


def season_report(uow: UnitOfWork, season: str, crop: str = "rice",
                  province_code: str | None = None, lang: str = "vi") -> SeasonReport:
    require_login(uow.principal)
    province = province_code or get_settings().province_code
    with uow:
        s = uow.session
        m = meta(s)
        p = parse_period(m, season, province, "season")
        if p.type != "season":
            raise invalid("season", "Báo cáo này theo vụ (ví dụ dong_xuan:2025-2026).",
                          "This report is by season (e.g. dong_xuan:2025-2026).")
        if crop not in m.options.get("crop", {}):
            raise invalid("crop", f"Cây trồng «{crop}» không có trong danh mục.",
                          f"Unknown crop '{crop}'.")
        prev = periods.previous_same(p, m.calendar(province))
        communes = commune_names(uow, province)
        cube = _store.load_cube(uow, s, m, province, set(ELEMENTS), [p, prev])
        statuses = {r.org_unit: r.status for r in s.scalars(select(Report).where(
            Report.dataset == "crop_season", Report.period == p.id,
            Report.province_code == province, Report.level == "commune"))}

        def total(element: str, pe: str, cs: list[str]) -> tuple[float | None, bool]:
            v, allocated, _ = cube.total(formulas.Ref(element, crop), [pe], cs)
            return (round(v, 3) if v is not None else None), allocated

        def row(code: str, name: str, cs: list[str], status: str) -> SeasonReportRow:
            vals = {}
            allocated = False
            for e in ELEMENTS:
                for pe in (p.id, prev.id):
                    vals[(e, pe)], a = total(e, pe, cs)
                    allocated |= a
            out_now, out_prev = vals[("output", p.id)], vals[("output", prev.id)]
            return SeasonReportRow(
                commune_code=code, commune_name=name, sown_ha=vals[("sown_area", p.id)],
                harvested_ha=vals[("harvested_area", p.id)],
                yield_t_ha=_ratio(out_now, vals[("harvested_area", p.id)]), output_t=out_now,
                prev_sown_ha=vals[("sown_area", prev.id)],
                prev_harvested_ha=vals[("harvested_area", prev.id)],
                prev_yield_t_ha=_ratio(out_prev, vals[("harvested_area", prev.id)]),
                prev_output_t=out_prev, output_change_pct=_change(out_now, out_prev),
                allocated=allocated, status=status)

        present = sorted({c for (e, _pe, c) in cube.data if e in ELEMENTS} & set(communes))
        rows = [row(c, communes[c].name, [c], statuses.get(c, "open")) for c in present]
        all_status = {r.status for r in rows}
        total_row = row(province, "Tổng cộng" if lang == "vi" else "Total", present,
                        all_status.pop() if len(all_status) == 1 else "mixed")
        crop_names = m.options["crop"][crop]
        return SeasonReport(
            province_code=province, province_name=province_name(uow, province), crop=crop,
            crop_name=crop_names[0 if lang == "vi" else 1], season=p.id,
            season_label=p.label(lang), previous=prev.id, previous_label=prev.label(lang),
            rows=rows, total=total_row, generated_at=clock.now())


def season_report_file(uow: UnitOfWork, season: str, fmt: str, crop: str = "rice"
                       ) -> tuple[bytes, str]:
    """The report as ``xlsx`` or ``pdf`` (in Vietnamese, the officers' layout)."""
    if fmt not in ("xlsx", "pdf"):
        raise invalid("format", "Định dạng phải là xlsx hoặc pdf.", "Format must be xlsx or pdf.")
    report = season_report(uow, season, crop, lang="vi")
    if fmt == "xlsx":
        return exports.season_report_xlsx(report), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return exports.season_report_pdf(report), "application/pdf"
