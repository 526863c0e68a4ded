"""QR codes and label sheets, decoded back with zxing-cpp: they carry the exact Digital Link."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from nongso.core.settings import get_settings
from nongso.trace.digital_link import parse_digital_link
from nongso.trace.exports import Label, label_sheet_pdf
from nongso.trace.qr import qr_png, qr_svg
from tests.helpers import assert_problem
from tests.trace.conftest import Journey


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)
            if r.format == zxingcpp.BarcodeFormat.QRCode]


def rasterise_segno_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw segno's SVG path (moves and horizontal strokes of one module) into an image."""
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    factor = float(re.search(r"scale\(([\d.]+)\)", svg).group(1))  # type: ignore[union-attr]
    modules = int(width / factor)
    image = Image.new("L", (modules * scale, modules * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    x = y = 0.0
    for command, numbers in re.findall(r"([Mmh])([-\d. ]+)", path):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            row = int(y)
            draw.rectangle([x * scale, row * scale, (x + values[0]) * scale - 1,
                            (row + 1) * scale - 1], fill=0)
            x += values[0]
    return image


@pytest.mark.parametrize("uri", [
    "https://truyxuat.dongthap.example/01/09528200000015/10/TH260312-101",
    "http://127.0.0.1:8000/01/09528200000015/21/T42",
    "https://id.gs1.org/01/09528200000015/10/A%2FB",
])
def test_png_and_svg_decode_to_the_exact_uri(uri: str) -> None:
    assert decode(Image.open(io.BytesIO(qr_png(uri)))) == [uri]
    assert decode(rasterise_segno_svg(qr_svg(uri))) == [uri]


def test_lot_qr_endpoints(journey: Journey) -> None:
    j = journey
    headers = j.d.actors.headers("coop_a")
    lot = j.client.get(f"/api/v1/trace/lots/{j.packed.id}", headers=headers).json()
    link = lot["digital_link"]
    assert parse_digital_link(link).lot == j.packed.lot_code
    png = j.client.get(f"/api/v1/trace/lots/{j.packed.id}/qr.png", headers=headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decode(Image.open(io.BytesIO(png.content))) == [link]
    svg = j.client.get(f"/api/v1/trace/lots/{j.packed.id}/qr.svg", headers=headers)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert decode(rasterise_segno_svg(svg.text)) == [link]
    assert_problem(j.client.get(f"/api/v1/trace/lots/{j.packed.id}/qr.gif", headers=headers),
                   404)
    assert_problem(j.client.get(f"/api/v1/trace/lots/{j.packed.id}/qr.png"), 401)


def test_the_resolver_host_is_configurable(journey: Journey, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    j = journey
    monkeypatch.setattr(get_settings(), "base_url", "https://truyxuat.dongthap.example")
    png = j.client.get(f"/api/v1/trace/lots/{j.rice.id}/qr.png",
                       headers=j.d.actors.headers("coop_a"))
    (text,) = decode(Image.open(io.BytesIO(png.content)))
    assert text == f"https://truyxuat.dongthap.example/01/{j.rice.gtin}/10/{j.rice.lot_code}"


def test_a4_label_sheet_holds_every_label(journey: Journey) -> None:
    j = journey
    r = j.client.post("/api/v1/trace/labels", headers=j.d.actors.headers("coop_a"),
                      json={"lot_ids": [j.packed.id, j.harvest_a.id], "copies": 13})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 2  # 26 labels, 24 per A4 page
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    found: Counter[str] = Counter()
    for page in reader.pages:
        for image in page.images:
            found.update(decode(Image.open(io.BytesIO(image.data))))
    packed = j.client.get(f"/api/v1/trace/lots/{j.packed.id}",
                          headers=j.d.actors.headers("coop_a")).json()["digital_link"]
    field = j.client.get(f"/api/v1/trace/lots/{j.harvest_a.id}",
                         headers=j.d.actors.headers("coop_a")).json()["digital_link"]
    # The same image is embedded once per lot and drawn on every label: count the draws.
    drawn = sum(page.extract_text().count(f"Lô: {j.packed.lot_code}") for page in reader.pages)
    assert set(found) == {packed, field} and drawn == 13
    text = reader.pages[0].extract_text()
    assert "Thu hoạch: 12/03/2026" in text and "Gạo túi 5kg" in text
    assert f"(01){j.harvest_a.gtin}(10){j.harvest_a.lot_code}" in text
    r = j.client.post("/api/v1/trace/labels", headers=j.d.actors.headers("coop_a"),
                      json={"lot_ids": []})
    assert_problem(r, 422)


def test_label_sheet_function_lays_out_pages() -> None:
    labels = [Label(f"https://x.example/01/09528200000015/10/L{n}", "Xoài Cát Hòa Lộc",
                    [f"Lô: L{n}"]) for n in range(49)]
    reader = PdfReader(io.BytesIO(label_sheet_pdf(labels)))
    assert len(reader.pages) == 3
    found = [t for page in reader.pages for image in page.images
             for t in decode(Image.open(io.BytesIO(image.data)))]
    assert sorted(found) == sorted(label.uri for label in labels)


def test_tree_labels_and_qr(actors: Any) -> None:
    headers = actors.headers("coop_a")
    product = actors.client.post("/api/v1/trace/products", headers=headers, json={
        "name": "Xoài Cát Hòa Lộc", "kind": "mango", "organisation_id": actors.coop_a.id}).json()
    trees = [actors.client.post("/api/v1/trace/items", headers=headers, json={
        "product_id": product["id"], "kind": "tree", "label": f"Cây xoài số {n}",
        "planted_year": 2010 + n}).json() for n in (1, 2)]
    png = actors.client.get(f"/api/v1/trace/items/{trees[0]['id']}/qr.png", headers=headers)
    assert decode(Image.open(io.BytesIO(png.content))) == [trees[0]["digital_link"]]
    r = actors.client.post("/api/v1/trace/labels", headers=headers,
                           json={"item_ids": [t["id"] for t in trees]})
    reader = PdfReader(io.BytesIO(r.content))
    found = {t for image in reader.pages[0].images
             for t in decode(Image.open(io.BytesIO(image.data)))}
    assert found == {t["digital_link"] for t in trees}
    assert "Trồng năm 2011" in reader.pages[0].extract_text()
