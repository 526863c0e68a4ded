"""``nongso trace verify`` covers what people see: every column derived from a signed event,
the query index, the lineage, the log head, and the checkpoints kept in a witness file outside
the database. Each tampering of issue 15 is a clear finding; a malformed row is not a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nongso.core.settings import get_settings
from nongso.trace import merkle, store
from tests.helpers import Actors
from tests.trace.test_epcis_api import _capture, _document, _job, _shipping

SHOP = "urn:epc:id:sgln:9528200.00003.0"


def _transformation() -> dict[str, Any]:
    return {
        "type": "TransformationEvent", "bizStep": "commissioning",
        "eventTime": "2026-03-11T09:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
        "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9528200.000001.LUA1",
                               "quantity": 100, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9528200.000002.GAO1",
                                "quantity": 60, "uom": "KGM"}],
        "readPoint": {"id": "urn:epc:id:sgln:9528200.00001.0"},
        "bizLocation": {"id": "urn:epc:id:sgln:9528200.00001.0"},
    }


def _log(actors: Actors) -> None:
    """Five events in two captures (checkpoints of 3 and 5); event 1 is a transformation."""
    _job(actors, _capture(actors, _document(_shipping(0, bizLocation={"id": SHOP}),
                                            _transformation(), _shipping(1))))
    _job(actors, _capture(actors, _document(_shipping(2), _shipping(3))))


def _verify(actors: Actors) -> dict[str, Any]:
    r = actors.client.post("/api/v1/trace/log/verify", headers=actors.headers("inspector"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _sql(actors: Actors, statement: str, **params: Any) -> None:
    with actors.platform.engine.begin() as conn:
        conn.execute(text(statement), params)


def _witness() -> Path:
    return store.witness_file(get_settings())


def test_an_untouched_log_verifies_clean_and_is_witnessed(actors: Actors) -> None:
    _log(actors)
    report = _verify(actors)
    assert report["ok"], report
    assert report["events_checked"] == 5 and report["checkpoints_checked"] == 2
    assert report["witnessed"] == 2
    lines = _witness().read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and '"tree_size": 5' in lines[1]


TAMPERINGS = {
    "read_point": ("UPDATE trace_epcis_events SET read_point = 'urn:epc:id:sgln:9528200.00009.0'"
                   " WHERE id = 2", "index", 2, "read_point"),
    "biz_location": (f"UPDATE trace_epcis_events SET biz_location = '{SHOP[:-1]}7' WHERE id = 0",
                     "index", 0, "biz_location"),
    "refs_deleted": ("DELETE FROM trace_event_refs WHERE event_pk = 3", "refs", 3,
                     "trace_event_refs"),
    "ref_added": ("INSERT INTO trace_event_refs (event_pk, field, value, kind) VALUES "
                  "(4, 'epc', 'urn:epc:id:sgtin:9528200.000001.999', NULL)", "refs", 4,
                  "1 extra"),
    "lineage_edited": ("UPDATE trace_lineage SET src = 'urn:epc:class:lgtin:9528200.000001.X' "
                       "WHERE kind = 'input'", "lineage", 1, "trace_lineage"),
    "lineage_deleted": ("DELETE FROM trace_lineage WHERE kind = 'output'", "lineage", 1,
                        "1 rows missing"),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_verify_reports_a_tampered_derived_row(actors: Actors, case: str) -> None:
    _log(actors)
    assert _verify(actors)["ok"]
    statement, code, leaf, words = TAMPERINGS[case]
    _sql(actors, statement)
    report = _verify(actors)
    assert not report["ok"] and report["problem_code"] == code, report
    assert report["leaf_index"] == leaf and words in report["problem_en"]
    assert report["problem_vi"]


def test_a_truncated_tail_is_caught_by_the_witness(actors: Actors) -> None:
    _log(actors)
    # The attacker drops events 3 and 4 with everything that points at them, sets the head
    # back and deletes the newer checkpoint: the database alone is consistent again.
    for statement in ("DELETE FROM trace_event_refs WHERE event_pk >= 3",
                      "DELETE FROM trace_lineage WHERE event_pk >= 3",
                      "DELETE FROM trace_epcis_events WHERE id >= 3",
                      "DELETE FROM trace_log_nodes WHERE level = 0 AND idx >= 3",
                      "DELETE FROM trace_log_checkpoints WHERE tree_size > 3",
                      "UPDATE trace_log_head SET size = 3"):
        _sql(actors, statement)
    report = _verify(actors)
    assert not report["ok"] and report["problem_code"] == "witness", report
    assert "5 events" in report["problem_en"] and "truncated" in report["problem_en"]
    # Without the witness the truncation would pass unnoticed: the witness is what catches it.
    saved = _witness().read_bytes()
    _witness().unlink()
    try:
        assert _verify(actors)["ok"]
    finally:
        _witness().write_bytes(saved)


def test_a_head_without_its_checkpoint_is_reported(actors: Actors) -> None:
    _log(actors)
    _sql(actors, "DELETE FROM trace_log_checkpoints WHERE tree_size = 5")
    report = _verify(actors)
    assert report["problem_code"] == "head" and "5 events" in report["problem_en"]


def test_a_malformed_document_is_a_finding_not_a_crash(actors: Actors) -> None:
    _log(actors)
    _sql(actors, "UPDATE trace_epcis_events SET document = 'not json', leaf_hash = :h "
         "WHERE id = 2", h=merkle.leaf_hash(b"not json"))
    report = _verify(actors)
    assert report["problem_code"] == "malformed" and report["leaf_index"] == 2
    assert "id=2" in report["problem_en"] and "document" in report["problem_en"]


def test_an_integer_event_time_is_a_finding_not_a_traceback(actors: Actors, db_url: str
                                                              ) -> None:
    _log(actors)
    if not db_url.startswith("sqlite"):
        # PostgreSQL's column type refuses the tampering itself: the database is the guard.
        from sqlalchemy.exc import DataError, ProgrammingError
        with pytest.raises((ProgrammingError, DataError)):
            _sql(actors, "UPDATE trace_epcis_events SET event_time = 1741600000 WHERE id = 1")
        assert _verify(actors)["ok"] is True
        return
    _sql(actors, "UPDATE trace_epcis_events SET event_time = 1741600000 WHERE id = 1")
    report = _verify(actors)
    assert report["problem_code"] == "malformed" and report["leaf_index"] == 1
    assert "id=1" in report["problem_en"] and "event_time" in report["problem_en"]
    env = {**os.environ, "NONGSO_DATABASE_URL": db_url}
    cli = subprocess.run([sys.executable, "-m", "nongso.cli", "trace", "verify"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and "Traceback" not in cli.stderr
    assert "[malformed]" in cli.stderr and "event_time" in cli.stderr
