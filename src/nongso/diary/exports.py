"""Exports (pure writers): the VietGAP-style record book of a season (Excel and PDF), the
co-operative's input-use summary and harvest summary (t/ha), readable by openpyxl and people.
Rice output and yields are dry paddy at 14 % moisture, as the statistics count them (the fresh
weight and its moisture are listed beside them; ``diary.moisture``).

The PDF uses the DejaVu Sans font (Debian package fonts-dejavu-core, installed by
scripts/setup.sh) so that Vietnamese diacritics print correctly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from nongso.core.i18n import format_date, format_datetime, format_number
from nongso.core.spreadsheet import safe_row
from nongso.diary import moisture
from nongso.diary.schemas import (
    ActivityPublic,
    CoopSummary,
    FlagPublic,
    PurchasePublic,
    SeasonPublic,
)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
CROPS_VI = {"rice": "Lúa", "mango": "Xoài", "durian": "Sầu riêng", "pomelo": "Bưởi",
            "longan": "Nhãn", "dragon_fruit": "Thanh long"}


@dataclass
class RecordBook:
    season: SeasonPublic
    farmer_name: str | None
    organisation_name: str | None
    commune_name: str
    activities: list[ActivityPublic]
    purchases: list[PurchasePublic]
    flags: list[FlagPublic]
    buyers: dict[int, str] = field(default_factory=dict)


def _n(x: float | None, digits: int = 2) -> str:
    return format_number(x, "vi", digits, trim=True)


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[object]],
           widths: list[int] | None = None, first: bool = False) -> Worksheet:
    if first:
        ws = wb.active
        assert ws is not None
        ws.title = title
    else:
        ws = wb.create_sheet(title)
    ws.append(headers)
    fill = PatternFill("solid", fgColor="DDEEDD")
    for c in range(1, len(headers) + 1):
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append(safe_row(row))  # user text is never a live formula
    for c, w in enumerate(widths or [16] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.freeze_panes = "A2"
    return ws


def _general(book: RecordBook) -> list[tuple[str, str]]:
    s = book.season
    return [
        ("Hộ sản xuất / Producer", book.farmer_name or ""),
        ("Tổ chức / Organisation", book.organisation_name or ""),
        ("Xã / Commune", book.commune_name),
        ("Mã thửa / Plot", f"{s.plot_code} — {s.plot_name}"),
        ("Mã số vùng trồng / Planting-area code", s.planting_area_code or ""),
        ("Diện tích (ha) / Area", _n(s.area_ha, 4)),
        ("Cây trồng / Crop", CROPS_VI.get(s.crop, s.crop)),
        ("Giống / Variety", s.variety or ""),
        ("Vụ / Season", s.name),
        ("Ngày gieo trồng / Sowing", format_date(s.sowing_date)),
        ("Ngày thu hoạch / Harvest", format_date(s.harvest_date)),
        *_harvest_lines(s),
        ("Ngày thu hoạch an toàn / Safe harvest from", format_date(s.safe_harvest_date)),
        ("Vi phạm / Violations", str(s.flags_count)),
        ("Tuân thủ / Compliant", "Có / Yes" if s.compliant else "Không / No"),
    ]


def _harvest_lines(s: SeasonPublic) -> list[tuple[str, str]]:
    """Harvest as weighed and, for rice, as the statistics count it (dry paddy at 14 %)."""
    if not moisture.is_converted(s.crop):
        return [("Sản lượng (kg) / Harvest", _n(s.harvest_kg, 1)),
                ("Năng suất (t/ha) / Yield", _n(s.yield_t_ha, 2))]
    return [("Sản lượng tươi khi cân (kg) / Harvest, fresh as weighed", _n(s.harvest_kg, 1)),
            ("Sản lượng quy khô 14 % (kg) / Harvest, dry paddy at 14 %",
             _n(s.harvest_dry_kg, 1)),
            ("Năng suất lúa khô 14 % (t/ha) / Yield, dry paddy at 14 %", _n(s.yield_t_ha, 2))]


def _done(book: RecordBook, kinds: set[str]) -> list[ActivityPublic]:
    return [a for a in book.activities if a.kind in kinds and a.status != "planned"]


def _fertiliser_rows(book: RecordBook) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in _done(book, {"fertilising", "sowing", "planting"}):
        for i in a.inputs:
            rows.append([format_datetime(a.at), a.kind_label, i.name, i.quantity, i.unit,
                         round(i.dose_per_ha, 3) if i.dose_per_ha else None,
                         i.dealer_name or "", i.purchase_lot or "", a.done_by or "",
                         a.notes or ""])
    return rows


def _pesticide_rows(book: RecordBook) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in _done(book, {"spraying"}):
        for i in a.inputs:
            ingredients = ", ".join(
                x.name + (f" {_n(x.concentration, 1)} {x.unit or ''}".rstrip()
                          if x.concentration is not None else "") for x in i.active_ingredients)
            rows.append([format_datetime(a.at), a.pest or "", i.name, ingredients, i.quantity,
                         i.unit, round(i.dose_per_ha, 3) if i.dose_per_ha else None,
                         i.dealer_name or "", i.purchase_lot or "", a.done_by or "",
                         ", ".join(a.flags)])
    return rows


def _other_rows(book: RecordBook) -> list[list[object]]:
    kinds = {"land_prep", "irrigation", "scouting", "pruning", "other"}
    return [[format_datetime(a.at), a.kind_label, a.pest or "", a.density_per_m2,
             a.growth_stage or "", a.done_by or "", a.notes or ""] for a in _done(book, kinds)]


def _harvest_rows(book: RecordBook) -> list[list[object]]:
    kinds = {"harvest", "drying", "sorting", "milling", "packing", "sale"}
    crop = book.season.crop

    def dry(a: ActivityPublic) -> float | None:
        if a.kind != "harvest" or a.quantity_base is None or not moisture.is_converted(crop):
            return None
        return round(moisture.standard_weight(crop, a.quantity_base, a.moisture_pct), 1)

    return [[format_datetime(a.at), a.kind_label, a.quantity_base, a.moisture_pct, dry(a),
             book.buyers.get(a.buyer_organisation_id, "") if a.buyer_organisation_id else "",
             a.price_vnd_per_kg, a.notes or ""] for a in _done(book, kinds)]


HEAD_FERT = ["Ngày", "Công việc", "Tên phân bón/giống", "Số lượng", "Đơn vị", "Lượng/ha",
             "Đại lý", "Lô mua", "Người thực hiện", "Ghi chú"]
HEAD_PEST = ["Ngày phun", "Đối tượng", "Tên thuốc", "Hoạt chất", "Số lượng", "Đơn vị",
             "Lượng/ha", "Đại lý", "Lô mua", "Người phun", "Cảnh báo"]
HEAD_OTHER = ["Ngày", "Công việc", "Sâu bệnh", "Mật độ (con/m²)", "Giai đoạn",
              "Người thực hiện", "Ghi chú"]
HEAD_HARVEST = ["Ngày", "Công việc", "Khối lượng khi cân (kg)", "Độ ẩm (%)",
                "Lúa quy khô 14 % (kg)", "Người mua", "Giá (đ/kg)", "Ghi chú"]
HEAD_BUY = ["Ngày mua", "Vật tư", "Số lượng", "Đơn vị", "Đại lý", "Lô", "Số hoá đơn",
            "Thành tiền (đ)"]
HEAD_FLAGS = ["Ngày", "Quy tắc", "Mức", "Nội dung", "Nguồn"]


def _purchase_rows(book: RecordBook) -> list[list[object]]:
    return [[format_date(p.purchased_on), p.input_name, p.quantity, p.unit, p.dealer_name,
             p.lot or "", p.invoice_no or "", p.price_vnd] for p in book.purchases]


def _flag_rows(book: RecordBook) -> list[list[object]]:
    return [[format_datetime(f.activity_at), f"{f.rule_id} — {f.title}", f.severity, f.message,
             f.source] for f in book.flags]


def record_book_xlsx(book: RecordBook) -> bytes:
    wb = Workbook()
    ws = _sheet(wb, "Thông tin chung", ["Mục", "Nội dung"], [list(r) for r in _general(book)],
                [42, 60], first=True)
    ws.insert_rows(1)
    ws["A1"] = f"SỔ NHẬT KÝ SẢN XUẤT (VietGAP) — {book.season.name}"
    ws["A1"].font = Font(bold=True, size=13)
    _sheet(wb, "Mua vật tư", HEAD_BUY, _purchase_rows(book), [12, 34, 10, 8, 30, 12, 12, 14])
    _sheet(wb, "Phân bón - giống", HEAD_FERT, _fertiliser_rows(book),
           [17, 12, 34, 10, 8, 10, 30, 12, 18, 24])
    _sheet(wb, "Thuốc BVTV", HEAD_PEST, _pesticide_rows(book),
           [17, 16, 34, 34, 10, 8, 10, 30, 12, 18, 24])
    _sheet(wb, "Công việc khác", HEAD_OTHER, _other_rows(book), [17, 14, 18, 12, 14, 18, 30])
    _sheet(wb, "Thu hoạch - bán", HEAD_HARVEST, _harvest_rows(book),
           [17, 12, 14, 10, 14, 30, 12, 30])
    _sheet(wb, "Vi phạm", HEAD_FLAGS, _flag_rows(book), [17, 40, 10, 70, 70])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _font_paths() -> tuple[Path, Path]:
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    raise RuntimeError("DejaVu Sans is not installed (Debian package fonts-dejavu-core; "
                       "scripts/setup.sh installs it): PDF exports need it for Vietnamese.")


def record_book_pdf(book: RecordBook) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _font_paths()
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    body = ParagraphStyle("body", fontName="DejaVuSans", fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", fontName="DejaVuSans-Bold", fontSize=14, leading=18)
    h2 = ParagraphStyle("h2", fontName="DejaVuSans-Bold", fontSize=10.5, leading=14,
                        spaceBefore=8, spaceAfter=3)

    def table(headers: list[str], rows: list[list[object]], widths: list[float]) -> Table:
        def cell(v: object) -> Paragraph:
            text = _n(v, 3) if isinstance(v, float) else "" if v is None else str(v)
            return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), body)

        data = [[cell(h) for h in headers]] + [[cell(v) for v in r] for r in rows]
        if not rows:
            data.append([cell("—")] + [cell("") for _ in headers[1:]])
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEEDD")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return t

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Sổ nhật ký sản xuất — {book.season.name}",
                            author="Nông Số")
    story: list[object] = [
        Paragraph(f"SỔ NHẬT KÝ SẢN XUẤT (VietGAP) — {book.season.name}", h1), Spacer(1, 4),
        table(["Mục", "Nội dung"], [list(r) for r in _general(book)], [80, 190]),
        Paragraph("1. Mua vật tư", h2),
        table(HEAD_BUY, _purchase_rows(book), [22, 60, 18, 14, 60, 24, 24, 28]),
        Paragraph("2. Sử dụng phân bón, giống", h2),
        table(HEAD_FERT, _fertiliser_rows(book), [28, 20, 52, 16, 12, 16, 44, 20, 30, 34]),
        Paragraph("3. Sử dụng thuốc bảo vệ thực vật", h2),
        table(HEAD_PEST, _pesticide_rows(book), [26, 22, 44, 44, 14, 12, 16, 36, 18, 26, 14]),
        Paragraph("4. Công việc khác", h2),
        table(HEAD_OTHER, _other_rows(book), [28, 24, 36, 22, 26, 36, 100]),
        Paragraph("5. Thu hoạch, sơ chế, bán", h2),
        table(HEAD_HARVEST, _harvest_rows(book), [28, 24, 26, 18, 26, 60, 22, 68]),
        Paragraph("6. Vi phạm và cảnh báo (quy tắc, nguồn)", h2),
        table(HEAD_FLAGS, _flag_rows(book), [28, 50, 18, 90, 86]),
    ]
    doc.build(story)  # type: ignore[arg-type]
    return out.getvalue()


def input_use_xlsx(summary: CoopSummary) -> bytes:
    wb = Workbook()
    ws = _sheet(wb, "Vật tư đã dùng", [
        "Vật tư", "Loại", "Tổng lượng", "Đơn vị", "Số thửa", "Diện tích (ha)", "Lượng/ha",
        "Đại lý"], [[i.name, i.kind, i.quantity_base, i.base_unit, i.plots, i.area_ha, i.per_ha,
                     ", ".join(i.dealers)] for i in summary.inputs],
        [36, 12, 14, 8, 10, 14, 12, 40], first=True)
    ws.insert_rows(1)
    ws["A1"] = f"TỔNG HỢP SỬ DỤNG VẬT TƯ — {summary.organisation_name} — {summary.season_name}"
    ws["A1"].font = Font(bold=True, size=12)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def harvest_xlsx(summary: CoopSummary) -> bytes:
    wb = Workbook()
    rows: list[list[object]] = [[
        r.plot_code, r.farmer_name or "", r.variety or "", r.area_ha,
        format_date(r.sowing_date), r.harvest_kg, r.harvest_dry_kg, r.yield_t_ha,
        summary.yield_t_ha, summary.commune_yield_t_ha, r.flags_count] for r in summary.rows]
    ws = _sheet(wb, "Sản lượng theo thửa", [
        "Mã thửa", "Hộ", "Giống", "Diện tích (ha)", "Ngày sạ", "Sản lượng khi cân (kg)",
        "Sản lượng quy khô (kg; lúa: ẩm độ 14 %)", "Năng suất khô (t/ha)", "TB HTX (t/ha)",
        "TB xã (t/ha)", "Vi phạm"], rows,
        [14, 26, 14, 12, 12, 14, 16, 14, 12, 12, 10], first=True)
    ws.insert_rows(1)
    ws["A1"] = f"SẢN LƯỢNG THEO THỬA — {summary.organisation_name} — {summary.season_name}"
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append(["Tổng", "", "", summary.area_ha, "", round(summary.harvest_fresh_t * 1000, 1),
               round(summary.harvest_t * 1000, 1), summary.yield_t_ha])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
