"""CAP 1.2 messages and the lifecycle decisions (pure functions)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from nongso.alerts import cap, engine, rules
from nongso.alerts.engine import Finding, OpenAlert
from nongso.alerts.schemas import AlertPublic, TriggerValuePublic
from nongso.alerts.services import night_weather

T = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
NS = {"c": cap.NS}
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _alert(**kw: Any) -> AlertPublic:
    base: dict[str, Any] = dict(
        id=7, rule_id="salinity.crop_risk", status="raised", severity="severe",
        cap_severity="Severe", level=0, subject="durian", headline_vi="Mặn 1,20 ‰ tại Vàm Kênh",
        headline_en="Salinity 1.20 ‰ at Vàm Kênh", description_vi="Mô tả", description_en="Text",
        source="agronomy.md", values=[TriggerValuePublic(at=T.isoformat(), value=1.2,
                                                         quantity="salinity_per_mille")],
        thing_id=1, datastream_id=2, station_name="Vàm Kênh", province_code="82",
        communes=["28756", "28759"], crops=["durian"], lon=106.73, lat=10.28, radius_km=5.0,
        onset=None, expires=None, is_exercise=False, raised_at=T, updated_at=T, sequence=1,
        acknowledged_at=None, acknowledged_by=None, cleared_at=None, clear_reason=None,
        escalation_level=0)
    base.update(kw)
    return AlertPublic(**base)


CTX = cap.CapContext("nongso@example.vn", "Sở NN&MT", "Department", "https://nongso.example",
                     {"28756": "Xã Tân Thành", "28759": "Xã Tân Điền"})


def _children(el: ET.Element) -> list[str]:
    return [c.tag.split("}")[1] for c in el]


def _in_order(names: list[str], order: tuple[str, ...]) -> bool:
    positions = [order.index(n) for n in names]
    return positions == sorted(positions)


def test_cap_xml_follows_the_schema_order_and_vocabularies() -> None:
    root = ET.fromstring(cap.to_xml(_alert(), CTX).split("\n", 1)[1])
    assert root.tag == f"{{{cap.NS}}}alert"
    names = _children(root)
    assert names[:6] == ["identifier", "sender", "sent", "status", "msgType", "scope"]
    assert _in_order(names, cap.ALERT_ORDER)
    assert root.findtext("c:identifier", namespaces=NS) == "nongso-82-alert-7-1"
    assert CAP_TIME.match(root.findtext("c:sent", namespaces=NS) or "")
    assert root.findtext("c:sent", namespaces=NS) == "2026-03-10T12:00:00+07:00"
    assert root.findtext("c:status", namespaces=NS) in cap.CAP_STATUS_VALUES
    assert root.find("c:references", NS) is None
    infos = root.findall("c:info", NS)
    assert [i.findtext("c:language", namespaces=NS) for i in infos] == ["vi-VN", "en-US"]
    for info in infos:
        assert _in_order(_children(info), cap.INFO_ORDER)
        assert info.findtext("c:urgency", namespaces=NS) in cap.URGENCIES
        assert info.findtext("c:severity", namespaces=NS) == "Severe"
        assert info.findtext("c:certainty", namespaces=NS) in cap.CERTAINTIES
        area = info.find("c:area", NS)
        assert area is not None and _in_order(_children(area), cap.AREA_ORDER)
        assert area.findtext("c:areaDesc", namespaces=NS) == "Xã Tân Thành; Xã Tân Điền"
        assert area.findtext("c:circle", namespaces=NS) == "10.28000,106.73000 5"
        assert [g.findtext("c:value", namespaces=NS) for g in area.findall("c:geocode", NS)] \
            == ["28756", "28759"]
    assert infos[0].findtext("c:event", namespaces=NS) == "Xâm nhập mặn"


def test_cap_updates_and_cancels_reference_the_first_message() -> None:
    later = T + dt.timedelta(hours=2)
    update = cap.message(_alert(sequence=3, updated_at=later), CTX)
    assert update["msgType"] == "Update" and update["identifier"].endswith("-3")
    assert update["references"] == "nongso@example.vn,nongso-82-alert-7-1," \
                                   "2026-03-10T12:00:00+07:00"
    cancel = cap.message(_alert(status="cleared", sequence=4, cleared_at=later), CTX)
    assert cancel["msgType"] == "Cancel"
    assert cancel["info"][0]["urgency"] == "Past"
    assert cancel["info"][0]["responseType"] == ["AllClear"]
    exercise = cap.message(_alert(is_exercise=True), CTX)
    assert exercise["status"] == "Exercise" and "demo" in exercise["note"]


def test_cap_feed_is_atom() -> None:
    text = cap.to_atom([_alert()], CTX, T, "https://nongso.example/api/v1/alerts/feed.atom")
    root = ET.fromstring(text.split("\n", 1)[1])
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    (entry,) = root.findall(f"{atom}entry")
    assert entry.find(f"{atom}link").get("type") == "application/cap+xml"  # type: ignore[union-attr]


def _finding(key: str, severity: str, level: int = 0) -> Finding:
    result = rules.RuleResult(rule_id="r", severity=severity,  # type: ignore[arg-type]
                              subject="s", headline_vi="h", headline_en="h",
                              description_vi="d", description_en="d", values=(), source_vi="x",
                              source_en="x")
    return Finding(key, result, ("1",), (), level)


def test_reconcile_raises_updates_and_clears_within_its_scope() -> None:
    open_ = [OpenAlert(1, "salinity|ds1|rice", "raised", "minor", 0),
             OpenAlert(2, "salinity|ds1|durian", "acknowledged", "severe", 0),
             OpenAlert(3, "salinity|ds2|rice", "raised", "minor", 0)]
    decisions = engine.reconcile(open_, [
        _finding("salinity|ds1|rice", "minor"),       # goes on, unchanged
        _finding("salinity|ds1|mango", "moderate"),   # new
    ], "salinity|ds1|")
    kinds = {(d.kind, d.key, d.changed) for d in decisions}
    assert kinds == {("update", "salinity|ds1|rice", False), ("raise", "salinity|ds1|mango", False),
                     ("clear", "salinity|ds1|durian", False)}
    # ds2's alert is outside the scope: untouched.
    worse = engine.reconcile(open_, [_finding("salinity|ds1|rice", "severe")], "salinity|ds1|rice")
    assert [(d.kind, d.changed, d.worse) for d in worse] == [("update", True, True)]
    with pytest.raises(ValueError):
        engine.reconcile(open_, [_finding("flood|x", "minor")], "salinity|")


def test_escalation_delays_by_severity() -> None:
    s = engine.rule_settings()
    assert s.escalate_after["extreme"] == dt.timedelta(minutes=15)
    due = engine.escalation_due
    assert due("extreme", "raised", T, 0, None, T + dt.timedelta(minutes=15), s)
    assert not due("extreme", "raised", T, 0, None, T + dt.timedelta(minutes=14), s)
    assert not due("extreme", "acknowledged", T, 0, None, T + dt.timedelta(hours=5), s)
    assert not due("info", "raised", T, 0, None, T + dt.timedelta(days=5), s)
    later = T + dt.timedelta(minutes=20)
    assert not due("severe", "raised", T, 1, later, later + dt.timedelta(minutes=29), s)
    assert due("severe", "raised", T, 1, later, later + dt.timedelta(minutes=30), s)
    assert not due("severe", "raised", T, 2, later, later + dt.timedelta(days=1), s)


def test_night_weather_dates_the_night_by_its_morning() -> None:
    vn = dt.timezone(dt.timedelta(hours=7))
    hours = [dt.datetime(2026, 3, 9, 12, tzinfo=vn) + dt.timedelta(hours=h) for h in range(24)]
    temps = [(h.astimezone(dt.UTC), 1, 30.0, 21.0 + (h.hour % 3), 30.0) for h in hours]
    hums = [(h.astimezone(dt.UTC), 2, 190.0, 95.0, 95.0) for h in hours]
    (night,) = night_weather(temps, hums)
    assert night.day == dt.date(2026, 3, 10)
    assert night.night_min_c == 21.0 and night.humidity_pct == 95.0
