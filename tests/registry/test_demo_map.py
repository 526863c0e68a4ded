"""The demo province's map: realistic features that obey the registry's own rules."""

from __future__ import annotations

import csv
import json
from collections import Counter
from importlib import resources

from fastapi.testclient import TestClient
from shapely.geometry import shape
from shapely.strtree import STRtree
from sqlalchemy import func, select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import registry as demo_registry
from nongso.demo import services as demo
from nongso.registry import geo, rules
from nongso.registry.models import AdminBoundary, FeatureVersion, ProductionUnit
from nongso.units import services as units


def test_demo_map_features_are_realistic(platform: Platform) -> None:
    communes = units.communes_of_province(platform.uow(), "82")
    data = demo_registry.build(communes, seed=7, scale=0.1)
    kinds = Counter(u["kind"] for u in data.units)
    for kind in ("field_block", "dyke_ring", "planting_area", "aquaculture", "livestock_farm",
                 "raw_material_area"):
        assert kinds[kind] > 0, kind
    orgs = Counter(o["kind"] for o in data.organisations)
    for kind in ("cooperative", "coop_group", "farmer_club", "input_dealer", "processor",
                 "buyer", "exporter"):
        assert orgs[kind] > 0, kind
    infra = Counter(i["kind"] for i in data.infrastructure)
    assert set(infra) == {"pumping_station", "sluice", "dyke_segment", "monitoring_station"}
    # Planting-area codes: fruit, unique codes, at least the minimum size, measured areas.
    minimum = rules.default_area_rules()
    areas = [u for u in data.units if u["kind"] == "planting_area"]
    assert {u["crop"] for u in areas} == {"mango", "durian", "pomelo", "longan"}
    assert len({u["code"] for u in areas}) == len(areas)
    for u in areas:
        g = shape(json.loads(u["geometry"]))
        assert g.is_valid and u["area_ha"] >= minimum[u["crop"]].min_area_ha
        assert abs(rules.area_ha(g) - u["area_ha"]) / u["area_ha"] < 0.002  # type: ignore[operator]
    # Only the one deliberate pair overlaps, and both are flagged.
    geoms = [shape(json.loads(u["geometry"])) for u in areas]
    tree = STRtree(geoms)
    pairs = {tuple(sorted((i, int(j)))) for i, g in enumerate(geoms)
             for j in tree.query(g, predicate="intersects") if int(j) != i}
    assert len(pairs) == 1
    for i in next(iter(pairs)):
        assert "overlap" in {f["code"] for f in areas[i]["flags"]}
    # Input dealers carry a licence, some of them expired.
    dealers = [o for o in data.organisations if o["kind"] == "input_dealer"]
    assert all(o["licence_no"] and o["licence_expiry"] for o in dealers)
    # The monitoring stations of the data file, at their (approximate) real places.
    path = resources.files("nongso.registry").joinpath("data", "monitoring_stations.csv")
    with path.open(encoding="utf-8") as f:
        listed = {r["code"]: r for r in csv.DictReader(f)}
    stations = {i["code"]: i for i in data.infrastructure if i["kind"] == "monitoring_station"
                and not i["attributes"].get("demo")}
    assert set(stations) == set(listed)
    # Every simulated sensor station has its registry record: a listed one or one the demo
    # adds at the commune centre (where the simulated station stands).
    from nongso.demo.monitor import STATIONS

    codes = {i["code"]: i for i in data.infrastructure if i["kind"] == "monitoring_station"}
    assert all(st.registry_code in codes for st in STATIONS)
    added = codes["MAN-VAMGIONG"]
    assert added["attributes"]["demo"] and added["subtype"] == "salinity"
    assert added["commune_code"] == "28648"
    tan_chau = json.loads(stations["TV-TANCHAU"]["geometry"])["coordinates"]
    assert abs(tan_chau[0] - 105.24) < 0.02 and abs(tan_chau[1] - 10.80) < 0.02
    assert stations["TV-TANCHAU"]["province_code"] == "91"
    assert {s["river"] for s in stations.values() if s["subtype"] == "salinity"} >= {
        "Tiền", "Hậu"}
    # Soil units tile the synthetic province; every feature is inside Vietnam.
    assert {s["soil_type"] for s in data.soil_units} >= {"alluvial", "acid_sulphate", "saline"}
    for row in data.units + data.infrastructure + data.soil_units:
        geo.parse_geojson_geometry(row["geometry"])
    assert data.history


def test_build_demo_registers_the_map_with_history(client: TestClient, platform: Platform) -> None:
    result = demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.03)
    assert result.built
    with platform.uow() as uow:
        s = uow.session
        units_n = s.scalar(select(func.count()).select_from(ProductionUnit))
        versions = s.scalar(select(func.count()).select_from(FeatureVersion).where(
            FeatureVersion.collection == "production_units"))
        assert versions == units_n + s.scalar(select(func.count()).select_from(ProductionUnit)
                                              .where(ProductionUnit.version == 2))
        boundaries = s.scalar(select(func.count()).select_from(AdminBoundary).where(
            AdminBoundary.synthetic.is_(True)))
        assert boundaries == 103  # 102 communes and the province outline
        redrawn = s.scalars(select(ProductionUnit).where(ProductionUnit.version == 2)).first()
        assert redrawn is not None and redrawn.kind == "planting_area"
        redrawn_id = redrawn.id
    url = f"/api/v1/registry/features/production_units/{redrawn_id}"
    before = client.get(url, params={"as_of": "2026-02-01"}).json()
    after = client.get(url).json()
    assert shape(before["geometry"]).area < shape(after["geometry"]).area
    assert before["properties"]["version"] == 1 and after["properties"]["version"] == 2
    station = client.get("/api/v1/registry/stations/TV-CHAUDOC").json()
    assert station["subtype"] == "hydrological" and station["river"] == "Hậu"
    home = client.get("/map")
    assert home.status_code == 200 and "Bản đồ số nông nghiệp" in home.text
