"""Demo registry data: co-operatives, co-op groups, farmers and their fields.

Fields are rectangles laid out in a global 1.2-km grid on UTM zone 48N (EPSG:32648) near each
commune's official centroid, so that no two fields overlap by construction. Sizes are demo
settings with no published source cited (rice plots 0.3–5 ha; fruit orchards ≥ 0.3 ha).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from functools import cache
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
    infrastructure: list[dict[str, Any]] = field(default_factory=list)
    soil_units: list[dict[str, Any]] = field(default_factory=list)
    # Earlier versions of some features: (collection, feature id, values before, changed at).
    history: list[tuple[str, int, dict[str, Any], dt.datetime]] = field(default_factory=list)


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


def build(communes: list[UnitPublic], seed: int = 2026, scale: float = 1.0,
          province_name: str | None = None) -> DemoRegistry:
    """Generate the registry of the demo province (deterministic for a seed and a scale);
    ``province_name`` ends the co-operatives' addresses ("Xã …, Đồng Tháp")."""
    rng = random.Random(seed)
    grid = _Grid()
    out = DemoRegistry()
    coop_cells: list[tuple[int, UnitPublic, float, float]] = []
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
                address=f"{commune.name}, {province_name or commune.province_code}",
                phone=phone(rng),
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
            coop_cells.append((coop_id, commune, cell_x, cell_y))
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
    add_map_features(out, communes, rural, coop_cells, grid, seed, scale)
    normalise(out)
    return out


# =============================================================================================
# The digital map: field blocks, dyke rings, planting-area codes, farms, ponds, raw-material
# areas, farmer clubs, input dealers, processors, exporters, infrastructure, soil units.
# A second random stream (seeded from the same seed) so the fields above do not change.
# =============================================================================================

FRUITS = ("mango", "durian", "pomelo", "longan")
MARKETS = ("Trung Quốc", "Hoa Kỳ", "EU", "Úc", "Nhật Bản", "Hàn Quốc", "New Zealand")
REGISTRY_START = dt.datetime(2025, 7, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
"""The demo registry's records are "as of" the new communes (1 July 2025, Vietnam time)."""
HISTORY_CHANGE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
"""Some planting areas were redrawn (enlarged) on 1 March 2026: their earlier version stays."""

UNIT_DEFAULTS: dict[str, Any] = {
    "code": None, "organisation_id": None, "farmer_id": None, "crop": None, "area_ha": None,
    "declared_area_ha": None, "variety": None, "species": None, "head_count": None,
    "water_surface_ha": None, "export_market": None, "parent_id": None, "status": "active",
    "valid_from": None, "valid_to": None, "flags": [], "search_key": None, "version": 1,
    "updated_at": None,
}
ORG_DEFAULTS: dict[str, Any] = {
    "licence_no": None, "licence_expiry": None, "status": "active", "valid_from": None,
    "valid_to": None, "search_key": None, "version": 1, "updated_at": None, "tax_code": None,
}


def _rect(x0: float, y0: float, w: float, h: float) -> Any:
    from shapely.geometry import box

    return box(x0, y0, x0 + w, y0 + h)


def _lonlat(geom_utm: Any) -> tuple[dict[str, Any], list[float]]:
    import shapely

    def back(xy: Any) -> Any:
        import numpy as np

        x, y = TO_LONLAT.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.round(x, 7), np.round(y, 7)])

    g = shapely.transform(geom_utm, back)
    from shapely.geometry import mapping

    geometry = json.loads(json.dumps(mapping(g)))
    minx, miny, maxx, maxy = g.bounds
    return geometry, [minx, miny, maxx, maxy]


def _point(lon: float, lat: float) -> tuple[dict[str, Any], list[float]]:
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}, [lon, lat, lon, lat]


def _near(rng: random.Random, commune: UnitPublic, spread: float) -> tuple[float, float]:
    """A point near the commune's centre (within ``spread`` × its equivalent radius)."""
    assert commune.lon is not None and commune.lat is not None
    cx, cy = TO_UTM.transform(commune.lon, commune.lat)
    radius = math.sqrt((commune.area_km2 or 30.0) / math.pi) * 1000
    a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, spread * radius)
    lon, lat = TO_LONLAT.transform(cx + d * math.cos(a), cy + d * math.sin(a))
    return float(lon), float(lat)


