"""Alerts as CAP 1.2 messages (OASIS Common Alerting Protocol), XML and JSON (pure).

One message per change of an alert: ``msgType`` Alert for the first, Update for the next
ones and Cancel when the condition is over, each referencing the first message. Two ``info``
blocks, Vietnamese (vi-VN) then English (en-US). Elements are written in the order of the
CAP 1.2 schema's sequences; times carry their offset (``+07:00``) as CAP requires (no ``Z``).
The area lists the communes by their 2025 code (geocode ``VN-commune-2025``) and, for a
station, a circle ``lat,lon radius-km``.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nongso.alerts.schemas import AlertPublic

NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
VN: Final = dt.timezone(dt.timedelta(hours=7))
GEOCODE: Final = "VN-commune-2025"

ALERT_ORDER: Final = ("identifier", "sender", "sent", "status", "msgType", "source", "scope",
                      "restriction", "addresses", "code", "note", "references", "incidents",
                      "info")
INFO_ORDER: Final = ("language", "category", "event", "responseType", "urgency", "severity",
                     "certainty", "audience", "eventCode", "effective", "onset", "expires",
                     "senderName", "headline", "description", "instruction", "web", "contact",
                     "parameter", "resource", "area")
AREA_ORDER: Final = ("areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling")

# rule id -> (category, event vi, event en, urgency, certainty, responseType)
RULES: Final[Mapping[str, tuple[str, str, str, str, str, str]]] = {
    "salinity.crop_risk": ("Env", "Xâm nhập mặn", "Salinity intrusion", "Immediate",
                           "Observed", "Avoid"),
    "flood.alarm_level": ("Met", "Lũ vượt mức báo động", "Flood above alarm level",
                          "Immediate", "Observed", "Prepare"),
    "water_level.rate_of_rise": ("Met", "Nước lên nhanh", "Rapid water rise", "Immediate",
                                 "Observed", "Monitor"),
    "station.silence": ("Infra", "Trạm quan trắc mất tín hiệu", "Monitoring station silent",
                        "Expected", "Observed", "Monitor"),
    "pest.brown_planthopper.light_trap_peak": (
        "Env", "Rầy nâu vào đèn — lịch gieo sạ né rầy",
        "Brown planthopper — sowing window", "Future", "Likely", "Execute"),
    "pest.scouting_threshold": ("Env", "Sâu hại đạt ngưỡng phòng trừ (thăm đồng)",
                                "Pest at the spray threshold (scouting)", "Expected",
                                "Observed", "Monitor"),
    "disease.rice_blast.weather": ("Env", "Thời tiết thuận lợi cho bệnh đạo ôn",
                                   "Rice blast weather", "Expected", "Likely", "Monitor"),
}
CAP_STATUS_VALUES: Final = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES: Final = ("Alert", "Update", "Cancel", "Ack", "Error")
URGENCIES: Final = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES: Final = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


def cap_time(value: dt.datetime) -> str:
    """``2026-03-10T19:00:00+07:00`` (CAP's dateTime: seconds, an explicit offset)."""
    return value.astimezone(VN).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class CapContext:
    sender: str  # e.g. "nongso@sonnmt.dongthap.gov.vn"
    sender_name_vi: str
    sender_name_en: str
    web_base: str  # e.g. "https://nongso.dongthap.gov.vn"
    commune_names: Mapping[str, str]


def identifier(alert: AlertPublic, sequence: int | None = None) -> str:
    province = alert.province_code or "vn"
    return f"nongso-{province}-alert-{alert.id}-{sequence or alert.sequence}"


def _msg_type(alert: AlertPublic) -> str:
    if alert.status == "cleared":
        return "Cancel"
    return "Alert" if alert.sequence <= 1 else "Update"


def message(alert: AlertPublic, ctx: CapContext) -> dict[str, Any]:
    """The CAP message as an ordered mapping (CAP element names), for JSON and XML."""
    category, event_vi, event_en, urgency, certainty, response = RULES.get(
        alert.rule_id, ("Other", alert.rule_id, alert.rule_id, "Unknown", "Unknown", "None"))
    if alert.status == "cleared":
        urgency, response = "Past", "AllClear"
    sent = alert.cleared_at if alert.status == "cleared" and alert.cleared_at else \
        alert.updated_at
    doc: dict[str, Any] = {
        "identifier": identifier(alert),
        "sender": ctx.sender,
        "sent": cap_time(sent),
        "status": "Exercise" if alert.is_exercise else "Actual",
        "msgType": _msg_type(alert),
        "scope": "Public",
    }
    if alert.is_exercise:
        doc["note"] = "Dữ liệu mô phỏng (demo) / simulated data (demo)"
    if _msg_type(alert) != "Alert":
        doc["references"] = f"{ctx.sender},{identifier(alert, 1)},{cap_time(alert.raised_at)}"
    area: dict[str, Any] = {
        "areaDesc": "; ".join(ctx.commune_names.get(c, c) for c in alert.communes)
        or alert.station_name or "Việt Nam",
    }
    if alert.lat is not None and alert.lon is not None:
        area["circle"] = [f"{alert.lat:.5f},{alert.lon:.5f} {alert.radius_km or 0:g}"]
    if alert.communes:
        area["geocode"] = [{"valueName": GEOCODE, "value": c} for c in alert.communes]
    infos = []
    for lang, event, headline, description, source in (
        ("vi-VN", event_vi, alert.headline_vi, alert.description_vi, alert.source),
        ("en-US", event_en, alert.headline_en, alert.description_en,
         alert.source_en or alert.source),
    ):
        info: dict[str, Any] = {
            "language": lang,
            "category": [category],
            "event": event,
            "responseType": [response],
            "urgency": urgency,
            "severity": alert.cap_severity,
            "certainty": certainty,
        }
        if alert.onset is not None:
            info["onset"] = cap_time(alert.onset)
        if alert.expires is not None:
            info["expires"] = cap_time(alert.expires)
        info["senderName"] = ctx.sender_name_vi if lang == "vi-VN" else ctx.sender_name_en
        info["headline"] = headline[:160]
        info["description"] = description
        info["web"] = f"{ctx.web_base}/alerts/{alert.id}"
        params = [{"valueName": "nongso:rule", "value": alert.rule_id},
                  {"valueName": "nongso:subject", "value": alert.subject}]
        if source:
            # CAP's <info> has no element for the rule's source: a parameter, in the
            # language of its <info>.
            params.append({"valueName": "nongso:source", "value": source})
        if alert.crops:
            params.append({"valueName": "nongso:crops", "value": " ".join(alert.crops)})
        params += [{"valueName": f"nongso:{v.quantity}", "value": f"{v.at} {v.value:g}"}
                   for v in alert.values[:10]]
        info["parameter"] = params
        info["area"] = [area]
        infos.append(info)
    doc["info"] = infos
    return doc


def to_json(alert: AlertPublic, ctx: CapContext) -> dict[str, Any]:
    return {"alert": message(alert, ctx)}


def _append(parent: ET.Element, name: str, value: Any, order: Sequence[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _append(parent, name, item, order)
        return
    child = ET.SubElement(parent, f"{{{NS}}}{name}")
    if isinstance(value, dict):
        sub_order = {"info": INFO_ORDER, "area": AREA_ORDER}.get(name, ())
        keys = sorted(value, key=lambda k: sub_order.index(k) if k in sub_order else 99)
        for key in keys:
            _append(child, key, value[key], sub_order)
    else:
        child.text = str(value)


def to_xml(alert: AlertPublic, ctx: CapContext) -> str:
    ET.register_namespace("", NS)
    doc = message(alert, ctx)
    root = ET.Element(f"{{{NS}}}alert")
    for key in sorted(doc, key=ALERT_ORDER.index):
        _append(root, key, doc[key], ALERT_ORDER)
    ET.indent(root)
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode")


def to_atom(alerts: Sequence[AlertPublic], ctx: CapContext, updated: dt.datetime,
            feed_url: str) -> str:
    """An Atom feed of CAP messages (how CAP feeds are published, e.g. for WMO's register)."""
    atom = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", atom)
    feed = ET.Element(f"{{{atom}}}feed")
    for name, value in (("id", feed_url), ("title", "Nông Số — cảnh báo / alerts"),
                        ("updated", cap_time(updated))):
        ET.SubElement(feed, f"{{{atom}}}{name}").text = value
    ET.SubElement(feed, f"{{{atom}}}link", rel="self", href=feed_url)
    for a in alerts:
        entry = ET.SubElement(feed, f"{{{atom}}}entry")
        ET.SubElement(entry, f"{{{atom}}}id").text = f"urn:nongso:{identifier(a)}"
        ET.SubElement(entry, f"{{{atom}}}title").text = a.headline_vi
        ET.SubElement(entry, f"{{{atom}}}updated").text = cap_time(a.updated_at)
        ET.SubElement(entry, f"{{{atom}}}summary").text = a.headline_en
        ET.SubElement(entry, f"{{{atom}}}link", rel="alternate",
                      type="application/cap+xml",
                      href=f"{ctx.web_base}/api/v1/alerts/{a.id}/cap.xml")
    ET.indent(feed)
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(feed, encoding="unicode")
