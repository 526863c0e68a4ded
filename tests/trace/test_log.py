"""The tamper-evident log: signed checkpoints, inclusion and consistency proofs over the API,
and verification that catches an event edited behind the service's back."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from nongso.trace import merkle
from nongso.trace.checkpoint import verify_signed_note
from nongso.trace.epcis import canonical_json
from tests.helpers import Actors
from tests.trace.test_epcis_api import _capture, _document, _job, _shipping


def _fill(actors: Actors, sizes: tuple[int, ...] = (1, 3, 17, 40)) -> list[int]:
    n = 0
    tree_sizes = []
    for size in sizes:
        _job(actors, _capture(actors, _document(*[_shipping(n + k) for k in range(size)])))
        n += size
        tree_sizes.append(n)
    return tree_sizes


def _events(actors: Actors) -> list[dict[str, Any]]:
    r = actors.client.get("/epcis/events?perPage=500", headers=actors.headers("admin"))
    events: list[dict[str, Any]] = r.json()["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"]
    return events


def _key(actors: Actors) -> tuple[str, bytes]:
    key = actors.client.get("/api/v1/trace/log/key").json()
    raw = base64.b64decode(key["verifier_key"].split("+", 2)[2])
    assert raw[0] == 1 and key["algorithm"] == "Ed25519"
    return key["name"], raw[1:]


def test_anyone_can_recompute_the_tree_from_public_answers(actors: Actors) -> None:
    sizes = _fill(actors)
    name, public = _key(actors)
    # Leaves are SHA-256(0x00 || the event's JSON as the query API returns it, canonicalised).
    leaves = [merkle.leaf_hash(canonical_json(e).encode()) for e in _events(actors)]
    assert len(leaves) == sizes[-1] == 61
    for size in sizes:
        r = actors.client.get("/api/v1/trace/log/checkpoint", params={"tree_size": size})
        assert r.status_code == 200
        cp = r.json()
        signed = verify_signed_note(cp["note"], name, public)
        assert signed.size == size == cp["tree_size"]
        assert signed.root == merkle.root_of(leaves[:size]) == bytes.fromhex(cp["root_hash"])
    note = actors.client.get("/api/v1/trace/log/checkpoint",
                             headers={"Accept": "text/plain"}).text
    assert note.splitlines()[1] == "61" and "— " in note


def test_inclusion_and_consistency_proofs_verify(actors: Actors) -> None:
    sizes = _fill(actors)
    events = _events(actors)
    leaves = [merkle.leaf_hash(canonical_json(e).encode()) for e in events]
    for index in (0, 1, 15, 16, 17, 31, 32, 47, 60):
        for size in (index + 1, 21, 61):
            if size <= index:
                continue
            r = actors.client.get("/api/v1/trace/log/proof/inclusion",
                                  params={"event_id": events[index]["eventID"],
                                          "tree_size": size})
            assert r.status_code == 200, r.text
            proof = r.json()
            assert proof["leaf_index"] == index and proof["leaf_hash"] == leaves[index].hex()
            path = [bytes.fromhex(p) for p in proof["audit_path"]]
            assert merkle.verify_inclusion(leaves[index], index, size, path,
                                           merkle.root_of(leaves[:size]))
    for first in [1, 4, 16, 21, 33]:
        for second in sizes:
            if second < first:
                continue
            r = actors.client.get("/api/v1/trace/log/proof/consistency",
                                  params={"first": first, "second": second})
            body = r.json()
            assert merkle.verify_consistency(
                first, second, merkle.root_of(leaves[:first]), merkle.root_of(leaves[:second]),
                [bytes.fromhex(p) for p in body["proof"]])
            assert body["first_root"] == merkle.root_of(leaves[:first]).hex()
    r = actors.client.get("/api/v1/trace/log/proof/consistency", params={"first": 62})
    assert r.status_code == 422
    r = actors.client.get("/api/v1/trace/log/proof/inclusion", params={"leaf_index": 99})
    assert r.status_code == 404


def _verify(actors: Actors) -> dict[str, Any]:
    r = actors.client.post("/api/v1/trace/log/verify", headers=actors.headers("inspector"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _sql(actors: Actors, statement: str, **params: Any) -> None:
    with actors.platform.engine.begin() as conn:
        conn.execute(text(statement), params)


def _restore_nodes(actors: Actors) -> None:
    """Put back the stored subtree hashes (recomputed from the genuine leaves)."""
    with actors.platform.engine.connect() as conn:
        leaves = [bytes(h) for (h,) in conn.execute(
            text("SELECT leaf_hash FROM trace_epcis_events ORDER BY id"))]
    frontier = merkle.Frontier()
    for leaf in leaves:
        for level, idx, value in frontier.append(leaf):
            if level % 4 == 0:
                _sql(actors, "INSERT INTO trace_log_nodes (level, idx, hash) VALUES (:l, :i, :h)",
                     l=level, i=idx, h=value)


def test_verify_catches_an_event_edited_behind_the_services_back(actors: Actors) -> None:
    _fill(actors, (5, 20))
    report = _verify(actors)
    assert report["ok"] and report["events_checked"] == 25 and report["checkpoints_checked"] == 2
    assert actors.client.post("/api/v1/trace/log/verify",
                              headers=actors.headers("farmer_a")).status_code == 403
    with actors.platform.engine.connect() as conn:
        original = conn.execute(text("SELECT document FROM trace_epcis_events WHERE id = 7")
                                ).scalar_one()
        leaf = conn.execute(text("SELECT leaf_hash FROM trace_epcis_events WHERE id = 7")
                            ).scalar_one()
    forged = original.replace("PO-7", "PO-8")  # who bought it
    assert forged != original
    # 1. The text changed: its leaf hash no longer matches.
    _sql(actors, "UPDATE trace_epcis_events SET document = :d WHERE id = 7", d=forged)
    report = _verify(actors)
    assert not report["ok"] and report["problem_code"] == "leaf-hash"
    assert report["leaf_index"] == 7 and report["event_id"].startswith("ni:///")
    # 2. The forger also recomputes the leaf hash: the signed checkpoint no longer matches.
    _sql(actors, "UPDATE trace_epcis_events SET leaf_hash = :h WHERE id = 7",
         h=merkle.leaf_hash(forged.encode()))
    report = _verify(actors)
    # The query index still holds the genuine purchase order: caught at the event itself.
    assert report["problem_code"] == "refs" and report["leaf_index"] == 7
    _sql(actors, "UPDATE trace_event_refs SET value = REPLACE(value, 'PO-7', 'PO-8') "
         "WHERE event_pk = 7")
    report = _verify(actors)
    # The stored subtree of leaves 0-15 no longer matches (caught at leaf 15, before the
    # checkpoint of 25 events that it also breaks).
    assert not report["ok"] and report["problem_code"] == "node" and report["leaf_index"] == 15
    _sql(actors, "DELETE FROM trace_log_nodes")
    report = _verify(actors)
    assert report["problem_code"] == "node"  # the tree's own nodes are gone: also caught
    _sql(actors, "UPDATE trace_epcis_events SET document = :d, leaf_hash = :h WHERE id = 7",
         d=original, h=leaf)
    _sql(actors, "UPDATE trace_event_refs SET value = REPLACE(value, 'PO-8', 'PO-7') "
         "WHERE event_pk = 7")
    _restore_nodes(actors)
    assert _verify(actors)["ok"]
    # 2b. A leaf after the last stored subtree: the signed checkpoint of 25 events catches it.
    with actors.platform.engine.connect() as conn:
        late = conn.execute(text("SELECT document FROM trace_epcis_events WHERE id = 20")
                            ).scalar_one()
    late_forged = late.replace("PO-20", "PO-99")
    _sql(actors, "UPDATE trace_epcis_events SET document = :d, leaf_hash = :h WHERE id = 20",
         d=late_forged, h=merkle.leaf_hash(late_forged.encode()))
    _sql(actors, "UPDATE trace_event_refs SET value = REPLACE(value, 'PO-20', 'PO-99') "
         "WHERE event_pk = 20")
    report = _verify(actors)
    assert report["problem_code"] == "checkpoint" and report["leaf_index"] == 24
    _sql(actors, "UPDATE trace_epcis_events SET document = :d, leaf_hash = :h WHERE id = 20",
         d=late, h=merkle.leaf_hash(late.encode()))
    _sql(actors, "UPDATE trace_event_refs SET value = REPLACE(value, 'PO-99', 'PO-20') "
         "WHERE event_pk = 20")
    assert _verify(actors)["ok"]
    # 3. Only the indexed column changed (a query would lie): caught too.
    _sql(actors, "UPDATE trace_epcis_events SET biz_step = 'receiving' WHERE id = 3")
    report = _verify(actors)
    assert report["problem_code"] == "index" and report["leaf_index"] == 3
    _sql(actors, "UPDATE trace_epcis_events SET biz_step = 'shipping' WHERE id = 3")
    # 4. An event deleted (with its references).
    _sql(actors, "DELETE FROM trace_event_refs WHERE event_pk = 24")
    _sql(actors, "DELETE FROM trace_epcis_events WHERE id = 24")
    report = _verify(actors)
    assert not report["ok"] and report["problem_code"] in ("head", "checkpoint")


def test_cli_verify_reports_the_first_inconsistency(actors: Actors, db_url: str) -> None:
    _fill(actors, (3, 4))
    env = {**os.environ, "NONGSO_DATABASE_URL": db_url}
    ok = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "verify"], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "7 sự kiện" in ok.stdout
    with actors.platform.engine.connect() as conn:
        original = conn.execute(text("SELECT document FROM trace_epcis_events WHERE id = 5")
                                ).scalar_one()
    _sql(actors, "UPDATE trace_epcis_events SET document = :d WHERE id = 5",
         d=original.replace("PO-5", "PO-X"))
    bad = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "verify", "--json"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["problem_code"] == "leaf-hash" and report["leaf_index"] == 5


@pytest.mark.parametrize("first", [0])
def test_log_is_empty_before_any_capture(actors: Actors, first: int) -> None:
    r = actors.client.get("/api/v1/trace/log/checkpoint")
    assert r.status_code == 404
    assert _verify(actors)["ok"]


def test_cli_labels_recall_and_ocop_export(journey: Any, db_url: str, tmp_path: Any) -> None:
    j = journey
    env = {**os.environ, "NONGSO_DATABASE_URL": db_url}
    pdf = tmp_path / "labels.pdf"
    run = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "labels",
                          str(j.packed.id), "--copies", "3", "-o", str(pdf)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    run = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "recall",
                          j.packed.lot_code, "--direction", "backward"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert j.harvest_a.lot_code in {n["lot_code"] for n in report["nodes"]}
    bad = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "recall", "x",
                          "--kind", "pallet"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