def _area_ha(geom_utm: Any) -> float:
    return round(float(geom_utm.area) / 10_000, 4)


def add_map_features(
    out: DemoRegistry, communes: list[UnitPublic], rural: list[UnitPublic],
    coop_cells: list[tuple[int, UnitPublic, float, float]], grid: _Grid, seed: int,
    scale: float,
) -> None:
    from shapely.geometry import LineString, MultiPoint

    from nongso.registry import boundaries, rules

    rng = random.Random(seed * 7919 + 17)
    next_unit = max((u["id"] for u in out.units), default=0)
    next_org = max((o["id"] for o in out.organisations), default=0)
    next_infra = 0
    province = rural[0].province_code

    def unit(**values: Any) -> dict[str, Any]:
        nonlocal next_unit
        next_unit += 1
        row = {**UNIT_DEFAULTS, "id": next_unit, "attributes": {"demo": True}, **values}
        out.units.append(row)
        return row

    def org(**values: Any) -> dict[str, Any]:
        nonlocal next_org
        next_org += 1
        row = {**ORG_DEFAULTS, "id": next_org, "parent_id": None, "address": None,
               "phone": None, "attributes": {"demo": True}, **values}
        out.organisations.append(row)
        return row

    def infra(**values: Any) -> dict[str, Any]:
        nonlocal next_infra
        next_infra += 1
        row = {"id": next_infra, "subtype": None, "code": None, "organisation_id": None,
               "river": None, "status": "active", "valid_from": dt.date(2025, 7, 1),
               "valid_to": None, "length_m": None, "flags": [], "search_key": None,
               "version": 1, "updated_at": None, "attributes": {"demo": True}, **values}
        out.infrastructure.append(row)
        return row

    def geo_cols(geometry: dict[str, Any], bbox: list[float]) -> dict[str, Any]:
        return {"geometry": json.dumps(geometry), "min_lon": bbox[0], "min_lat": bbox[1],
                "max_lon": bbox[2], "max_lat": bbox[3]}

    orgs_by_id = {o["id"]: o for o in out.organisations}
    # Co-operatives sit at their block (not all on the commune centre).
    for coop_id, _commune, cx, cy in coop_cells:
        lon, lat = TO_LONLAT.transform(cx + CELL_M / 2, cy + CELL_M / 2)
        orgs_by_id[coop_id].update(lat=round(lat, 6), lon=round(lon, 6))
    for o in out.organisations:
        if o["kind"] == "coop_group" and o["parent_id"] in orgs_by_id:
            parent = orgs_by_id[o["parent_id"]]
            o.update(lat=round(parent["lat"] + rng.uniform(-0.004, 0.004), 6),
                     lon=round(parent["lon"] + rng.uniform(-0.004, 0.004), 6))

    # Large field blocks ("cánh đồng lớn"): the co-operative's first 1.2-km block.
    blocks_by_commune: dict[str, list[Any]] = {}
    seen_coops: set[int] = set()
    plots_of: dict[int, list[dict[str, Any]]] = {}
    for u in out.units:
        if u["kind"] == "plot" and u["organisation_id"] is not None:
            plots_of.setdefault(u["organisation_id"], []).append(u)
    for coop_id, commune, cx, cy in coop_cells:
        if coop_id in seen_coops:
            continue
        seen_coops.add(coop_id)
        shape_utm = _rect(cx - 3, cy - 3, CELL_M + 6, CELL_M + 6)
        geometry, bbox = _lonlat(shape_utm)
        area = _area_ha(shape_utm)
        block = unit(kind="field_block", name=f"Cánh đồng lớn {orgs_by_id[coop_id]['name']}",
                     commune_code=commune.code, province_code=commune.province_code,
                     organisation_id=coop_id, crop="rice", area_ha=area,
                     declared_area_ha=round(area * rng.uniform(0.97, 1.03), 1),
                     **geo_cols(geometry, bbox))
        blocks_by_commune.setdefault(commune.code, []).append(shape_utm)
        for u in plots_of.get(coop_id, []):
            if u.get("parent_id") is None:
                lon, lat = (u["min_lon"] + u["max_lon"]) / 2, (u["min_lat"] + u["max_lat"]) / 2
                px, py = TO_UTM.transform(lon, lat)
                if cx <= px <= cx + CELL_M and cy <= py <= cy + CELL_M:
                    u["parent_id"] = block["id"]
    # Dyke-ringed areas ("ô bao") around the blocks of communes with several co-operatives.
    by_code = {c.code: c for c in rural}
    for code, blocks in blocks_by_commune.items():
        if len(blocks) < 2:
            continue
        ring_utm = MultiPoint([p for b in blocks for p in b.exterior.coords]).convex_hull.buffer(
            150, join_style="mitre")
        geometry, bbox = _lonlat(ring_utm)
        c = by_code[code]
        unit(kind="dyke_ring", name=f"Ô bao {c.short_name}", commune_code=code,
             province_code=c.province_code, crop="rice", area_ha=_area_ha(ring_utm),
             **geo_cols(geometry, bbox))
        # Its dyke, in segments of the ring's outline.
        coords = list(ring_utm.exterior.coords)
        step = max(2, len(coords) // 4)
        for n, start in enumerate(range(0, len(coords) - 1, step)):
            part = LineString(coords[start:start + step + 1])
            if part.length < 50:
                continue
            geometry, bbox = _lonlat(part)
            infra(kind="dyke_segment", name=f"Đê bao {c.short_name} — đoạn {n + 1}",
                  code=f"DE-{code}-{n + 1}", commune_code=code, province_code=c.province_code,
                  length_m=round(part.length, 1), **geo_cols(geometry, bbox),
                  attributes={"demo": True, "crest_m": round(rng.uniform(3.0, 4.5), 1)})

    # Planting-area codes (mã số vùng trồng) for fruit, in their own grid cells.
    coops_of: dict[str, list[int]] = {}
    for coop_id, commune, _, _ in coop_cells:
        coops_of.setdefault(commune.code, []).append(coop_id)
    rules_by_crop = rules.default_area_rules()
    planting: list[tuple[dict[str, Any], Any]] = []
    code_no = 0
    for commune in rural:
        n_areas = rng.choice((0, 1, 1, 2, 2, 3))
        for _ in range(n_areas):
            crop = rng.choice(FRUITS)
            cx, cy = TO_UTM.transform(*_near(rng, commune, 0.4))
            gx, gy = grid.take(cx, cy)
            # A code covers many households' orchards: about 28 ha on average, as the real
            # codes of old Đồng Tháp's mango (295 codes, 8,300 ha; nongnghiep.vn, "Xoài Đồng
            # Tháp được cấp 252 mã số vùng trồng xuất khẩu sang Trung Quốc").
            hectares = min(90.0, max(3.0, rng.lognormvariate(math.log(23.0), 0.65)))
            ratio = rng.uniform(0.6, 1.6)
            w = min(CELL_M - 40, math.sqrt(hectares * 10_000 * ratio))
            h = min(CELL_M - 40, hectares * 10_000 / w)
            shape_utm = _rect(gx + 20, gy + 20, w, h)
            area = _area_ha(shape_utm)
            if area < rules_by_crop[crop].min_area_ha * 1.05:
                shape_utm = _rect(gx + 20, gy + 20, 120, 100)
                area = _area_ha(shape_utm)
            geometry, bbox = _lonlat(shape_utm)
            code_no += 1
            valid_from = dt.date(rng.choice((2022, 2023, 2024, 2025)), rng.randint(1, 12), 1)
            valid_to = dt.date(valid_from.year + 3, valid_from.month, 1)
            declared = round(area * (1 + rng.choice((-1, 1)) * (
                rng.uniform(0.12, 0.3) if rng.random() < 0.06 else rng.uniform(0, 0.05))), 2)
            owner = rng.choice(coops_of.get(commune.code) or [None])
            row = unit(kind="planting_area", code=f"VN-DTOR-{code_no:04d}",
                       name=f"Vùng trồng {VARIETIES[crop][0] if crop != 'pomelo' else 'bưởi'} "
                            f"{commune.short_name}",
                       commune_code=commune.code, province_code=commune.province_code,
                       organisation_id=owner, crop=crop, variety=rng.choice(VARIETIES[crop]),
                       area_ha=area, declared_area_ha=declared,
                       export_market=rng.choice(MARKETS), valid_from=valid_from,
                       valid_to=valid_to, **geo_cols(geometry, bbox),
                       attributes={"demo": True, "location": f"Ấp {rng.randint(1, 9)}, "
                                                             f"{commune.name}"})
            flag = rules.declared_area_flag(area, declared)
            row["flags"] = [flag] if flag else []
            planting.append((row, shape_utm))
    # Two codes drawn over each other by mistake: both are flagged.
    if len(planting) >= 2:
        first, first_utm = planting[0]
        x0, y0, x1, y1 = first_utm.bounds
        shape_utm = _rect(x0 + (x1 - x0) * 0.6, y0 + 10, (x1 - x0) * 0.9, (y1 - y0) * 0.9)
        geometry, bbox = _lonlat(shape_utm)
        code_no += 1
        second = unit(kind="planting_area", code=f"VN-DTOR-{code_no:04d}",
                      name=f"Vùng trồng {first['crop']} (đăng ký trùng)",
                      commune_code=first["commune_code"], province_code=first["province_code"],
                      organisation_id=first["organisation_id"], crop=first["crop"],
                      variety=first["variety"], area_ha=_area_ha(shape_utm),
                      export_market=first["export_market"], valid_from=dt.date(2025, 9, 1),
                      valid_to=dt.date(2028, 9, 1), **geo_cols(geometry, bbox))
        shared = first_utm.intersection(shape_utm).area
        first["flags"] = [*first["flags"], rules.overlap_flag(second["id"], second["code"], shared)]
        second["flags"] = [rules.overlap_flag(first["id"], first["code"], shared)]
    # Some codes were redrawn on 1 March 2026: the earlier (smaller) outline stays in history.
    for row, shape_utm in planting[2::17]:
        x0, y0, x1, y1 = shape_utm.bounds
        before_utm = _rect(x0, y0, (x1 - x0) * 0.8, y1 - y0)
        geometry, bbox = _lonlat(before_utm)
        before = {**row, **geo_cols(geometry, bbox), "area_ha": _area_ha(before_utm),
                  "version": 1}
        row["version"] = 2
        out.history.append(("production_units", row["id"], before, HISTORY_CHANGE))

    # Fish ponds (aquaculture) along the Tiền river side, brackish-water shrimp ponds in the
    # saline coastal communes (pangasius is a freshwater fish), livestock farms.
    species = [("pangasius", 0.6), ("giant_prawn", 0.25), ("snakehead", 0.15)]
    shrimp = [("whiteleg_shrimp", 0.6), ("black_tiger_shrimp", 0.4)]
    saline = saline_communes()
    for commune in rural:
        assert commune.lat is not None and commune.lon is not None
        riverside = commune.lon < 106.05 and rng.random() < 0.6
        coastal = commune.code in saline
        for _ in range(rng.randint(1, 3) if riverside or coastal else rng.randint(0, 1)):
            x = rng.random()
            mix = shrimp if coastal else species
            kind_species = next((s for s, share in _cumulative(mix) if x <= share), mix[0][0])
            gx, gy = grid.take(*TO_UTM.transform(*_near(rng, commune, 0.5)))
            ponds = rng.randint(1, 4)
            pond_w, pond_h = rng.uniform(80, 160), rng.uniform(80, 140)
            for p in range(ponds):
                shape_utm = _rect(gx + 30 + p * (pond_w + 12), gy + 30, pond_w, pond_h)
                geometry, bbox = _lonlat(shape_utm)
                area = _area_ha(shape_utm)
                unit(kind="aquaculture", name=f"Ao nuôi {commune.short_name} {p + 1}",
                     commune_code=commune.code, province_code=commune.province_code,
                     crop=kind_species, species=kind_species, area_ha=area,
                     declared_area_ha=round(area, 2), water_surface_ha=round(area * 0.85, 2),
                     organisation_id=rng.choice(coops_of.get(commune.code) or [None]),
                     **geo_cols(geometry, bbox))
        if rng.random() < 0.35:
            animal = rng.choice(("pig", "cattle", "duck", "chicken"))
            heads = {"pig": (200, 3000), "cattle": (30, 400), "duck": (2000, 20000),
                     "chicken": (3000, 30000)}[animal]
            gx, gy = grid.take(*TO_UTM.transform(*_near(rng, commune, 0.5)))
            shape_utm = _rect(gx + 40, gy + 40, rng.uniform(60, 160), rng.uniform(50, 120))
            geometry, bbox = _lonlat(shape_utm)
            unit(kind="livestock_farm", name=f"Trang trại {commune.short_name}",
                 commune_code=commune.code, province_code=commune.province_code, crop=animal,
                 species=animal, head_count=rng.randint(*heads), area_ha=_area_ha(shape_utm),
                 **geo_cols(geometry, bbox))

    # Businesses: input dealers (with licences), processors, exporters; farmer clubs.
    today = dt.date(2026, 6, 1)
    licence_no = 0
    for commune in rural:
        for _ in range(rng.randint(1, 3)):
            licence_no += 1
            lon, lat = _near(rng, commune, 0.35)
            issued = dt.date(rng.randint(2020, 2025), rng.randint(1, 12), 1)
            expiry = dt.date(issued.year + 5, issued.month, 1)
            if rng.random() < 0.1:
                expiry = dt.date(today.year - 1, rng.randint(1, 12), 1)
            org(kind="input_dealer", name=f"Đại lý vật tư nông nghiệp {commune.short_name} "
                                          f"{licence_no}",
                code=f"DL-{province}-{licence_no:04d}", commune_code=commune.code,
                province_code=commune.province_code, address=commune.name,
                lat=round(lat, 6), lon=round(lon, 6),
                licence_no=f"{licence_no:04d}/{issued.year}/GCN-BVTV", licence_expiry=expiry)
        if rng.random() < 0.3:
            lon, lat = _near(rng, commune, 0.3)
            org(kind="farmer_club", name=f"Hội quán nông dân {commune.short_name}",
                code=f"HQ-{commune.code}", commune_code=commune.code,
                province_code=commune.province_code, address=commune.name,
                lat=round(lat, 6), lon=round(lon, 6))
    processors = [("Nhà máy xay xát lúa gạo", "rice"), ("Cơ sở đóng gói trái cây", "mango"),
                  ("Công ty chế biến thủy sản", "pangasius"), ("Cơ sở sấy lúa", "rice")]
    for n in range(max(4, round(16 * min(scale, 1.0)))):
        commune = rural[(n * 11 + 3) % len(rural)]
        title, crop = processors[n % len(processors)]
        lon, lat = _near(rng, commune, 0.3)
        org(kind="processor", name=f"{title} {commune.short_name}",
            code=f"CB-{province}-{n + 1:03d}", commune_code=commune.code,
            province_code=commune.province_code, address=commune.name, lat=round(lat, 6),
            lon=round(lon, 6), attributes={"demo": True, "product": crop})
    exporters = []
    for n, name in enumerate(("Công ty CP Xuất nhập khẩu Nông sản Đồng Tháp Xanh",
                              "Công ty TNHH Trái cây Xuất khẩu Mekong Việt",
                              "Công ty CP Thủy sản Sông Tiền")):
        commune = rural[(n * 17 + 5) % len(rural)]
        lon, lat = _near(rng, commune, 0.2)
        exporters.append(org(kind="exporter", name=name, code=f"XK-{province}-{n + 1}",
                             commune_code=commune.code, province_code=commune.province_code,
                             address=commune.name, lat=round(lat, 6), lon=round(lon, 6),
                             tax_code=f"14{rng.randint(10_000_000, 99_999_999)}"))
    # Raw-material areas of the exporters (one 1.2-km block each).
    for exporter, crop in zip(exporters, ("rice", "mango", "pangasius"), strict=True):
        commune = by_code.get(exporter["commune_code"]) or rural[0]
        if crop == "pangasius" and commune.code in saline:  # a freshwater commune nearby
            commune = min((c for c in rural if c.code not in saline),
                          key=lambda c: ((c.lon or 0) - (commune.lon or 0)) ** 2
                          + ((c.lat or 0) - (commune.lat or 0)) ** 2)
        gx, gy = grid.take(*TO_UTM.transform(*_near(rng, commune, 0.5)))
        shape_utm = _rect(gx + 10, gy + 10, CELL_M - 20, CELL_M - 20)
        geometry, bbox = _lonlat(shape_utm)
        unit(kind="raw_material_area", name=f"Vùng nguyên liệu {exporter['name']}",
             commune_code=commune.code, province_code=commune.province_code,
             organisation_id=exporter["id"], crop=crop, area_ha=_area_ha(shape_utm),
             valid_from=dt.date(2025, 1, 1), **geo_cols(geometry, bbox))

    # Irrigation: pumping stations and sluices; pest light traps.
    for commune in rural:
        for n in range(rng.randint(1, 3)):
            lon, lat = _near(rng, commune, 0.6)
            geometry, bbox = _point(lon, lat)
            infra(kind="pumping_station", name=f"Trạm bơm điện {commune.short_name} {n + 1}",
                  code=f"TB-{commune.code}-{n + 1}", commune_code=commune.code,
                  province_code=commune.province_code, **geo_cols(geometry, bbox),
                  attributes={"demo": True, "capacity_m3_h": rng.choice((1000, 2000, 3600, 5400)),
                              "pumps": rng.randint(2, 6)})
        if rng.random() < 0.7:
            lon, lat = _near(rng, commune, 0.7)
            geometry, bbox = _point(lon, lat)
            infra(kind="sluice", name=f"Cống {commune.short_name}", code=f"CG-{commune.code}",
                  commune_code=commune.code, province_code=commune.province_code,
                  **geo_cols(geometry, bbox),
                  attributes={"demo": True, "gate_width_m": rng.choice((2.0, 3.0, 5.0, 8.0))})
        if rng.random() < 0.3:
            lon, lat = _near(rng, commune, 0.4)
            geometry, bbox = _point(lon, lat)
            infra(kind="monitoring_station", subtype="light_trap",
                  name=f"Bẫy đèn {commune.short_name}", code=f"BD-{commune.code}",
                  commune_code=commune.code, province_code=commune.province_code,
                  **geo_cols(geometry, bbox))
    for s in _stations():
        geometry, bbox = _point(float(s["lon"]), float(s["lat"]))
        infra(kind="monitoring_station", subtype=s["subtype"], code=s["code"], name=s["name"],
              river=s["river"] or None, commune_code=s["commune_code"],
              province_code=s["province_code"], **geo_cols(geometry, bbox),
              attributes={"demo": False, "note": s["note"]})
    # The simulated sensor stations (demo.monitor) that the list of real stations lacks: their
    # registry record at the commune centre, where the simulated station stands, so that every
    # simulated station is linked to a registry record.
    from nongso.demo.monitor import REGISTRY_SUBTYPES, STATIONS

    have = {i["code"] for i in out.infrastructure}
    every_commune = {c.code: c for c in communes}
    for st in STATIONS:
        place = every_commune.get(st.commune_code)
        if not st.registry_code or st.registry_code in have or place is None \
                or place.lon is None or place.lat is None:
            continue
        geometry, bbox = _point(float(place.lon), float(place.lat))
        infra(kind="monitoring_station", subtype=REGISTRY_SUBTYPES[st.kind],
              code=st.registry_code, name=st.name, commune_code=place.code,
              province_code=place.province_code, **geo_cols(geometry, bbox),
              attributes={"demo": True, "note": "Trạm mô phỏng của bản demo / simulated station"})
        have.add(st.registry_code)

    # Soil map units: a 6-km grid over the synthetic province outline.
    points = [boundaries.CommunePoint(c.code, c.name, float(c.lon or 0), float(c.lat or 0),
                                      c.area_km2) for c in communes if c.lat and c.lon]
    outline = boundaries.synthesize(province, "", points)[-1].geometry
    import shapely

    outline_utm = shapely.transform(outline, lambda xy: _utm(xy))
    x0, y0, x1, y1 = outline_utm.bounds
    soil_id = 0
    soil_step = 6000.0
    y = y0
    while y < y1:
        x = x0
        while x < x1:
            cell = outline_utm.intersection(_rect(x, y, soil_step, soil_step))
            if not cell.is_empty and cell.area > 2e5 and cell.geom_type in ("Polygon",
                                                                            "MultiPolygon"):
                lon, lat = TO_LONLAT.transform(x + soil_step / 2, y + soil_step / 2)
                soil_type, ph, om, salinity = _soil(rng, lon, lat)
                geometry, bbox = _lonlat(cell)
                soil_id += 1
                nearest = min(rural, key=lambda c: (c.lon - lon) ** 2 + (c.lat - lat) ** 2)
                out.soil_units.append({
                    "id": soil_id, "code": f"DAT-{province}-{soil_id:03d}",
                    "name": f"Đơn vị đất {soil_id:03d}", "soil_type": soil_type, "ph": ph,
                    "organic_matter_pct": om, "salinity_class": salinity,
                    "commune_code": nearest.code, "province_code": province,
                    "area_ha": _area_ha(cell), "source": "Mô phỏng (demo) theo vùng sinh thái",
                    "status": "active", "valid_from": None, "valid_to": None,
                    "flags": [], "search_key": None, "version": 1, "updated_at": None,
                    "attributes": {"demo": True}, **geo_cols(geometry, bbox),
                })
            x += soil_step
        y += soil_step


SALINE_DISTRICTS = {"816": "Thành phố Gò Công", "823": "Huyện Gò Công Tây",
                    "824": "Huyện Gò Công Đông", "825": "Huyện Tân Phú Đông"}
"""The coastal districts of the old Tiền Giang province (legacy codes), on the sea and the
saline Cửa Tiểu and Soài Rạp mouths: brackish water in the dry season, shrimp rather than
pangasius (a freshwater fish)."""


@cache
def saline_communes() -> frozenset[str]:
    """The current communes formed from communes of :data:`SALINE_DISTRICTS` (from the
    administrative lineage shipped with the units domain)."""
    import csv
    from importlib import resources

    data = resources.files("nongso.units").joinpath("data")
    with data.joinpath("legacy_units.csv").open(encoding="utf-8") as f:
        old = {r["code"] for r in csv.DictReader(f)
               if r["level"] == "commune" and r["parent_code"] in SALINE_DISTRICTS}
    with data.joinpath("lineage.csv").open(encoding="utf-8") as f:
        return frozenset(r["new_commune_code"] for r in csv.DictReader(f)
                         if r["old_commune_code"] in old)


def _utm(xy: Any) -> Any:
    import numpy as np

    x, y = TO_UTM.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _cumulative(shares: list[tuple[str, float]]) -> list[tuple[str, float]]:
    acc, out = 0.0, []
    for name, share in shares:
        acc += share
        out.append((name, acc))
    return out


def _soil(rng: random.Random, lon: float, lat: float) -> tuple[str, float, float, str]:
    """Plausible soils of the delta by zone: acid sulphate in the Plain of Reeds (north),
    saline and sandy ridges near the Gò Công coast (east), alluvium along the rivers."""
    if lon > 106.55:
        if rng.random() < 0.4:
            return "sandy_ridge", round(rng.uniform(5.5, 6.8), 1), \
                round(rng.uniform(0.5, 1.5), 1), "slight"
        return "saline", round(rng.uniform(5.8, 7.5), 1), round(rng.uniform(1.5, 3.0), 1), \
            rng.choice(("moderate", "strong"))
    if lat > 10.55:
        return "acid_sulphate", round(rng.uniform(3.5, 4.8), 1), round(rng.uniform(3.0, 8.0), 1), \
            "non_saline"
    if lon > 106.3 and rng.random() < 0.3:
        return "saline", round(rng.uniform(6.0, 7.2), 1), round(rng.uniform(1.5, 3.0), 1), "slight"
    return "alluvial", round(rng.uniform(5.0, 6.5), 1), round(rng.uniform(2.0, 4.0), 1), \
        "non_saline"


def _stations() -> list[dict[str, str]]:
    import csv
    from importlib import resources

    path = resources.files("nongso.registry").joinpath("data", "monitoring_stations.csv")
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def normalise(out: DemoRegistry) -> None:
    """Every row of a table with the same keys (bulk inserts need it), search keys filled."""
    from nongso.core.i18n import fold

    for u in out.units:
        for key, value in UNIT_DEFAULTS.items():
            u.setdefault(key, value if not isinstance(value, list) else [])
        u["search_key"] = fold(f"{u['name']} {u['code'] or ''}")
    for o in out.organisations:
        for key, value in ORG_DEFAULTS.items():
            o.setdefault(key, value)
        o["search_key"] = fold(f"{o['name']} {o['code'] or ''}")
    for i in out.infrastructure:
        i["search_key"] = fold(f"{i['name']} {i['code'] or ''}")
    for s in out.soil_units:
        s["search_key"] = fold(f"{s['name']} {s['code'] or ''}")
