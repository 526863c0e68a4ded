"""The EPCIS 2.0 REST repository at /epcis: capture, capture jobs, queries, paging, errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from sqlalchemy import func, select

from nongso.core.platform import Platform
from nongso.trace.models import CaptureJob, Checkpoint, EpcisEvent, EventRef, LineageEdge
from tests.helpers import Actors
from tests.trace.oracle import reference_hashes

EXAMPLES = Path(__file__).parent / "epcis_examples"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"ex": "https://ns.example.com/epcis/"}]
NOT_EPCIS_2 = {"ReferenceEventHashAlgorithm.jsonld", "epclist_normalisation.jsonld"}
NO_ORACLE = {"TransformationEvent_all_possible_fields.json"}
# Two different events (the first carries two extra extension fields) under one eventID: a
# repository cannot keep both, and silently keeping one would lose data.
SAME_ID_TWO_CONTENTS = {"epcisDocWithCustomExtensions.jsonld"}


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _document(*events: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-03-12T08:00:00+07:00",
            "epcisBody": {"eventList": list(events)}}


def _shipping(n: int, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
        "disposition": "in_transit",
        "eventTime": f"2026-03-{10 + n % 10:02d}T08:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [f"urn:epc:id:sgtin:9528200.000001.{n}"],
        "readPoint": {"id": "urn:epc:id:sgln:9528200.00001.0"},
        "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:"
                                f"9528200000019:PO-{n}"}],
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:9528200.00001"}],
        "destinationList": [{"type": "location",
                             "destination": "urn:epc:id:sgln:9528200.00002.0"}],
    }
    event.update(extra)
    return event


def _counts(platform: Platform) -> tuple[int, ...]:
    with platform.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(m)) or 0
                     for m in (EpcisEvent, EventRef, LineageEdge, CaptureJob, Checkpoint))


def _capture(actors: Actors, document: Any, who: str = "admin",
             headers: dict[str, str] | None = None) -> Any:
    return actors.client.post("/epcis/capture", content=json.dumps(document),
                              headers={**actors.headers(who),
                                       "Content-Type": "application/ld+json", **(headers or {})})


def _job(actors: Actors, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location.startswith("/epcis/capture/")
    job = actors.client.get(location, headers=actors.headers("admin"))
    assert job.status_code == 200
    body: dict[str, Any] = job.json()
    return body


def _epcis_problem(response: Any, status: int, exception: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"epcisException:{exception}"
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def _all_events(actors: Actors, params: dict[str, str], who: str = "admin") -> list[Any]:
    url: str | None = "/epcis/events?" + "&".join(f"{k}={quote(v)}" for k, v in params.items())
    events: list[Any] = []
    pages = 0
    while url:
        r = actors.client.get(url, headers=actors.headers(who))
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["type"] == "EPCISQueryDocument"
        events.extend(doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
        link = r.headers.get("link")
        url = None
        if link:
            target = link.split(";")[0].strip("<>")
            assert 'rel="next"' in link
            parts = urlsplit(target)
            url = parts.path + "?" + parts.query
        pages += 1
        assert pages < 100
    return events


# --- capture --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "path", sorted(p for p in EXAMPLES.iterdir()
                   if p.name not in NOT_EPCIS_2 | SAME_ID_TWO_CONTENTS),
    ids=lambda p: p.name)
def test_every_standard_example_is_captured_with_the_reference_event_ids(
    actors: Actors, path: Path
) -> None:
    document = _example(path.name)
    events = document["epcisBody"].get("eventList") or [document["epcisBody"]["event"]]
    job = _job(actors, _capture(actors, document))
    assert job["success"] is True and job["running"] is False and job["errors"] == []
    assert job["captured"] + job["duplicates"] == len(events)
    # Events without an eventID get the CBV 2.0 hash, equal to the reference implementation's.
    if path.name not in NO_ORACLE:
        expected = reference_hashes(document)
        for event, hashed, stored in zip(events, expected, job["eventIDs"], strict=False):
            given = event.get("eventID")
            if given and not given.startswith("_:"):
                assert stored == given
            else:
                assert stored == hashed


def test_documents_that_are_not_epcis_2_or_reuse_an_event_id_are_refused(
    actors: Actors,
) -> None:
    before = _counts(actors.platform)
    for name in NOT_EPCIS_2:
        body = _epcis_problem(_capture(actors, _example(name)), 400, "ValidationException")
        assert body["errors"][0]["pointer"] == "/type"
    body = _epcis_problem(_capture(actors, _example("epcisDocWithCustomExtensions.jsonld")),
                          400, "ValidationException")
    assert body["errors"][0]["pointer"] == "/epcisBody/eventList/1/eventID"
    assert _counts(actors.platform) == before


def test_all_five_event_types_round_trip_through_a_query(actors: Actors) -> None:
    document = _example("epcisDocWithVariousEventTypes.jsonld")
    association = _example("AssociationEvent_all_possible_fields.json")
    _job(actors, _capture(actors, document))
    _job(actors, _capture(actors, association))
    r = actors.client.get("/epcis/eventTypes", headers=actors.headers("admin"))
    assert set(r.json()["eventType"]) == {"ObjectEvent", "AggregationEvent",
                                          "TransactionEvent", "TransformationEvent",
                                          "AssociationEvent"}
    stored = _all_events(actors, {"perPage": "5"}, who="admin")
    assert len(stored) == 14
    # What comes back is what was captured, plus the eventID and recordTime.
    r = actors.client.get("/epcis/events?perPage=50", headers=actors.headers("admin"))
    query_document = r.json()
    returned = query_document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    originals = [*document["epcisBody"]["eventList"], *association["epcisBody"]["eventList"]]
    for back, original in zip(returned, originals, strict=True):
        assert back["recordTime"].endswith("Z")
        assert back["eventID"] == original.get("eventID", back["eventID"])
        assert {k: v for k, v in back.items() if k not in ("eventID", "recordTime")} == {
            k: v for k, v in original.items() if k not in ("eventID", "recordTime")}
    prefixes = query_document["@context"][1]
    assert prefixes["cbvmda"] == "urn:epcglobal:cbv:mda:" and "ext1" in prefixes
    assert r.headers["gs1-epcis-version"] == "2.0.0"


def test_one_invalid_event_stores_nothing_and_says_where(actors: Actors) -> None:
    before = _counts(actors.platform)
    bad = _shipping(2, bizStep="shiping")  # a typo of a CBV business step
    r = _capture(actors, _document(_shipping(1), bad, _shipping(3)),
                 headers={"Accept-Language": "en"})
    body = _epcis_problem(r, 400, "ValidationException")
    assert body["errors"][0]["pointer"] == "/epcisBody/eventList/1/bizStep"
    assert "shiping" in body["errors"][0]["message"]
    assert _counts(actors.platform) == before
    # Vietnamese by default.
    r = _capture(actors, _document(_shipping(1), _shipping(2, eventTime="12/03/2026")))
    body = _epcis_problem(r, 400, "ValidationException")
    assert body["errors"][0]["pointer"] == "/epcisBody/eventList/1/eventTime"
    assert "múi giờ" in body["errors"][0]["message"]
    assert _counts(actors.platform) == before


@pytest.mark.parametrize(("mutate", "pointer"), [
    (lambda e: e.pop("action"), "/epcisBody/eventList/0/action"),
    (lambda e: e.update(epcList=["urn:epc:id:sgtin:9528200.00001.1"]),
     "/epcisBody/eventList/0/epcList/0"),
    (lambda e: e.update(epcList=["https://id.gs1.org/01/09528200000014/21/1"]),
     "/epcisBody/eventList/0/epcList/0"),
    (lambda e: e.update(eventTimeZoneOffset="7:00"), "/epcisBody/eventList/0/eventTimeZoneOffset"),
    (lambda e: e.update(quantityList=[{"epcClass": "urn:epc:class:lgtin:9528200.000001.L1",
                                       "quantity": "10", "uom": "KGM"}]),
     "/epcisBody/eventList/0/quantityList/0/quantity"),
    (lambda e: e.update(quantityList=[{"epcClass": "urn:epc:class:lgtin:9528200.000001.L1",
                                       "quantity": 10, "uom": "kg"}]),
     "/epcisBody/eventList/0/quantityList/0/uom"),
    (lambda e: e.update(sourceList=[{"source": "urn:epc:id:pgln:9528200.00001"}]),
     "/epcisBody/eventList/0/sourceList/0"),
    (lambda e: e.update(bizstep="shipping"), "/epcisBody/eventList/0/bizstep"),
    (lambda e: e.update(type="ShippingEvent"), "/epcisBody/eventList/0/type"),
    (lambda e: e.update(ilmd={"cbvmda:lotNumber": "L1"}), "/epcisBody/eventList/0/ilmd"),
    (lambda e: e.update(sensorElementList=[{"sensorReport": [{"type": "Temperature",
                                                              "value": "hot"}]}]),
     "/epcisBody/eventList/0/sensorElementList/0/sensorReport/0/value"),
])
def test_field_errors_name_the_field(actors: Actors, mutate: Any, pointer: str) -> None:
    event = _shipping(1)
    mutate(event)
    before = _counts(actors.platform)
    body = _epcis_problem(_capture(actors, _document(event)), 400, "ValidationException")
    assert pointer in [e["pointer"] for e in body["errors"]]
    assert _counts(actors.platform) == before


def test_an_object_event_with_only_sensor_data_is_captured(actors: Actors) -> None:
    # As GS1's "WithSensorData" examples: what was observed is the sensor data, no EPC.
    event = _shipping(1, bizStep="sensor_reporting", disposition="in_progress",
                      eventID="urn:uuid:8c1f0b0e-6a61-4f0c-9d5e-2b1c0c6c7a01",
                      sensorElementList=[{
                          "sensorMetadata": {"time": "2026-03-11T08:00:00.000+07:00",
                                             "deviceID": "urn:epc:id:giai:9528200.1"},
                          "sensorReport": [{"type": "Temperature", "value": 31.5,
                                            "uom": "CEL"}]}])
    for name in ("epcList", "bizTransactionList", "sourceList", "destinationList"):
        del event[name]
    job = _job(actors, _capture(actors, _document(event)))
    assert job["success"] is True and job["captured"] == 1, job
    found = _all_events(actors, {"EQ_eventID": event["eventID"]})
    assert len(found) == 1 and "epcList" not in found[0]
    assert found[0]["sensorElementList"][0]["sensorReport"][0]["value"] == 31.5
    # An ObjectEvent that names nothing it observed is still refused.
    del event["sensorElementList"]
    event["eventID"] = "urn:uuid:8c1f0b0e-6a61-4f0c-9d5e-2b1c0c6c7a02"
    body = _epcis_problem(_capture(actors, _document(event)), 400, "ValidationException")
    assert "/epcisBody/eventList/0/epcList" in [e["pointer"] for e in body["errors"]]


@pytest.mark.parametrize(("extension", "pointer"), [
    ({"ilmd": {"cbvmda:lotNumber": "L1", "bestBeforeDate": "2026-09-01"}},
     "/epcisBody/eventList/0/ilmd/bestBeforeDate"),
    ({"ilmd": {"ex:grading": {"ex:class": "A", "moisture": 14}}},
     "/epcisBody/eventList/0/ilmd/ex:grading/moisture"),
    ({"sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 30,
                                               "probe": "p1"}]}]},
     "/epcisBody/eventList/0/sensorElementList/0/sensorReport/0/probe"),
])
def test_extension_fields_without_a_namespace_are_refused(
        actors: Actors, extension: dict[str, Any], pointer: str) -> None:
    event = _shipping(1, action="ADD", **extension)
    before = _counts(actors.platform)
    r = _capture(actors, _document(event), headers={"Accept-Language": "en"})
    body = _epcis_problem(r, 400, "ValidationException")
    errors = {e["pointer"]: e["message"] for e in body["errors"]}
    assert pointer in errors, errors
    assert "namespace" in errors[pointer] and pointer.rsplit("/", 1)[1] in errors[pointer]
    assert _counts(actors.platform) == before
    # With a namespace the same event is stored.
    renamed = json.loads(json.dumps(event).replace('"bestBeforeDate"', '"ex:bestBeforeDate"')
                         .replace('"moisture"', '"ex:moisture"').replace('"probe"', '"ex:probe"'))
    assert _job(actors, _capture(actors, _document(renamed)))["success"] is True


def test_malformed_bodies(actors: Actors) -> None:
    before = _counts(actors.platform)
    r = actors.client.post("/epcis/capture", content=b"{not json",
                           headers={**actors.headers("admin"), "Content-Type": "application/json"})
    _epcis_problem(r, 400, "ValidationException")
    r = actors.client.post("/epcis/capture", content=b"<xml/>",
                           headers={**actors.headers("admin"), "Content-Type": "application/xml"})
    _epcis_problem(r, 415, "ImplementationException")
    _epcis_problem(_capture(actors, {"type": "EPCISDocument"}), 400, "ValidationException")
    _epcis_problem(_capture(actors, [1, 2]), 400, "ValidationException")
    no_context = _document(_shipping(1))
    del no_context["@context"]
    body = _epcis_problem(_capture(actors, no_context), 400, "ValidationException")
    assert body["errors"][0]["pointer"] == "/@context"
    assert _counts(actors.platform) == before


def test_capture_limit(actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    from nongso.core.settings import get_settings

    monkeypatch.setattr(get_settings(), "trace_capture_limit", 3)
    r = _capture(actors, _document(*[_shipping(n) for n in range(4)]))
    _epcis_problem(r, 413, "CaptureLimitExceededException")
    assert r.headers["gs1-epcis-capture-limit"] == "3"
    r = actors.client.options("/epcis/capture")
    assert r.status_code == 204 and r.headers["gs1-epcis-capture-limit"] == "3"


def test_duplicate_captures_are_idempotent(actors: Actors) -> None:
    document = _document(_shipping(1), _shipping(2), _shipping(1))  # one repeated inside
    first = _job(actors, _capture(actors, document))
    assert (first["captured"], first["duplicates"]) == (2, 1)
    counts = _counts(actors.platform)
    again = _job(actors, _capture(actors, document))
    assert (again["captured"], again["duplicates"]) == (0, 3) and again["success"]
    assert _counts(actors.platform)[:3] == counts[:3]  # no new event, reference or edge
    # A client-chosen eventID reused for another content is refused.
    mine = _shipping(5, eventID="urn:uuid:0b1f6a3c-5d2e-4c1b-9e7a-2f8d6c4b3a10")
    _job(actors, _capture(actors, _document(mine)))
    other = {**mine, "bizStep": "receiving"}
    body = _epcis_problem(_capture(actors, _document(other)), 400, "ValidationException")
    assert body["errors"][0]["pointer"] == "/epcisBody/eventList/0/eventID"


def test_proceed_keeps_the_valid_events_and_reports_the_others(actors: Actors) -> None:
    r = _capture(actors, _document(_shipping(1), _shipping(2, action="MOVE"), _shipping(3)),
                 headers={"GS1-Capture-Error-Behaviour": "proceed"})
    job = _job(actors, r)
    assert job["success"] is False and job["captureErrorBehaviour"] == "proceed"
    assert job["captured"] == 2 and len(job["eventIDs"]) == 2
    assert job["errors"][0]["pointer"] == "/epcisBody/eventList/1/action"
    assert job["errors"][0]["type"] == "epcisException:ValidationException"


def test_single_event_capture(actors: Actors) -> None:
    event = {"@context": CONTEXT, **_shipping(7)}
    r = actors.client.post("/epcis/events", json=event, headers=actors.headers("admin"))
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    r = actors.client.get(location, headers=actors.headers("admin"))
    assert r.status_code == 200
    stored = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(stored) == 1 and stored[0]["eventID"].startswith("ni:///sha-256;")
    assert stored[0]["recordTime"].endswith("Z")
    # Posting it again answers the same event.
    again = actors.client.post("/epcis/events", json=event, headers=actors.headers("admin"))
    assert again.headers["location"] == location
    r = actors.client.get("/epcis/events/" + quote("ni:///sha-256;00?ver=CBV2.0", safe=""),
                          headers=actors.headers("admin"))
    _epcis_problem(r, 404, "NoSuchNameException")


def test_who_may_capture_and_read(actors: Actors) -> None:
    document = _document(_shipping(1))
    _epcis_problem(_capture(actors, document, who=None), 401, "SecurityException")  # type: ignore[arg-type]
    _epcis_problem(_capture(actors, document, who="farmer_a"), 403, "SecurityException")
    _job(actors, _capture(actors, document, who="coop_a"))
    r = actors.client.get("/epcis/events")
    _epcis_problem(r, 401, "SecurityException")
    r = actors.client.get("/epcis/events", headers=actors.headers("farmer_a"))
    _epcis_problem(r, 403, "SecurityException")
    assert actors.client.get("/epcis/events", headers=actors.headers("buyer")).status_code == 200
    # A capture job is visible to whoever captured it and to province staff, not to others.
    jobs = actors.client.get("/epcis/capture", headers=actors.headers("coop_a")).json()
    assert len(jobs) == 1
    other = actors.client.get(f"/epcis/capture/{jobs[0]['captureID']}",
                              headers=actors.headers("buyer"))
    _epcis_problem(other, 404, "NoSuchNameException")


# --- queries --------------------------------------------------------------------------------

@pytest.fixture
def captured(actors: Actors) -> Actors:
    receiving = {
        "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
        "disposition": "in_progress", "eventTime": "2026-03-20T10:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:9528200.000001.HV-1",
                          "quantity": 500, "uom": "KGM"}],
        "readPoint": {"id": "urn:epc:id:sgln:9528200.00002.0"},
        "bizLocation": {"id": "urn:epc:id:sgln:9528200.00002.0"},
    }
    milling = {
        "type": "TransformationEvent", "bizStep": "creating_class_instance",
        "eventTime": "2026-03-21T10:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
        "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9528200.000001.HV-1",
                               "quantity": 500, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9528200.000002.CB-1",
                                "quantity": 320, "uom": "KGM"}],
    }
    _job(actors, _capture(actors, _document(*[_shipping(n) for n in range(12)], receiving,
                                            milling)))
    return actors


def test_query_parameters_filter(captured: Actors) -> None:
    a = captured

    def ids(params: dict[str, str]) -> list[str]:
        return [e["eventID"] for e in _all_events(a, {**params, "perPage": "100"})]

    assert len(ids({})) == 14
    assert len(ids({"eventType": "ObjectEvent"})) == 13
    assert len(ids({"eventType": "TransformationEvent|AggregationEvent"})) == 1
    assert len(ids({"EQ_bizStep": "shipping"})) == 12
    # The three forms of a CBV value are one value.
    assert ids({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"}) == ids(
        {"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"})
    assert len(ids({"EQ_bizStep": "receiving|creating_class_instance"})) == 2
    assert len(ids({"EQ_disposition": "in_transit"})) == 12
    assert len(ids({"GE_eventTime": "2026-03-19T00:00:00+07:00"})) == 3  # 1 shipment + 2
    assert len(ids({"LT_eventTime": "2026-03-11T00:00:00Z"})) == 2
    assert len(ids({"GE_recordTime": "2000-01-01T00:00:00Z"})) == 14
    assert len(ids({"GE_recordTime": "2100-01-01T00:00:00Z"})) == 0
    assert len(ids({"EQ_readPoint": "urn:epc:id:sgln:9528200.00002.0"})) == 1
    gln = "https://id.gs1.org/414/9528200000022"  # the same place as a Digital Link
    assert len(ids({"EQ_bizLocation": gln})) == 1
    assert len(ids({"MATCH_epc": "urn:epc:id:sgtin:9528200.000001.3"})) == 1
    assert len(ids({"MATCH_epc": "https://example.vn/01/09528200000015/21/3"})) == 1
    assert len(ids({"MATCH_epc": "urn:epc:idpat:sgtin:9528200.000001.*"})) == 12
    assert len(ids({"MATCH_epcClass": "urn:epc:class:lgtin:9528200.000001.HV-1"})) == 1
    assert len(ids({"MATCH_anyEPCClass": "urn:epc:class:lgtin:9528200.000001.HV-1"})) == 2
    assert len(ids({"MATCH_inputEPCClass": "urn:epc:class:lgtin:9528200.000001.HV-1"})) == 1
    assert len(ids({"MATCH_outputEPCClass": "urn:epc:class:lgtin:9528200.000002.CB-1"})) == 1
    assert len(ids({"MATCH_anyEPC": "urn:epc:id:sgtin:9528200.000001.4"})) == 1
    assert len(ids({"EQ_bizTransaction_po": "urn:epcglobal:cbv:bt:9528200000019:PO-4"})) == 1
    assert len(ids({"EQ_bizTransaction_inv": "urn:epcglobal:cbv:bt:9528200000019:PO-4"})) == 0
    assert len(ids({"EQ_source_owning_party": "urn:epc:id:pgln:9528200.00001"})) == 12
    assert len(ids({"EQ_destination_location": "urn:epc:id:sgln:9528200.00002.0"})) == 12
    assert len(ids({"EQ_destination_owning_party": "urn:epc:id:sgln:9528200.00002.0"})) == 0
    assert len(ids({"EQ_action": "OBSERVE", "EQ_bizStep": "shipping",
                    "MATCH_epc": "urn:epc:id:sgtin:9528200.000001.1"})) == 1
    assert len(ids({"eventCountLimit": "5", "perPage": "2"})) == 5
    r = a.client.get("/epcis/eventTypes/TransformationEvent/events",
                     headers=a.headers("admin"))
    assert len(r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    r = a.client.get("/epcis/bizSteps", headers=a.headers("admin"))
    assert set(r.json()["bizStep"]) == {"shipping", "receiving", "creating_class_instance"}


def test_paging_visits_every_event_once_in_order(captured: Actors) -> None:
    a = captured
    events = _all_events(a, {"perPage": "3", "orderBy": "eventTime", "orderDirection": "ASC"})
    assert len(events) == 14 and len({e["eventID"] for e in events}) == 14
    times = [e["eventTime"] for e in events]
    from nongso.trace.epcis import parse_time

    parsed = [parse_time(t) for t in times]
    assert parsed == sorted(parsed)  # type: ignore[type-var]
    descending = _all_events(a, {"perPage": "4", "orderBy": "eventTime"})
    assert [e["eventID"] for e in descending] != [e["eventID"] for e in events]
    assert sorted(e["eventID"] for e in descending) == sorted(e["eventID"] for e in events)
    # A page token belongs to its query.
    r = a.client.get("/epcis/events?perPage=3", headers=a.headers("admin"))
    token = dict(parse_qsl(urlsplit(r.headers["link"].split(";")[0].strip("<>")).query))[
        "nextPageToken"]
    r = a.client.get(f"/epcis/events?perPage=3&EQ_bizStep=shipping&nextPageToken={token}",
                     headers=a.headers("admin"))
    _epcis_problem(r, 400, "QueryParameterException")


@pytest.mark.parametrize("query", [
    "EQ_colour=red", "eventType=ShippingEvent", "GE_eventTime=yesterday", "perPage=0",
    "perPage=501", "orderBy=bizStep", "nextPageToken=garbage", "EQ_action=MOVE",
])
def test_bad_query_parameters(captured: Actors, query: str) -> None:
    r = captured.client.get(f"/epcis/events?{query}",
                            headers={**captured.headers("admin"), "Accept-Language": "en"})
    body = _epcis_problem(r, 400, "QueryParameterException")
    assert query.split("=")[0] in body["detail"]


def test_query_documents_merge_contexts_without_clashes(actors: Actors) -> None:
    one = _document(_shipping(1, **{"ex:note": "a"}))
    two = copy.deepcopy(_document(_shipping(2, **{"ex:note": "b"})))
    two["@context"] = [CONTEXT[0], {"ex": "https://other.example.org/"}]
    _job(actors, _capture(actors, one))
    _job(actors, _capture(actors, two))
    r = actors.client.get("/epcis/events", headers=actors.headers("admin"))
    document = r.json()
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert document["@context"][1] == {"ex": "https://ns.example.com/epcis/"}
    assert "@context" not in events[0]
    assert events[1]["@context"] == {"ex": "https://other.example.org/"}
