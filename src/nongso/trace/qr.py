"""QR codes of GS1 Digital Link URIs (segno) and printable A4 label sheets (reportlab).

Pure functions: a URI and label texts in, image or PDF bytes out. Error correction level M
(15 %), as GS1's QR code guidelines recommend for Digital Link on consumer packaging; a quiet
zone of 4 modules. Label sheets are A4 with 3 × 8 labels of 70 × 37 mm (the common office
label sheet), each with the QR code, the product, the lot and the human-readable GS1 element
string; the QR codes are embedded as raster images at about 300 dpi so they print sharp.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

__all__ = ["Label", "label_sheet_pdf", "qr_png", "qr_svg"]

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm


def qr_png(uri: str, scale: int = 10, border: int = 4) -> bytes:
    """A PNG of the QR code of ``uri`` (``scale`` pixels per module)."""
    out = io.BytesIO()
    segno.make_qr(uri, error="m").save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_svg(uri: str, scale: int = 4, border: int = 4) -> str:
    """An SVG of the QR code of ``uri``."""
    out = io.BytesIO()
    segno.make_qr(uri, error="m").save(out, kind="svg", scale=scale, border=border,
                                       xmldecl=False, svgns=True, title=uri)
    return out.getvalue().decode()


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
