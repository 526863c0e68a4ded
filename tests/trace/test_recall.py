"""Recall: forward to every downstream lot, shipment and shop; backward to every upstream lot,
field, season, spray and input dealer; cycles and many-to-many transformations."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook

from tests.helpers import assert_problem
from tests.trace.conftest import Journey


def _recall(j: Journey, who: str = "inspector", **body: Any) -> dict[str, Any]:
    r = j.client.post("/api/v1/trace/recall", json=body, headers=j.d.actors.headers(who))
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def _lot_codes(report: dict[str, Any], direction: str | None = None) -> set[str]:
    return {n["lot_code"] for n in report["nodes"] if n["kind"] == "lot" and (
        direction is None or n["direction"] == direction)}


def test_forward_from_one_field_reaches_the_shops(journey: Journey) -> None:
    j = journey
    report = _recall(j, kind="lot", value=j.harvest_a.lot_code, direction="forward")
    # Downstream: the dried paddy (with the other field's), rice and both by-products.
    assert _lot_codes(report, "forward") == {j.dried.lot_code, j.rice.lot_code,
                                             j.packed.lot_code, j.husk.lot_code,
                                             j.bran.lot_code}
    assert j.harvest_b.lot_code not in _lot_codes(report)  # a co-input is not downstream
    kinds = {n["kind"] for n in report["nodes"]}
    assert {"lot", "transformation", "logistic_unit"} <= kinds
    places = {p["name"] for p in report["locations"]}
    assert {s.name for s in j.shops} <= places and j.distributor.name in places
    steps = [s["step"] for s in report["shipments"]]
    assert steps.count("shipping") == 3 and steps.count("receiving") == 3
    to_shops = [s for s in report["shipments"] if s["step"] == "shipping"
                and s["destination"] in {x.name for x in j.shops}]
    assert len(to_shops) == 2 and all(s["transactions"] for s in to_shops)


def test_backward_from_a_shop_lot_lists_fields_seasons_sprays_and_dealers(
    journey: Journey,
) -> None:
    j = journey
    report = _recall(j, kind="lot", value=j.packed.lot_code, direction="backward")
    assert _lot_codes(report, "backward") == {j.rice.lot_code, j.dried.lot_code,
                                              j.harvest_a.lot_code, j.harvest_b.lot_code}
    assert j.husk.lot_code not in _lot_codes(report)  # a co-output is not upstream
    assert report["diary_available"] is True
    origins = {o["lot_id"]: o for o in report["origins"]}
    assert set(origins) == {j.harvest_a.id, j.harvest_b.id}
    a = origins[j.harvest_a.id]
    assert a["season"]["name"] == "Đông Xuân 2025-2026"
    assert a["planting_area_code"] == j.harvest_a.planting_area_code
    inputs = {i["name"]: i for i in a["inputs"]}
    assert set(inputs) == {"Urê 46% N", "Rầy Sạch 50WG", "Vàng Lá 500SC"}
    assert inputs["Rầy Sạch 50WG"]["batch"] == j.pymetrozine_lot
    assert inputs["Rầy Sạch 50WG"]["dealer_name"] == j.d.dealer.name
    assert inputs["Vàng Lá 500SC"]["banned"] is True
    assert [d["name"] for d in report["dealers"]] == [j.d.dealer.name]
    # Personal data stays out of a recall too: farms are named by code or co-operative.
    assert "Nguyễn Văn Thử" not in json.dumps(report, ensure_ascii=False)


def test_input_batch_and_farm_starts(journey: Journey) -> None:
    j = journey
    report = _recall(j, kind="input_batch", value=j.pymetrozine_lot, direction="forward")
    assert j.harvest_a.lot_code in _lot_codes(report)
    assert j.harvest_b.lot_code not in _lot_codes(report)  # the other field did not use it
    assert {s.name for s in j.shops} <= {p["name"] for p in report["locations"]}
    farm = _recall(j, kind="farm", value=j.farm_a.gln, direction="forward",
                   since="2026-03-01T00:00:00+07:00", until="2026-04-01T00:00:00+07:00")
    assert _lot_codes(farm) == _lot_codes(report)
    by_area = _recall(j, kind="farm", value=j.harvest_a.planting_area_code, direction="forward")
    assert j.harvest_a.lot_code in _lot_codes(by_area)
    r = j.client.post("/api/v1/trace/recall", headers=j.d.actors.headers("inspector"), json={
        "kind": "farm", "value": j.farm_a.gln, "since": "2026-04-01T00:00:00+07:00"})
    assert_problem(r, 404)  # nothing harvested there in that window


def test_time_window_cuts_the_walk(journey: Journey) -> None:
    j = journey
    early = _recall(j, kind="lot", value=j.harvest_a.lot_code, direction="forward",
                    until="2026-03-14T23:00:00+07:00")
    assert _lot_codes(early, "forward") == {j.dried.lot_code}  # milling came later
    assert not [s for s in early["shipments"] if s["step"] == "shipping"]


def test_cycles_end(journey: Journey) -> None:
    """A re-grading that feeds husk back into the dried paddy makes a cycle in the graph."""
    j = journey
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-19T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "TransformationEvent", "eventTime": "2026-03-19T08:00:00.000+07:00",
            "eventTimeZoneOffset": "+07:00", "bizStep": "creating_class_instance",
            "inputQuantityList": [{"epcClass": j.husk.epc_class, "quantity": 10, "uom": "KGM"}],
            "outputQuantityList": [{"epcClass": j.dried.epc_class, "quantity": 10,
                                    "uom": "KGM"}]}]}}
    r = j.client.post("/epcis/capture", content=json.dumps(document), headers={
        **j.d.actors.headers("coop_a"), "Content-Type": "application/ld+json"})
    assert r.status_code == 202, r.text
    both = _recall(j, kind="lot", value=j.dried.lot_code, direction="both")
    codes = [n["lot_code"] for n in both["nodes"] if n["kind"] == "lot"]
    assert len(codes) == len(set(codes))  # every node once
    assert {j.rice.lot_code, j.packed.lot_code, j.husk.lot_code, j.bran.lot_code,
            j.harvest_a.lot_code, j.harvest_b.lot_code} <= set(codes)
    assert both["truncated"] is False


def test_excel_report_and_permissions(journey: Journey) -> None:
    j = journey
    r = j.client.get("/api/v1/trace/recall.xlsx", params={
        "kind": "lot", "value": j.packed.lot_code}, headers=j.d.actors.headers("inspector"))
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Tóm tắt", "Lô hàng", "Vận chuyển", "Nơi nhận", "Nguồn gốc",
                               "Vật tư", "Đại lý"]
    lots = [row[6] for row in book["Lô hàng"].iter_rows(min_row=2, values_only=True)]
    assert j.harvest_a.lot_code in lots and j.rice.lot_code in lots
    inputs = [row[1] for row in book["Vật tư"].iter_rows(min_row=2, values_only=True)]
    assert "Rầy Sạch 50WG" in inputs
    dealers = [row[0] for row in book["Đại lý"].iter_rows(min_row=2, values_only=True)]
    assert dealers == [j.d.dealer.name]
    # The public and farmers may not run a recall.
    assert_problem(j.client.post("/api/v1/trace/recall",
                                 json={"kind": "lot", "value": j.rice.lot_code}), 401)
    assert_problem(j.client.post("/api/v1/trace/recall", headers=j.d.actors.headers("farmer_a"),
                                 json={"kind": "lot", "value": j.rice.lot_code}), 403)
    assert_problem(j.client.post("/api/v1/trace/recall", headers=j.d.actors.headers("inspector"),
                                 json={"kind": "lot", "value": "NO-SUCH-LOT"}), 404)
    assert_problem(j.client.post("/api/v1/trace/recall", headers=j.d.actors.headers("inspector"),
                                 json={"kind": "pallet", "value": "x"}), 422)
