"""Writers (pure): the seasonal production report by commune in the layout officers use
(Excel and PDF, Vietnamese), the analytics as CSV, and the import template.

The PDF uses DejaVu Sans (Debian package fonts-dejavu-core, installed by scripts/setup.sh)
for the Vietnamese letters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from nongso.core.i18n import format_number
from nongso.stats.schemas import AnalyticsResult, SeasonReport, SeasonReportRow

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
AUTHORITY = "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"
STATUS_VI = {"open": "chưa duyệt", "approved": "xã đã duyệt", "accepted": "tỉnh đã tiếp nhận",
             "returned": "bị trả lại", "mixed": "chưa duyệt đủ"}


def _n(value: float | None, digits: int) -> str:
    return "" if value is None else format_number(value, "vi", digits)


def _pct(value: float | None) -> str:
    if value is None:
        return ""
    return ("+" if value > 0 else "") + format_number(value, "vi", 1)


def _cells(r: SeasonReportRow) -> list[float | None]:
    return [r.sown_ha, r.prev_sown_ha, r.harvested_ha, r.prev_harvested_ha, r.yield_t_ha,
            r.prev_yield_t_ha, r.output_t, r.prev_output_t, r.output_change_pct]


def _title(report: SeasonReport) -> str:
    return (f"BÁO CÁO KẾT QUẢ SẢN XUẤT {report.crop_name.upper()} VỤ "
            f"{report.season_label.upper()}")


# --- Excel ----------------------------------------------------------------------------------


def season_report_xlsx(report: SeasonReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Báo cáo"
    thin = Side(style="thin", color="888888")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws["A1"] = f"UBND {report.province_name.upper()}"
    ws["A2"] = AUTHORITY
    ws["H1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["H2"] = "Độc lập - Tự do - Hạnh phúc"
    for ref in ("A1", "A2", "H1", "H2"):
        ws[ref].font = bold
    ws["A4"] = _title(report)
    ws["A4"].font = Font(bold=True, size=13)
    ws["A5"] = f"(so với cùng vụ {report.previous_label})"
    ws.merge_cells("A4:K4")
    ws.merge_cells("A5:K5")
    ws["A4"].alignment = ws["A5"].alignment = Alignment(horizontal="center")
    head1 = ["STT", "Xã, phường", "Diện tích gieo trồng (ha)", "", "Diện tích thu hoạch (ha)",
             "", "Năng suất (t/ha)", "", "Sản lượng (t)", "", "", "Tình trạng"]
    head2 = ["", "", "Vụ này", "Cùng vụ năm trước", "Vụ này", "Cùng vụ năm trước", "Vụ này",
             "Cùng vụ năm trước", "Vụ này", "Cùng vụ năm trước", "So sánh (%)", ""]
    ws.append([])
    ws.append(head1)
    ws.append(head2)
    top = 7
    for a, b in (("A", "A"), ("B", "B"), ("C", "D"), ("E", "F"), ("G", "H"), ("I", "K"),
                 ("L", "L")):
        ws.merge_cells(f"{a}{top}:{b}{top}" if a != b else f"{a}{top}:{a}{top + 1}")
    for row in ws.iter_rows(min_row=top, max_row=top + 1, max_col=12):
        for cell in row:
            cell.font, cell.alignment, cell.border = bold, centre, box
            cell.fill = PatternFill("solid", fgColor="DDEEDD")
    formats = ["#,##0.0", "#,##0.0", "#,##0.0", "#,##0.0", "#,##0.00", "#,##0.00", "#,##0.0",
               "#,##0.0", "+0.0;-0.0;0.0"]
    for i, r in enumerate(report.rows, start=1):
        name = r.commune_name + (" (*)" if r.allocated else "")
        ws.append([i, name, *_cells(r), STATUS_VI.get(r.status, r.status)])
    ws.append(["", "Tổng cộng", *_cells(report.total), ""])
    last = ws.max_row
    for row in ws.iter_rows(min_row=top + 2, max_row=last, max_col=12):
        for j, cell in enumerate(row):
            cell.border = box
            if 2 <= j <= 10:
                cell.number_format = formats[j - 2]
    for cell in ws[last]:
        cell.font = bold
    widths = [6, 28, 13, 13, 13, 13, 11, 11, 13, 13, 11, 16]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.append([])
    ws.append(["", "(*) Số liệu năm trước của xã cũ bị chia tách, phân bổ theo trọng số "
                   "(xem «Trọng số phân bổ» trong tài liệu)."])
    ws.append(["", "Lúa: sản lượng thóc khô ẩm độ 14 %. Nguồn: Nông Số — nhật ký sản xuất, "
                   "báo cáo của xã."])
    ws.append(["", f"Lập lúc {report.generated_at:%H:%M ngày %d/%m/%Y} (UTC)."])
    ws.freeze_panes = f"C{top + 2}"
    ws.print_options.horizontalCentered = True
    ws.page_setup.orientation = "landscape"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------


def _font_paths() -> tuple[Path, Path]:
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    raise RuntimeError("DejaVu Sans is not installed (Debian package fonts-dejavu-core; "
                       "scripts/setup.sh installs it): PDF exports need it for Vietnamese.")


def season_report_pdf(report: SeasonReport) -> bytes:
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
    small = ParagraphStyle("small", fontName="DejaVuSans", fontSize=7, leading=8.5)
    head = ParagraphStyle("head", fontName="DejaVuSans-Bold", fontSize=7, leading=8.5,
                          alignment=1)
    centre_bold = ParagraphStyle("cb", fontName="DejaVuSans-Bold", fontSize=9, leading=11,
                                 alignment=1)
    title = ParagraphStyle("t", fontName="DejaVuSans-Bold", fontSize=12, leading=15,
                           alignment=1)
    sub = ParagraphStyle("s", fontName="DejaVuSans", fontSize=9, leading=11, alignment=1)

    def p(text: str, style: ParagraphStyle = small) -> Paragraph:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), style)

    def num(text: str) -> str:
        return text  # plain strings: laid out much faster than paragraphs

    header = Table([[[p(f"UBND {report.province_name.upper()}", centre_bold),
                      p(AUTHORITY, centre_bold)],
                     [p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centre_bold),
                      p("Độc lập - Tự do - Hạnh phúc", centre_bold)]]],
                   colWidths=[120 * mm, 150 * mm])
    rows: list[list[object]] = [
        [p("STT", head), p("Xã, phường", head), p("Diện tích gieo trồng (ha)", head), "",
         p("Diện tích thu hoạch (ha)", head), "", p("Năng suất (t/ha)", head), "",
         p("Sản lượng (t)", head), "", "", p("Tình trạng", head)],
        ["", "", p("Vụ này", head), p("Cùng vụ năm trước", head), p("Vụ này", head),
         p("Cùng vụ năm trước", head), p("Vụ này", head), p("Cùng vụ năm trước", head),
         p("Vụ này", head), p("Cùng vụ năm trước", head), p("So sánh (%)", head), ""]]
    digits = [1, 1, 1, 1, 2, 2, 1, 1]

    def line(index: str, name: str, r: SeasonReportRow, status: str) -> list[object]:
        vals = _cells(r)
        return [index, p(name), *[num(_n(v, d)) for v, d in zip(vals[:8], digits,
                                                                 strict=True)],
                num(_pct(vals[8])), status]

    for i, r in enumerate(report.rows, start=1):
        rows.append(line(str(i), r.commune_name + (" (*)" if r.allocated else ""), r,
                         STATUS_VI.get(r.status, r.status)))
    rows.append(line("", "Tổng cộng", report.total, ""))
    widths = [9, 46, 21, 21, 21, 21, 17, 17, 23, 23, 17, 27]
    t = Table(rows, colWidths=[w * mm for w in widths], repeatRows=2)
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (3, 0)),
        ("SPAN", (4, 0), (5, 0)), ("SPAN", (6, 0), (7, 0)), ("SPAN", (8, 0), (10, 0)),
        ("SPAN", (11, 0), (11, 1)),
        ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#DDEEDD")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 2), (-1, -1), "DejaVuSans"), ("FONTSIZE", (0, 2), (-1, -1), 7),
        ("ALIGN", (2, 2), (10, -1), "RIGHT"),
    ]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm,
                            title=_title(report), author="Nông Số")
    story: list[object] = [
        header, Spacer(1, 6), p(_title(report), title),
        p(f"(so với cùng vụ {report.previous_label})", sub), Spacer(1, 6), t, Spacer(1, 4),
        p("(*) Số liệu năm trước của xã cũ bị chia tách, phân bổ theo trọng số. Lúa: sản lượng "
          "thóc khô ẩm độ 14 %. Nguồn: Nông Số — nhật ký sản xuất, báo cáo của xã. "
          f"Lập lúc {report.generated_at:%H:%M ngày %d/%m/%Y} (UTC)."),
    ]
    doc.build(story)  # type: ignore[arg-type]
    return out.getvalue()


# --- CSV and the import template -----------------------------------------------------------


def analytics_csv(result: AnalyticsResult, lang: str = "vi") -> bytes:
    """The analytics rows with names, as Excel opens them (UTF-8 with a BOM)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["dx", "dx_name", "pe", "pe_name", "ou", "ou_name", "value", "unit",
                "allocated", "approved"])
    for dx, pe, ou, value, allocated, approved in result.rows:
        item = result.items.get(str(dx))
        w.writerow([dx, item.name if item else dx, pe,
                    result.items[str(pe)].name if str(pe) in result.items else pe, ou,
                    result.items[str(ou)].name if str(ou) in result.items else ou, value,
                    item.unit if item and item.unit else "", allocated, approved])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


