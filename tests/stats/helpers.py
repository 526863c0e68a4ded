"""Helpers of the statistics tests: values written directly, files to import."""

from __future__ import annotations

from sqlalchemy import select

from nongso.core.db import utcnow
from nongso.core.platform import Platform
from nongso.stats import periods
from nongso.stats.models import DataValue, Report
from nongso.stats.services._common import load_reference_data

# Legacy communes of province 82 (since 2025) and where they went.
SPLIT_OLD = "28252"  # old Phường 4 (Mỹ Tho) -> 28249 Đạo Thạnh and 29869 Cao Lãnh
SPLIT_NEW = ("28249", "29869")
MERGED_OLDS = ("28249", "28252", "28282")  # all three (28252 only in part) -> 28249


def put(platform: Platform, element: str, period: str, org_unit: str, value: float,
        coc: str = "rice", generation: str = "2025", source: str = "import") -> None:
    p = periods.parse(period)
    with platform.uow() as uow:
        load_reference_data(uow.session)
        uow.session.add(DataValue(
            data_element=element, period=p.id, period_type=p.type, year=p.year,
            start_date=p.start, end_date=p.end, province_code="82", org_unit=org_unit,
            generation=generation, coc=coc, value=value, source=source))
        uow.commit()


def set_report(platform: Platform, dataset: str, period: str, org_unit: str,
               status: str) -> None:
    with platform.uow() as uow:
        row = uow.session.scalar(select(Report).where(
            Report.dataset == dataset, Report.period == period, Report.org_unit == org_unit))
        if row is None:
            row = Report(dataset=dataset, period=period, org_unit=org_unit, level="commune",
                         province_code="82")
            uow.session.add(row)
        row.status, row.updated_at = status, utcnow()
        uow.commit()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(";".join(r) for r in rows) + "\r\n"
    return text.encode(encoding) if encoding != "utf-8-sig" else b"\xef\xbb\xbf" + \
        text.encode("utf-8")
