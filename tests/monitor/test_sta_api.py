"""The SensorThings API 1.1: entities, deep insert, query options, paging, writes, rights."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import services
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import Datastream, HistoricalLocation, Observation, Thing
from tests.helpers import Actors, assert_problem, count_queries
from tests.monitor.conftest import OM_COUNT, Station, make_station

STA = "/sta/v1.1"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _thing(name: str, lon: float = 106.37, lat: float = 10.35, **props: Any) -> dict[str, Any]:
    return {
        "name": name, "description": f"Trạm {name}", "properties": props,
        "Locations": [{"name": name, "description": "", "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [lon, lat]}}],
        "Datastreams": [{
            "name": f"Đếm rầy {name}", "description": "Số rầy nâu vào đèn mỗi đêm",
            "unitOfMeasurement": {"name": "con", "symbol": "con", "definition": "count"},
            "observationType": OM_COUNT,
            "Sensor": {"name": "Bẫy đèn", "description": "", "encodingType": "text/html",
                       "metadata": "https://example.org/bay-den"},
            "ObservedProperty": {"name": "Số rầy vào đèn", "definition": "light_trap_count"},
            "Observations": [{"phenomenonTime": "2026-03-01T23:00:00Z", "result": 120}],
        }],
    }


def _count(platform: Platform, model: Any) -> int:
    with platform.engine.connect() as c:
        return int(c.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def many(platform: Platform, fixed_now: clock.FixedClock) -> Station:
    st = make_station(platform, "Trạm Q")
    services.ingest(platform.uow(SYSTEM), [
        SeriesIn(st.salinity, [T0 + dt.timedelta(hours=i) for i in range(30)],
                 [0.1 * i for i in range(30)]),
        SeriesIn(st.water, [T0 + dt.timedelta(hours=i) for i in range(5)],
                 [3.0 + 0.1 * i for i in range(5)]),
    ])
    return st


def test_service_root_lists_entity_sets_and_conformance(client: Any) -> None:
    body = client.get(STA).json()
    names = [v["name"] for v in body["value"]]
    assert names == ["Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors",
                     "ObservedProperties", "Observations", "FeaturesOfInterest"]
    assert all(v["url"].startswith("http://testserver/sta/v1.1/") for v in body["value"])
    assert any("create-update-delete" in c for c in body["serverSettings"]["conformance"])


def test_deep_insert_answers_location_and_links_everything(
        actors: Actors, platform: Platform, fixed_now: clock.FixedClock) -> None:
    r = actors.client.post(f"{STA}/Things", json=_thing("Bẫy đèn Mỹ Hiệp", kind="light_trap"),
                           headers=actors.headers("province"))
    assert r.status_code == 201, r.text
    thing = r.json()
    assert r.headers["Location"] == f"http://testserver{STA}/Things({thing['@iot.id']})"
    assert thing["@iot.selfLink"] == r.headers["Location"]
    assert thing["Datastreams@iot.navigationLink"].endswith(
        f"Things({thing['@iot.id']})/Datastreams")
    # The commune comes from the location when it is not given.
    assert thing["properties"]["provinceCode"] == "82" and thing["properties"]["communeCode"]
    full = actors.client.get(
        f"{STA}/Things({thing['@iot.id']})",
        params={"$expand": "Locations,HistoricalLocations,Datastreams($expand=Sensor,"
                           "ObservedProperty,Observations($expand=FeatureOfInterest))"}).json()
    assert full["Locations"][0]["location"]["coordinates"] == [106.37, 10.35]
    assert len(full["HistoricalLocations"]) == 1
    ds = full["Datastreams"][0]
    assert ds["ObservedProperty"]["properties"]["code"] == "light_trap_count"
    assert ds["Sensor"]["metadata"] == "https://example.org/bay-den"
    (obs,) = ds["Observations"]
    assert obs["result"] == 120 and obs["resultQuality"] == "good"
    # The feature of interest was made from the Thing's location.
    assert obs["FeatureOfInterest"]["feature"] == {"type": "Point",
                                                   "coordinates": [106.37, 10.35]}
    assert ds["phenomenonTime"] == "2026-03-01T23:00:00Z"
    assert ds["observedArea"]["type"] == "Point"


def test_a_failing_deep_insert_stores_nothing(actors: Actors, platform: Platform,
                                              fixed_now: clock.FixedClock) -> None:
    body = _thing("Hỏng")
    body["Datastreams"][0]["Observations"] = [
        {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 10},
        {"phenomenonTime": "2026-03-01T01:00:00Z", "result": 1.5},  # not a count
    ]
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("admin"))
    body_err = assert_problem(r, 422)
    assert body_err["errors"][0]["loc"] == "/Datastreams/0/Observations/1/0"
    for model in (Thing, Datastream, Observation, HistoricalLocation):
        assert _count(platform, model) == 0
    body = _thing("Sai")
    body["Locations"][0]["location"] = {"type": "Point", "coordinates": [10.35, 106.37]}
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("admin"))
    err = assert_problem(r, 422)
    assert err["errors"][0]["loc"] == "/Locations/0/location"
    body = _thing("Thiếu")
    del body["Datastreams"][0]["unitOfMeasurement"]
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("admin"))
    err = assert_problem(r, 422)
    assert "/Datastreams/0/unitOfMeasurement" in [e["loc"] for e in err["errors"]]
    assert _count(platform, Thing) == 0


def test_post_on_a_navigation_collection_links_the_parent(actors: Actors, many: Station) -> None:
    h = actors.headers("admin")
    r = actors.client.post(f"{STA}/Things({many.thing_id})/Locations", headers=h, json={
        "name": "Vị trí mới", "description": "", "encodingType": "application/geo+json",
        "location": {"type": "Point", "coordinates": [106.4, 10.36]}})
    assert r.status_code == 201, r.text
    locations = actors.client.get(f"{STA}/Things({many.thing_id})/Locations").json()["value"]
    assert {loc["name"] for loc in locations} == {"Trạm Q", "Vị trí mới"}
    history = actors.client.get(f"{STA}/Things({many.thing_id})/HistoricalLocations",
                                params={"$expand": "Locations", "$orderby": "id"}).json()
    assert [len(h["Locations"]) for h in history["value"]] == [1, 2]
    r = actors.client.post(f"{STA}/Things(98765)/Datastreams", headers=h, json={})
    assert_problem(r, 404)


@pytest.mark.parametrize(("query", "expected"), [
    ("result gt 2.5", [2.6, 2.7, 2.8, 2.9]),
    ("result ge 1 and result lt 1.25", [1.0, 1.1, 1.2]),
    ("result lt 0.15 or result gt 2.85", [0.0, 0.1, 2.9]),
    ("not (result le 2.7)", [2.8, 2.9]),
    ("phenomenonTime ge 2026-03-02T03:00:00Z", [2.7, 2.8, 2.9]),
    ("phenomenonTime lt 2026-03-01T09:00:00+07:00", [0.0, 0.1]),
    ("hour(phenomenonTime) eq 23", [2.3]),
    ("day(phenomenonTime) eq 2 and result lt 2.6", [2.4, 2.5]),
    ("Datastream/name eq 'Độ mặn Trạm Q' and result gt 2.75", [2.8, 2.9]),
    ("Datastream/ObservedProperty/properties/code eq 'water_level' and result gt 3.3",
     [3.4]),
    ("round(result) eq 3 and result lt 3", [2.5, 2.6, 2.7, 2.8, 2.9]),
])
def test_filter(actors: Actors, many: Station, query: str, expected: list[float]) -> None:
    path = "Observations" if "water_level" in query else f"Datastreams({many.salinity})/" \
        "Observations"
    r = actors.client.get(f"{STA}/{path}",
                          params={"$filter": query, "$orderby": "result", "$top": 100})
    assert r.status_code == 200, r.text
    assert [round(o["result"], 3) for o in r.json()["value"]] == pytest.approx(expected)


def test_a_long_or_chain_reaches_the_database_and_answers(actors: Actors, many: Station) -> None:
    # 1,500 terms: compiled flat, SQLite would refuse it ("Expression tree is too large").
    terms = " or ".join(f"result eq {i / 10:.1f}" for i in range(1500))
    r = actors.client.get(f"{STA}/Datastreams({many.salinity})/Observations",
                          params={"$filter": f"({terms}) and result lt 0.25", "$orderby": "result"})
    assert r.status_code == 200, r.text[:500]
    assert [round(o["result"], 3) for o in r.json()["value"]] == pytest.approx([0.0, 0.1, 0.2])


def test_filter_on_a_to_many_navigation_property(actors: Actors, many: Station,
                                                 platform: Platform) -> None:
    make_station(platform, "Trạm R", lon=106.3, lat=10.3)
    r = actors.client.get(f"{STA}/Things", params={
        "$filter": "Datastreams/phenomenonTime ge 2026-03-01T00:00:00Z"})
    assert [t["name"] for t in r.json()["value"]] == ["Trạm Q"]
    r = actors.client.get(f"{STA}/Things", params={"$filter": "Datastreams/name eq 'Mực nước "
                                                              "Trạm R'"})
    assert [t["name"] for t in r.json()["value"]] == ["Trạm R"]
    r = actors.client.get(f"{STA}/Locations", params={"$filter": "Things/name eq 'Trạm R'"})
    assert [loc["name"] for loc in r.json()["value"]] == ["Trạm R"]


def test_orderby_top_skip_count_and_next_link(actors: Actors, many: Station) -> None:
    path = f"{STA}/Datastreams({many.salinity})/Observations"
    r = actors.client.get(path, params={"$orderby": "phenomenonTime DESC", "$top": 12,
                                        "$count": "true", "$select": "result,id"})
    body = r.json()
    assert body["@iot.count"] == 30
    assert [o["result"] for o in body["value"]][:3] == pytest.approx([2.9, 2.8, 2.7])
    assert set(body["value"][0]) == {"@iot.id", "result"}
    seen = [o["result"] for o in body["value"]]
    link = body["@iot.nextLink"]
    assert link.startswith("http://testserver/sta/v1.1/Datastreams(")
    pages = 1
    while link:
        page = actors.client.get(link).json()
        seen += [o["result"] for o in page["value"]]
        assert page["@iot.count"] == 30  # the link keeps every option
        link = page.get("@iot.nextLink")
        pages += 1
    assert pages == 3
    assert seen == pytest.approx([round(0.1 * i, 3) for i in reversed(range(30))])
    r = actors.client.get(path, params={"$top": 0, "$count": "true"}).json()
    assert r["value"] == [] and r["@iot.count"] == 30


def test_expand_with_nested_options_and_per_parent_paging(actors: Actors, many: Station,
                                                          platform: Platform) -> None:
    other = make_station(platform, "Trạm S", lon=106.2, lat=10.2)
    services.ingest(platform.uow(SYSTEM), [SeriesIn(other.salinity, [T0], [0.5])])
    r = actors.client.get(f"{STA}/Things", params={
        "$orderby": "name",
        "$expand": "Datastreams($filter=properties/x eq null or true;$orderby=name;"
                   "$expand=Observations($top=3;$orderby=phenomenonTime desc;$count=true;"
                   "$select=result))"})
    assert r.status_code == 200, r.text
    q, s = r.json()["value"]
    assert (q["name"], s["name"]) == ("Trạm Q", "Trạm S")
    salinity = q["Datastreams"][1]
    assert salinity["name"] == "Độ mặn Trạm Q"
    assert [o["result"] for o in salinity["Observations"]] == pytest.approx([2.9, 2.8, 2.7])
    assert salinity["Observations@iot.count"] == 30
    nxt = salinity["Observations@iot.nextLink"]
    assert f"Datastreams({many.salinity})/Observations?" in nxt and "%24skip=3" not in nxt
    page2 = actors.client.get(nxt).json()
    assert [o["result"] for o in page2["value"]] == pytest.approx([2.6, 2.5, 2.4])
    assert [len(d["Observations"]) for d in s["Datastreams"]] == [0, 1]
    assert "Observations@iot.nextLink" not in s["Datastreams"][1]


def test_expand_costs_the_same_queries_whatever_the_page_size(
        actors: Actors, platform: Platform, fixed_now: clock.FixedClock) -> None:
    for i in range(8):
        make_station(platform, f"Trạm N{i}", lon=106.0 + i / 100, lat=10.3)
    params = {"$expand": "Datastreams($expand=ObservedProperty,Sensor),Locations"}
    actors.client.get(f"{STA}/Things", params={**params, "$top": 1})
    with count_queries(platform.engine) as small:
        actors.client.get(f"{STA}/Things", params={**params, "$top": 2})
    with count_queries(platform.engine) as large:
        actors.client.get(f"{STA}/Things", params={**params, "$top": 8})
    assert large.count == small.count, (small.statements, large.statements)


def test_property_value_and_ref_paths(actors: Actors, many: Station) -> None:
    r = actors.client.get(f"{STA}/Things({many.thing_id})/name")
    assert r.json() == {"name": "Trạm Q"}
    r = actors.client.get(f"{STA}/Things({many.thing_id})/name/$value")
    assert r.text == "Trạm Q" and r.headers["content-type"].startswith("text/plain")
    r = actors.client.get(f"{STA}/Things({many.thing_id})/Datastreams/$ref")
    assert [v["@iot.selfLink"] for v in r.json()["value"]] == [
        f"http://testserver{STA}/Datastreams({many.salinity})",
        f"http://testserver{STA}/Datastreams({many.water})"]
    r = actors.client.get(f"{STA}/Datastreams({many.water})/Thing")
    assert r.json()["@iot.id"] == many.thing_id
    r = actors.client.get(f"{STA}/Datastreams({many.water})/Thing/Locations")
    assert r.json()["value"][0]["name"] == "Trạm Q"


def test_bad_paths_and_options_are_clear_errors(actors: Actors, many: Station) -> None:
    cases = [
        (f"{STA}/Thingz", {}, 404),
        (f"{STA}/Things(abc)", {}, 404),
        (f"{STA}/Things({many.thing_id})/Sensor", {}, 404),
        (f"{STA}/Things(424242)", {}, 404),
        (f"{STA}/Observations", {"$filter": "result gtt 1"}, 400),
        (f"{STA}/Observations", {"$filter": "nope eq 1"}, 400),
        (f"{STA}/Observations", {"$filter": "result eq 'text'"}, 400),
        (f"{STA}/Observations", {"$orderby": "nope"}, 400),
        (f"{STA}/Observations", {"$select": "nope"}, 400),
        (f"{STA}/Observations", {"$expand": "Things"}, 400),
        (f"{STA}/Observations", {"$top": "-1"}, 400),
        (f"{STA}/Observations", {"$unknown": "1"}, 400),
    ]
    for path, params, code in cases:
        r = actors.client.get(path, params=params, headers={"Accept-Language": "vi"})
        body = assert_problem(r, code)
        assert body["detail"], (path, params)
    r = actors.client.get(f"{STA}/Observations", params={"$filter": "nope eq 1"},
                          headers={"Accept-Language": "en"})
    assert "Unknown property 'nope'" in r.json()["detail"]


def test_patch_merge_json_patch_and_put(actors: Actors, many: Station,
                                        platform: Platform) -> None:
    h = actors.headers("admin")
    sensor = actors.client.get(f"{STA}/Datastreams({many.salinity})/Sensor").json()["@iot.id"]
    prop = actors.client.get(
        f"{STA}/Datastreams({many.salinity})/ObservedProperty").json()["@iot.id"]
    r = actors.client.patch(f"{STA}/Things({many.thing_id})", headers=h,
                            json={"description": "Đã sửa", "properties": {"kind": "salinity",
                                                                           "silenceHours": 3}})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "Đã sửa"
    assert r.json()["properties"]["silenceHours"] == 3
    r = actors.client.patch(f"{STA}/Sensors({sensor})", headers={
        **h, "Content-Type": "application/json-patch+json"},
        content=b'[{"op": "replace", "path": "/name", "value": "CTD-2"},'
                b' {"op": "test", "path": "/encodingType", "value": "text/html"}]')
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "CTD-2"
    r = actors.client.patch(f"{STA}/Sensors({sensor})", headers={
        **h, "Content-Type": "application/json-patch+json"},
        content=b'[{"op": "test", "path": "/name", "value": "other"}]')
    assert_problem(r, 422)
    r = actors.client.put(f"{STA}/ObservedProperties({prop})", headers=h,
                          json={"name": "Độ mặn nước", "definition": "salinity"})
    assert r.status_code == 200 and r.json()["description"] == ""
    r = actors.client.put(f"{STA}/ObservedProperties({prop})", headers=h, json={"name": "x"})
    assert_problem(r, 422)
    # An observation moved in time: the roll-ups follow it.
    (first,) = actors.client.get(f"{STA}/Datastreams({many.water})/Observations",
                                 params={"$orderby": "phenomenonTime", "$top": 1}).json()["value"]
    r = actors.client.patch(f"{STA}/Observations({first['@iot.id']})", headers=h,
                            json={"result": 16.5})
    assert r.status_code == 200 and r.json()["resultQuality"] == "bad_range"
    hours = services.hourly_values(platform.uow(SYSTEM), many.water, T0)
    assert [n for _, n, *_ in hours] == [1, 1, 1, 1]
    r = actors.client.patch(f"{STA}/Observations({first['@iot.id']})", headers=h,
                            json={"phenomenonTime": "2026-03-01T01:00:00Z"})
    assert_problem(r, 409)


def test_delete_cascades_as_the_standard_says(actors: Actors, many: Station,
                                              platform: Platform) -> None:
    h = actors.headers("admin")
    r = actors.client.delete(f"{STA}/Datastreams({many.water})", headers=h)
    assert r.status_code == 200
    assert _count(platform, Observation) == 30
    assert services.hourly_values(platform.uow(SYSTEM), many.water, T0) == []
    r = actors.client.delete(f"{STA}/Things({many.thing_id})", headers=h)
    assert r.status_code == 200
    assert _count(platform, Observation) == 0 and _count(platform, Datastream) == 0
    assert_problem(actors.client.get(f"{STA}/Things({many.thing_id})"), 404)


def test_rights(actors: Actors, platform: Platform, fixed_now: clock.FixedClock) -> None:
    a = actors.commune_a
    body = _thing("Trạm riêng", communeCode=a, isPublic=False)
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("commune_b"))
    assert_problem(r, 403)
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("farmer_a"))
    assert_problem(r, 403)
    assert_problem(actors.client.post(f"{STA}/Things", json=body), 401)
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("commune_a"))
    assert r.status_code == 201, r.text
    thing_id = r.json()["@iot.id"]
    # A private station is hidden from the public and other communes, with its data.
    for who in (None, "commune_b", "farmer_a"):
        assert actors.client.get(f"{STA}/Things", headers=actors.headers(who)).json()[
            "value"] == []
        assert actors.client.get(f"{STA}/Observations",
                                 headers=actors.headers(who)).json()["value"] == []
        assert_problem(actors.client.get(f"{STA}/Things({thing_id})",
                                         headers=actors.headers(who)), 404)
    for who in ("commune_a", "province", "admin"):
        got = actors.client.get(f"{STA}/Things({thing_id})/Datastreams",
                                headers=actors.headers(who)).json()["value"]
        assert len(got) == 1
    # Another commune's or province's station is not even visible: 404, as for reading it.
    r = actors.client.patch(f"{STA}/Things({thing_id})", json={"name": "x"},
                            headers=actors.headers("commune_b"))
    assert assert_problem(r, 404)["detail"] == "Không tìm thấy Thing."
    r = actors.client.delete(f"{STA}/Things({thing_id})", headers=actors.headers("other_province"))
    assert assert_problem(r, 404)["detail"] == "Không tìm thấy Thing."
    assert actors.client.get(f"{STA}/Things({thing_id})",
                             headers=actors.headers("admin")).json()["name"] == "Trạm riêng"


def test_basic_auth_with_password_or_token(actors: Actors, platform: Platform,
                                           fixed_now: clock.FixedClock) -> None:
    from tests.helpers import PASSWORD

    body = {"name": "Đầu đo", "encodingType": "text/html", "metadata": "x"}
    r = actors.client.post(f"{STA}/Sensors", json=body, auth=("t_province", PASSWORD))
    assert r.status_code == 201
    r = actors.client.post(f"{STA}/Sensors", json=body,
                           auth=("token", actors.token("commune_a")))
    assert r.status_code == 201
    r = actors.client.post(f"{STA}/Sensors", json=body, auth=("t_province", "sai"))
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_measurement_types(actors: Actors, platform: Platform,
                           fixed_now: clock.FixedClock) -> None:
    """A truth observation stores booleans; a measurement refuses them."""
    h = actors.headers("admin")
    st = make_station(platform, "Trạm T")
    sensor = actors.client.get(f"{STA}/Datastreams({st.salinity})/Sensor").json()["@iot.id"]
    r = actors.client.post(f"{STA}/Datastreams", headers=h, json={
        "name": "Cống mở", "unitOfMeasurement": {"name": None, "symbol": None},
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
                           "OM_TruthObservation",
        "Thing": {"@iot.id": st.thing_id}, "Sensor": {"@iot.id": sensor},
        "ObservedProperty": {"name": "Trạng thái cống", "definition": "gate"}})
    assert r.status_code == 201, r.text
    ds = r.json()["@iot.id"]
    r = actors.client.post(f"{STA}/Datastreams({ds})/Observations", headers=h,
                           json={"phenomenonTime": "2026-03-01T00:00:00Z", "result": True})
    assert r.status_code == 201 and r.json()["result"] is True
    r = actors.client.post(f"{STA}/Datastreams({st.salinity})/Observations", headers=h,
                           json={"phenomenonTime": "2026-03-01T00:00:00Z", "result": True})
    body = assert_problem(r, 422)
    assert body["detail"] == ("1 quan trắc bị từ chối, không lưu gì. Lỗi đầu tiên tại /0: "
                              "Kết quả phải là một số.")
    assert body["errors"] == [{"loc": "/0", "message": "Kết quả phải là một số."}]


def test_things_link_to_registry_records_and_fields(actors: Actors, platform: Platform,
                                                    fixed_now: clock.FixedClock) -> None:
    from tests.alerts.conftest import add_fields

    add_fields(platform, 106.0, 10.0, {"rice": actors.commune_a})  # far from the station
    from nongso.registry.models import ProductionUnit
    from tests.monitor.test_registry_links import registry_station

    with platform.engine.connect() as c:
        unit_id = c.scalar(select(ProductionUnit.id))
    record = registry_station(actors, "MAN-DONG")
    body = _thing("Trạm đồng", registryFeatureId=record, productionUnitIds=[unit_id])
    r = actors.client.post(f"{STA}/Things", json=body, headers=actors.headers("admin"))
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["registryFeatureId"] == record and props["productionUnitIds"] == [unit_id]
    found = actors.client.get(f"{STA}/Things", params={
        "$filter": f"properties/registryFeatureId eq {record}"}).json()["value"]
    assert [t["name"] for t in found] == ["Trạm đồng"]
    streams = [s for s in services.rule_streams(platform.uow(SYSTEM))
               if s.thing_id == r.json()["@iot.id"]]
    fields = services.fields_around(platform.uow(SYSTEM), streams[0], 1000)
    assert [(f.id, f.crop) for f in fields] == [(unit_id, "rice")]  # linked, not nearby
    bad = _thing("Trạm sai", productionUnitIds=[987654])
    r = actors.client.post(f"{STA}/Things", json=bad, headers=actors.headers("admin"))
    err = assert_problem(r, 422)
    assert err["errors"][0]["loc"] == "/properties/productionUnitIds"
    assert _count(platform, Thing) == 1