TEMPLATE_HEADERS = ["Mã xã", "Tên xã", "Kỳ", "Chỉ tiêu", "Phân tổ", "Giá trị", "Đơn vị tính",
                    "Ghi chú"]


def import_template(elements: Sequence[tuple[str, str, str, str]] = ()) -> bytes:
    """The long layout with two example rows, a sheet of instructions and one of the
    data elements (code, name, unit, disaggregation)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Số liệu"
    ws.append(TEMPLATE_HEADERS)
    ws.append(["29305", "Xã Mỹ Hiệp", "Đông Xuân 2024-2025", "sown_area", "Lúa", "1.234,5",
               "ha", "ví dụ"])
    ws.append(["29305", "Xã Mỹ Hiệp", "Đông Xuân 2024-2025", "yield_reported", "Lúa", "72,5",
               "tạ/ha", "ví dụ"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for j, w in enumerate([10, 26, 22, 22, 14, 12, 12, 30], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    guide = wb.create_sheet("Hướng dẫn")
    for line in (
        "Mỗi dòng một số liệu: xã (mã hoặc tên), kỳ, chỉ tiêu (mã hoặc tên), phân tổ, giá trị.",
        "Hoặc bảng ngang: mỗi dòng một xã, mỗi cột một chỉ tiêu có đơn vị trong ngoặc, ví dụ "
        "«Diện tích gieo trồng (ha)», «Năng suất (tạ/ha)», «Sản lượng (tấn)».",
        "Kỳ: «Đông Xuân 2024-2025», «Hè Thu 2025», «2025Q1», «2025». «ĐX 2025» không rõ là vụ "
        "nào nên bị từ chối.",
        "Số: 1.234,5 hoặc 1,234.5 (thống nhất trong tệp). Ô trống là không có số liệu; 0 là 0.",
        "Đơn vị: ha, m², công (1.000 m², tùy chọn 1.296 m²), kg, yến, tạ, tấn, giạ (20 kg), "
        "t/ha, tạ/ha, giạ/công.",
        "Kỳ trước 01/07/2025: mã và tên xã theo danh mục cũ; số liệu được phân bổ về xã mới.",
        "Tệp CSV: UTF-8 (có hoặc không BOM), TCVN3 hoặc VNI đều đọc được.",
        "Tệp có lỗi thì không nhập dòng nào; danh sách lỗi ghi dòng và cột.",
    ):
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    if elements:
        sheet = wb.create_sheet("Chỉ tiêu")
        sheet.append(["Mã", "Tên", "Đơn vị", "Phân tổ"])
        for row in elements:
            sheet.append(list(row))
        for j, w in enumerate([22, 50, 10, 20], start=1):
            sheet.column_dimensions[get_column_letter(j)].width = w
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
