"""Observations over MQTT: a batch of messages the bridge received, on the device topic
(``nongso/{device}/obs``) or the SensorThings topic (``v1.1/Datastreams({id})/Observations``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from nongso.accounts import services as accounts
from nongso.core import clock
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.monitor import payloads
from nongso.monitor.ingest import DatastreamInfo, Rejection, SeriesIn
from nongso.monitor.models import Datastream, Thing
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.services._common import _write_series


@dataclass(frozen=True)
class InboundMessage:
    """One MQTT message as the bridge received it."""

    topic: str
    payload: bytes


@dataclass
class MessagesOutcome:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    bad_quality: int = 0
    malformed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    # (device or topic, reason code, message en) of each refusal, for the log.
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _topic_target(topic: str, prefix: str) -> tuple[str, str] | None:
    """("device", name) for ``nongso/{device}/obs``; ("datastream", id) for the STA topic."""
    if prefix and not topic.startswith(prefix):
        return None
    rest = topic[len(prefix):]
    parts = rest.split("/")
    if len(parts) == 3 and parts[0] == "nongso" and parts[2] == "obs" and parts[1]:
        return "device", parts[1]
    if len(parts) == 3 and parts[0] == "v1.1" and parts[2] == "Observations":
        seg = parts[1]
        if seg.startswith("Datastreams(") and seg.endswith(")") and seg[12:-1].isdigit():
            return "datastream", seg[12:-1]
    return None


def ingest_messages(uow: UnitOfWork, messages: Sequence[InboundMessage], *,
                    limiter: RateLimiter | None = None, prefix: str = "") -> MessagesOutcome:
    """A batch of MQTT messages, written together (one transaction, one event).

    A message that cannot be read is counted as malformed and logged with its device; a
    reading refused (unknown or foreign datastream, future time, wrong type, device over its
    rate) is counted by reason. Neither stops the others. On ``nongso/{device}/obs`` the
    device is the topic's (the broker's ACL lets only that device publish there) and it may
    only write its own datastreams; on ``v1.1/Datastreams({id})/Observations`` the broker's
    ACL decides who publishes, and the datastream's device is charged for the rate.
    """
    require_role(uow.principal, "admin")
    out = MessagesOutcome(received=len(messages))
    now = clock.now()
    with uow:
        s = uow.session
        parsed: list[tuple[str, str, Any]] = []
        for m in messages:
            target = _topic_target(m.topic, prefix)
            if target is None:
                out.malformed += 1
                out.problems.append((m.topic, "bad_topic", "not a platform topic"))
                continue
            try:
                parsed.append((target[0], target[1], payloads.decode_json(m.payload)))
            except payloads.PayloadError as exc:
                out.malformed += 1
                out.problems.append((target[1], exc.reason, exc.message_en))
        names = {name for kind, name, _ in parsed if kind == "device"}
        devices = accounts.devices_by_name(uow, names) if names else {}
        series: list[SeriesIn] = []
        owners: dict[int, int | None] = {}  # series index -> device id allowed (None: any)
        device_of_series: dict[int, str] = {}
        ds_ids = {int(name) for kind, name, _ in parsed if kind == "datastream"}
        ds_devices = dict(s.execute(
            select(Datastream.id, Thing.device_id).join(Thing, Thing.id == Datastream.thing_id)
            .where(Datastream.id.in_(ds_ids))).all()) if ds_ids else {}
        for kind, name, body in parsed:
            if kind == "device":
                device = devices.get(name)
                if device is None or not device.is_active:
                    out.rejected["unknown_device"] += 1
                    out.problems.append((name, "unknown_device", "unknown or inactive device"))
                    continue
                key = f"device:{device.id}"
                if limiter is not None and not limiter.allow(key):
                    out.rejected["rate_limited"] += 1
                    out.problems.append((name, "rate_limited", "over the device's rate"))
                    continue
                try:
                    got, problems = payloads.parse_compact(body)
                except payloads.PayloadError as exc:
                    out.malformed += 1
                    out.problems.append((name, exc.reason, exc.message_en))
                    continue
                for p in problems:
                    out.rejected[p.code] += 1
                    out.problems.append((name, p.code, f"{p.loc}: {p.message_en}"))
                for x in got:
                    owners[len(series)] = device.id
                    device_of_series[len(series)] = name
                    series.append(x)
            else:
                ds = int(name)
                owner = ds_devices.get(ds)
                label = f"datastream {ds}"
                if limiter is not None and not limiter.allow(
                        f"device:{owner}" if owner else f"datastream:{ds}"):
                    out.rejected["rate_limited"] += 1
                    out.problems.append((label, "rate_limited", "over the device's rate"))
                    continue
                try:
                    ds_id, start, result, extras, new_feature = payloads.parse_observation(
                        body, "", ds, now)
                    if new_feature is not None:
                        raise payloads.PayloadError([payloads.Problem(
                            "/FeatureOfInterest", "unsupported",
                            "Tạo FeatureOfInterest qua MQTT chưa được hỗ trợ.",
                            "Creating a FeatureOfInterest over MQTT is not supported.")])
                except payloads.PayloadError as exc:
                    out.malformed += 1
                    out.problems.append((label, exc.reason, exc.message_en))
                    continue
                owners[len(series)] = None
                device_of_series[len(series)] = label
                series.append(SeriesIn(ds_id, [start], [result], [extras], ""))
        index_of = {id(x): i for i, x in enumerate(series)}

        def allowed(info: DatastreamInfo, x: SeriesIn) -> Rejection | None:
            i = index_of[id(x)]
            owner = owners[i]
            if owner is None or info.device_id == owner:
                return None
            return Rejection(x.loc, "forbidden", "Datastream của thiết bị khác.",
                             f"Datastream {info.id} belongs to another device.", info.id,
                             device_of_series[i], count=len(x.times))

        result = _write_series(uow, series, allowed, all_or_nothing=False, now=now)
        label_of = {x.datastream_id: device_of_series[i] for i, x in enumerate(series)}
        for r in result.rejected:
            out.rejected[r.code] += r.count
            who = r.device or label_of.get(r.datastream_id or 0, "?")
            out.problems.append((who, r.code, f"{r.loc}: {r.message_en}"))
        out.stored, out.duplicates = result.stored, result.duplicates
        out.bad_quality = result.bad_quality
        uow.commit()
    return out
