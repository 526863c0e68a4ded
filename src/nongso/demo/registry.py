"""Demo registry data: co-operatives, co-op groups, farmers and their fields.

Fields are rectangles laid out in a global 1.2-km grid on UTM zone 48N (EPSG:32648) near each
commune's official centroid, so that no two fields overlap by construction. Sizes come from
../shared/reference/agronomy.md (rice plots 0.3–5 ha; fruit orchards ≥ 0.3 ha).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from pyproj import Transformer

from nongso.demo.names import BUYERS, person, phone
from nongso.units.schemas import UnitPublic

TO_LONLAT = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)

CELL_M = 1200.0  # one co-operative block per grid cell
STRIP_LENGTH_M = 200.0
GAP_M = 6.0  # canals and bunds between plots

# Crop mix of the demo (share of plots) with plot width ranges in metres (x 200 m length).
CROPS: list[tuple[str, str, float, tuple[float, float]]] = [
    ("rice", "plot", 0.70, (15.0, 150.0)),
    ("mango", "orchard", 0.09, (20.0, 90.0)),
    ("durian", "orchard", 0.07, (20.0, 80.0)),
    ("pomelo", "orchard", 0.05, (20.0, 80.0)),
    ("longan", "orchard", 0.05, (20.0, 80.0)),
    ("dragon_fruit", "orchard", 0.04, (15.0, 60.0)),
]
VARIETIES = {"rice": ["OM5451", "OM18", "Đài Thơm 8", "ST25", "IR50404"],
             "mango": ["Cát Hòa Lộc", "Cát Chu"], "durian": ["Ri6", "Monthong"],
             "pomelo": ["Da xanh", "Năm Roi"], "longan": ["Ido", "Xuồng cơm vàng"],
             "dragon_fruit": ["Ruột đỏ", "Ruột trắng"]}


@dataclass
class DemoRegistry:
    organisations: list[dict[str, Any]] = field(default_factory=list)
    farmers: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)


def _pick_crop(rng: random.Random) -> tuple[str, str, tuple[float, float]]:
    x = rng.random()
    acc = 0.0
    for crop, kind, share, widths in CROPS:
        acc += share
        if x <= acc:
            return crop, kind, widths
    crop, kind, _, widths = CROPS[0]
    return crop, kind, widths


class _Grid:
    """Hands out free 1.2-km cells nearest to a point (globally, so blocks never overlap)."""

    def __init__(self) -> None:
        self.used: set[tuple[int, int]] = set()

    def take(self, x: float, y: float) -> tuple[float, float]:
        cx, cy = int(x // CELL_M), int(y // CELL_M)
        for radius in range(0, 50):
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    if max(abs(dx), abs(dy)) != radius:
                        continue
                    cell = (cx + dx, cy + dy)
                    if cell not in self.used:
                        self.used.add(cell)
                        return cell[0] * CELL_M, cell[1] * CELL_M
        raise RuntimeError("no free cell")


def _polygon(x0: float, y0: float, w: float, h: float) -> tuple[dict[str, Any], list[float]]:
    xs = [x0, x0 + w, x0 + w, x0, x0]
    ys = [y0, y0, y0 + h, y0 + h, y0]
    lons, lats = TO_LONLAT.transform(xs, ys)
    ring = [[round(lo, 7), round(la, 7)] for lo, la in zip(lons, lats, strict=True)]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return geometry, [min(lons), min(lats), max(lons), max(lats)]


def build(communes: list[UnitPublic], seed: int = 2026, scale: float = 1.0) -> DemoRegistry:
    """Generate the registry of the demo province (deterministic for a seed and a scale)."""
    rng = random.Random(seed)
    grid = _Grid()
    out = DemoRegistry()
    org_id = 0
    farmer_id = 0
    unit_id = 0
    rural = [c for c in communes if c.type.startswith("Xã")] or communes
    for commune in rural:
        assert commune.lat is not None and commune.lon is not None
        cx, cy = TO_UTM.transform(commune.lon, commune.lat)
        radius = math.sqrt((commune.area_km2 or 30.0) / math.pi) * 1000
        for n_coop in range(rng.randint(1, 3)):
            org_id += 1
            coop_id = org_id
            short = commune.short_name
            out.organisations.append(dict(
                id=coop_id, kind="cooperative",
                name=f"HTX Nông nghiệp {short}" + (f" {n_coop + 1}" if n_coop else ""),
                code=f"HTX-{commune.code}-{n_coop + 1}", commune_code=commune.code,
                province_code=commune.province_code, parent_id=None,
                address=f"{commune.name}, {commune.province_code}", phone=phone(rng),
                lat=commune.lat, lon=commune.lon, attributes={"demo": True},
            ))
            groups = []
            for g in range(rng.randint(1, 3)):
                org_id += 1
                groups.append(org_id)
                out.organisations.append(dict(
                    id=org_id, kind="coop_group", name=f"Tổ hợp tác số {g + 1} {short}",
                    code=f"THT-{commune.code}-{n_coop + 1}-{g + 1}", commune_code=commune.code,
                    province_code=commune.province_code, parent_id=coop_id, address=None,
                    phone=None, lat=None, lon=None, attributes={"demo": True},
                ))
            # The co-operative's block: a grid cell near the commune centre.
            angle = rng.uniform(0, 2 * math.pi)
            dist = rng.uniform(0, 0.4 * radius)
            cell_x, cell_y = grid.take(cx + dist * math.cos(angle), cy + dist * math.sin(angle))
            x = y = 0.0
            n_farmers = max(2, round(rng.randint(15, 40) * scale))
            for _ in range(n_farmers):
                farmer_id += 1
                out.farmers.append(dict(
                    id=farmer_id, full_name=person(rng), phone=phone(rng), national_id=None,
                    commune_code=commune.code, province_code=commune.province_code,
                    organisation_id=coop_id,
                ))
                for _plot in range(rng.randint(1, 3)):
                    crop, kind, (wmin, wmax) = _pick_crop(rng)
                    width = rng.uniform(wmin, wmax)
                    if x + width > CELL_M:
                        x, y = 0.0, y + STRIP_LENGTH_M + GAP_M
                    if y + STRIP_LENGTH_M > CELL_M:
                        cell_x, cell_y = grid.take(cell_x, cell_y)
                        x = y = 0.0
                    geometry, bbox = _polygon(cell_x + x, cell_y + y, width, STRIP_LENGTH_M)
                    x += width + GAP_M
                    area = width * STRIP_LENGTH_M / 10_000
                    # Declared areas differ a little; about 3 % differ by more than 10 %.
                    error = rng.uniform(0.12, 0.25) if rng.random() < 0.03 else rng.uniform(0, 0.05)
                    declared = area * (1 + rng.choice((-1, 1)) * error)
                    unit_id += 1
                    out.units.append(dict(
                        id=unit_id, kind=kind, code=None,
                        name=f"Thửa {unit_id:05d}", commune_code=commune.code,
                        province_code=commune.province_code, organisation_id=coop_id,
                        farmer_id=farmer_id, crop=crop, area_ha=round(area, 4),
                        declared_area_ha=round(declared, 2), geometry=json.dumps(geometry),
                        min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
                        attributes={"demo": True, "variety": rng.choice(VARIETIES[crop]),
                                    "group_id": rng.choice(groups)},
                    ))
    province = rural[0].province_code
    for n, name in enumerate(BUYERS):
        org_id += 1
        c = rural[(n * 7) % len(rural)]
        out.organisations.append(dict(
            id=org_id, kind="buyer", name=name, code=f"DN-{province}-{n + 1}",
            commune_code=c.code, province_code=c.province_code, parent_id=None,
            address=f"{c.name}", phone=None, lat=c.lat, lon=c.lon, attributes={"demo": True},
        ))
    return out
