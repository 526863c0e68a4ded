"""File writers of traceability: printable A4 label sheets (PDF, reportlab), the recall report
(Excel) and the OCOP export for the national traceability portal (CSV, Excel, JSON).

Pure functions: plain data in (labels, a :class:`RecallReport`, rows and field
descriptions), file bytes out; no database access. The services gather the data
(``trace/services/labels.py``, ``recall.py``, ``ocop.py``) and call these.

Label sheets are A4 with 3 × 8 labels of 70 × 37 mm (the common office label sheet), each with
the QR code (``trace/qr.py``), the product, the lot and the human-readable GS1 element string;
the QR codes are embedded as raster images at about 300 dpi so they print sharp.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from nongso.core.spreadsheet import safe_row
from nongso.trace.qr import qr_png
from nongso.trace.schemas import RecallReport

__all__ = ["Label", "label_sheet_pdf", "ocop_portal_file", "recall_excel"]

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm
_LOCAL_TIME = dt.timezone(dt.timedelta(hours=7))
"""Vietnam's time (UTC+7), in which the reports show dates and times."""


# ------------------------------------------------------------------------------------------
# Label sheets (PDF)


@dataclass(frozen=True)
class Label:
    uri: str
    title: str
    lines: list[str] = field(default_factory=list)
    footer: str | None = None  # the GS1 element string, printed across the label


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (Vietnamese diacritics); the PDF cannot be made without it."""
    for folder in _FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    raise RuntimeError("DejaVu Sans is not installed (Debian: fonts-dejavu-core); it is needed "
                       "for Vietnamese text in PDF labels")


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def label_sheet_pdf(labels: list[Label], title: str = "Nhãn truy xuất nguồn gốc") -> bytes:
    """An A4 PDF with the labels, 24 per page, left to right and top to bottom."""
    regular, bold = _fonts()
    out = io.BytesIO()
    page_w, page_h = A4
    margin_x = (page_w - COLUMNS * LABEL_W) / 2
    margin_y = (page_h - ROWS * LABEL_H) / 2
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    pdf.setCreator("Nông Số")
    images: dict[str, ImageReader] = {}
    for n, label in enumerate(labels):
        slot = n % (COLUMNS * ROWS)
        if n and slot == 0:
            pdf.showPage()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = margin_x + col * LABEL_W
        y = page_h - margin_y - (row + 1) * LABEL_H
        if label.uri not in images:
            images[label.uri] = ImageReader(io.BytesIO(qr_png(label.uri, scale=12, border=2)))
        side = LABEL_H - 8 * mm
        pdf.drawImage(images[label.uri], x + 2 * mm, y + 5 * mm, side, side)
        if label.footer:
            pdf.setFont(regular, 6)
            pdf.drawString(x + 3 * mm, y + 2.2 * mm,
                           _fit(label.footer, regular, 6, LABEL_W - 6 * mm))
        text_x = x + side + 4 * mm
        width = LABEL_W - side - 6 * mm
        pdf.setFont(bold, 8)
        pdf.drawString(text_x, y + LABEL_H - 7 * mm, _fit(label.title, bold, 8, width))
        pdf.setFont(regular, 6.5)
        line_y = y + LABEL_H - 11.5 * mm
        for line in label.lines[:6]:
            pdf.drawString(text_x, line_y, _fit(line, regular, 6.5, width))
            line_y -= 3.6 * mm
    if not labels:
        pdf.setFont(regular, 10)
        pdf.drawString(20 * mm, page_h - 20 * mm, "—")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# The recall report (Excel)


def recall_excel(report: RecallReport, lang: str = "vi") -> bytes:
    """The recall report as an Excel workbook (one sheet per part, bilingual headers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(_LOCAL_TIME).strftime("%d/%m/%Y %H:%M") if value else ""

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tóm tắt"
    rows: list[tuple[str, Any]] = [
        ("Truy xuất / Trace", report.start_label),
        ("Hướng / Direction", report.direction),
        ("Từ / Since", local(report.since)), ("Đến / Until", local(report.until)),
        ("Số lô và đối tượng / Lots and objects", len(report.nodes)),
        ("Số lần vận chuyển / Moves", len(report.shipments)),
        ("Nơi nhận hàng / Receiving places", len(report.locations)),
        ("Ruộng, vụ gốc / Origins", len(report.origins)),
        ("Đại lý vật tư / Input dealers", len(report.dealers)),
        ("Chưa đầy đủ (giới hạn) / Truncated", "có / yes" if report.truncated else "không / no"),
    ]
    for row in rows:
        summary.append(safe_row(row))  # user text is never a live formula

    def sheet(title: str, header: list[str], data: Iterable[Sequence[Any]]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for line in data:
            ws.append(safe_row(line))
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)

    sheet("Lô hàng", ["Mã / Id", "Loại / Kind", "Tên / Label", "Hướng / Direction",
                      "Bậc / Depth", "GTIN", "Số lô / Lot", "Sản phẩm / Product",
                      "Trạng thái / Status", "Khối lượng (kg) / Quantity"],
          [(n.id, n.kind, n.label, n.direction, n.depth, n.gtin, n.lot_code, n.product,
            n.status, n.quantity) for n in report.nodes])
    sheet("Vận chuyển", ["Thời điểm / Time", "Bước / Step", "Từ / From", "Đến / To",
                         "Nơi / At", "Hàng / Objects", "Giao dịch / Transactions", "eventID"],
          [(local(x.time), x.step, x.source, x.destination, x.location, " ".join(x.objects),
            " ".join(x.transactions), x.event_id) for x in report.shipments])
    sheet("Nơi nhận", ["Địa điểm / Place", "Loại / Kind", "Mã xã / Commune",
                       "Lần đầu / First seen", "Vai trò / Role", "Mã / Id"],
          [(x.name, x.kind, x.commune_code, local(x.first_seen), x.role, x.id)
           for x in report.locations])
    sheet("Nguồn gốc", ["Lô / Lot", "Ruộng / Field", "Mã vùng trồng / Planting area",
                        "Ngày thu hoạch / Harvest", "Vụ / Season"],
          [(o.label, o.location, o.planting_area_code,
            o.harvest_date.strftime("%d/%m/%Y") if o.harvest_date else "",
            (o.season or {}).get("name", o.season_id)) for o in report.origins])
    sheet("Vật tư", ["Vụ / Season", "Vật tư / Input", "Loại / Kind", "Lô vật tư / Batch",
                     "Lượng / Quantity", "Ngày dùng / Applied", "Đại lý / Dealer",
                     "Cấm / Banned"],
          [(i.season_id, i.name, i.kind, i.batch, i.quantity,
            i.applied_on.strftime("%d/%m/%Y") if i.applied_on else "", i.dealer_name,
            "có / yes" if i.banned else "") for o in report.origins for i in o.inputs])
    sheet("Đại lý", ["Đại lý / Dealer", "Vật tư đã bán / Inputs supplied"],
          [(d["name"], "; ".join(d["inputs"])) for d in report.dealers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# The OCOP export for the national traceability portal


def ocop_portal_file(rows: Sequence[Mapping[str, Any]], fields: Sequence[Mapping[str, str]],
                     kind: str) -> bytes:
    """The portal export as ``csv`` (UTF-8 with BOM), ``xlsx`` or ``json``: one column per
    field (``key``, ``label_vi``, ``label_en``), one line per row."""
    if kind == "json":
        return json.dumps({"fields": list(fields), "rows": list(rows)}, ensure_ascii=False,
                          indent=1).encode()
    header = [f["label_vi"] for f in fields]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(safe_row(row.get(f["key"], "") for f in fields))
        return ("\ufeff" + out.getvalue()).encode()
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "OCOP"
    ws.append(header)
    ws.append([f["label_en"] for f in fields])
    for cell in [*ws[1], *ws[2]]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(safe_row(row.get(f["key"], "") for f in fields))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
