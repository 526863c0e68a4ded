"""QR codes of GS1 Digital Link URIs (segno).

Pure functions: a URI in, PNG or SVG out. Error correction level M (15 %), as GS1's QR code
guidelines recommend for Digital Link on consumer packaging; a quiet zone of 4 modules. The
printable label sheets that carry them are written by ``trace/exports.py``.
"""

from __future__ import annotations

import io

import segno

__all__ = ["qr_png", "qr_svg"]


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
