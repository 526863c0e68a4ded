"""Sensors (SensorThings Things) linked to the registry's monitoring stations and fields.

The link is checked through the registry's services (an unknown record or one that is not a
monitoring station is refused, nothing is stored), and it is shown both ways: the registry's
record lists its sensors, the monitoring pages link to the registry's record.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from nongso.core.permissions import ANONYMOUS, SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services
from nongso.monitor.models import Datastream, Location, Observation, Thing
from nongso.registry import services as registry
from nongso.registry.schemas import InfrastructureCreate
from nongso.units import services as units
from tests.helpers import Actors, assert_problem

STA = "/sta/v1.1"


def registry_station(actors: Actors, code: str, kind: str = "monitoring_station") -> int:
    """A registry infrastructure record at the centre of commune A (by the registry's
    service); a monitoring station unless ``kind`` says otherwise."""
    uow = actors.platform.uow(SYSTEM)
    commune = units.require_commune(uow, actors.commune_a)
    assert commune.lon is not None and commune.lat is not None
    return registry.create_infrastructure(uow, InfrastructureCreate(
        kind=kind, subtype="salinity" if kind == "monitoring_station" else None, code=code,
        name=f"Công trình {code}", commune_code=actors.commune_a,
        geometry={"type": "Point", "coordinates": [commune.lon, commune.lat]})).id


def _thing(name: str, **props: Any) -> dict[str, Any]:
    return {
        "name": name, "description": f"Trạm {name}", "properties": props,
        "Locations": [{"name": name, "description": "", "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [106.37, 10.35]}}],
        "Datastreams": [{
            "name": f"Độ mặn {name}", "unitOfMeasurement": {"name": "phần nghìn",
                                                            "symbol": "‰"},
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
                               "OM_Measurement",
            "Sensor": {"name": "CTD", "encodingType": "text/html", "metadata": "x"},
            "ObservedProperty": {"name": "Độ mặn", "definition": "salinity"},
            "Observations": [{"phenomenonTime": "2026-03-01T00:00:00Z", "result": 0.4}],
        }],
    }


def _counts(platform: Platform) -> tuple[int, ...]:
    with platform.engine.connect() as c:
        return tuple(int(c.scalar(select(func.count()).select_from(m)) or 0)
                     for m in (Thing, Location, Datastream, Observation))


def test_registry_feature_id_must_be_a_monitoring_station(actors: Actors,
                                                          platform: Platform) -> None:
    admin = actors.headers("admin")
    pump = registry_station(actors, "TB-THU", kind="pumping_station")
    gone = registry_station(actors, "MAN-CU")
    registry.delete_infrastructure(platform.uow(SYSTEM), gone)
    before = _counts(platform)
    # An id the registry does not have: refused, in Vietnamese, naming the field.
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm lạ", registryFeatureId=987654),
                           headers=admin)
    err = assert_problem(r, 422)
    assert err["errors"][0]["loc"] == "/properties/registryFeatureId"
    assert "Sổ đăng ký không có công trình mã 987654" in err["detail"]
    # ... and in English when asked.
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm lạ", registryFeatureId=987654),
                           headers={**admin, "Accept-Language": "en"})
    err = assert_problem(r, 422)
    assert "no infrastructure record 987654" in err["detail"]
    # A pumping station is not a monitoring station; a deleted station is no longer there.
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm bơm", registryFeatureId=pump),
                           headers=admin)
    err = assert_problem(r, 422)
    assert err["errors"][0]["loc"] == "/properties/registryFeatureId"
    assert "trạm bơm, không phải trạm quan trắc" in err["detail"]
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm cũ", registryFeatureId=gone),
                           headers=admin)
    assert assert_problem(r, 422)["errors"][0]["loc"] == "/properties/registryFeatureId"
    assert _counts(platform) == before  # nothing half-written
    # A real monitoring station is accepted, and the link can be changed and removed.
    station = registry_station(actors, "MAN-THU")
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm thật", registryFeatureId=station),
                           headers=admin)
    assert r.status_code == 201, r.text
    thing = r.json()["@iot.id"]
    assert r.json()["properties"]["registryFeatureId"] == station
    r = actors.client.patch(f"{STA}/Things({thing})", headers=admin,
                            json={"properties": {"registryFeatureId": pump}})
    assert assert_problem(r, 422)["errors"][0]["loc"] == "/properties/registryFeatureId"
    r = actors.client.get(f"{STA}/Things({thing})")
    assert r.json()["properties"]["registryFeatureId"] == station  # unchanged
    r = actors.client.patch(f"{STA}/Things({thing})", headers=admin,
                            json={"properties": {"registryFeatureId": None}})
    assert r.status_code == 200, r.text
    assert "registryFeatureId" not in actors.client.get(
        f"{STA}/Things({thing})").json()["properties"]


def test_the_link_is_shown_from_both_sides(actors: Actors, platform: Platform) -> None:
    admin = actors.headers("admin")
    station = registry_station(actors, "MAN-HAI")
    other = registry_station(actors, "MAN-KHAC")
    r = actors.client.post(f"{STA}/Things", json=_thing("Trạm Hai", registryFeatureId=station),
                           headers=admin)
    assert r.status_code == 201, r.text
    thing = r.json()["@iot.id"]
    hidden = actors.client.post(f"{STA}/Things", headers=admin, json=_thing(
        "Trạm nội bộ", registryFeatureId=station, isPublic=False)).json()["@iot.id"]
    # The registry's API: the record lists its sensors (only those the caller may see).
    body = actors.client.get(f"/api/v1/registry/infrastructure/{station}").json()
    assert [(s["id"], s["name"], s["href"], s["self_link"]) for s in body["sensors"]] == [
        (thing, "Trạm Hai", f"/monitor/stations/{thing}", f"{STA}/Things({thing})")]
    body = actors.client.get(f"/api/v1/registry/infrastructure/{station}", headers=admin).json()
    assert [s["id"] for s in body["sensors"]] == [thing, hidden]
    assert actors.client.get("/api/v1/registry/stations/MAN-HAI").json()["sensors"][0][
        "id"] == thing
    assert actors.client.get(f"/api/v1/registry/infrastructure/{other}").json()["sensors"] == []
    # The registry's record page links to the sensor's page and its SensorThings record.
    page = actors.client.get(f"/registry/infrastructure/{station}")
    assert page.status_code == 200
    sensors = re.search(r'<ul id="sensors">(.*?)</ul>', page.text, re.S)
    assert sensors is not None
    assert f'href="/monitor/stations/{thing}"' in sensors.group(1)
    assert "Trạm Hai" in sensors.group(1) and "Trạm nội bộ" not in sensors.group(1)
    empty = actors.client.get(f"/registry/infrastructure/{other}").text
    assert "Chưa có cảm biến nào gắn với trạm này." in empty
    # The monitoring pages link back to the registry's record.
    page = actors.client.get(f"/monitor/stations/{thing}")
    assert page.status_code == 200
    assert f'id="registry-record" href="/registry/infrastructure/{station}"' in page.text
    assert "Công trình MAN-HAI" in page.text
    data = re.search(r'id="station-data">(.*?)</script>', actors.client.get("/monitor").text,
                     re.S)
    assert data is not None
    on_map = {s["id"]: s["registry_feature_id"] for s in json.loads(data.group(1))}
    assert on_map[thing] == station
    # Monitoring's service is what the registry asks (wired, not read from its tables).
    assert [t.id for t in services.things_of_registry_feature(
        platform.uow(ANONYMOUS), station)] == [thing]
    assert [t.id for t in services.things_of_registry_feature(
        platform.uow(SYSTEM), station)] == [thing, hidden]


def test_fields_around_a_station_come_from_the_registry(actors: Actors,
                                                        platform: Platform) -> None:
    from tests.alerts.conftest import add_fields

    lon, lat = 106.30, 10.40
    add_fields(platform, lon, lat, {"rice": actors.commune_a, "mango": actors.commune_b})
    add_fields(platform, lon + 0.05, lat, {"durian": actors.commune_a})  # about 5.5 km east
    r = actors.client.post(f"{STA}/Things", headers=actors.headers("admin"), json={
        **_thing("Trạm ruộng"), "Locations": [{
            "name": "p", "description": "", "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [lon, lat]}}]})
    assert r.status_code == 201, r.text
    stream = next(s for s in services.rule_streams(platform.uow(SYSTEM))
                  if s.thing_id == r.json()["@iot.id"])
    near = services.fields_around(platform.uow(SYSTEM), stream, 1000)
    assert [f.crop for f in near] == ["rice", "mango"]  # nearest first, within 1 km
    assert near[0].distance_m < near[1].distance_m < 1000
    wide = services.fields_around(platform.uow(SYSTEM), stream, 10_000)
    assert [f.crop for f in wide] == ["rice", "mango", "durian"]
    # A field deleted from the registry no longer counts.
    registry.delete_production_unit(platform.uow(SYSTEM), near[0].id)
    assert [f.crop for f in services.fields_around(platform.uow(SYSTEM), stream, 1000)] == [
        "mango"]
    # A farmer's fields (for "alerts for me").
    add_fields(platform, 105.9, 10.3, {"pomelo": actors.commune_a},
               farmer_id=actors.farmer_a.id)
    assert [f.crop for f in services.fields_of(platform.uow(SYSTEM),
                                               farmer_id=actors.farmer_a.id)] == ["pomelo"]
