"""The alert lifecycle as pure decisions: what the rules found vs. the alerts already open.

An evaluation covers a *scope* (e.g. "salinity of datastream 7"): every open alert whose key
is in that scope and that the rules no longer find is cleared; every finding without an open
alert is raised; a finding with an open alert updates it (and counts as a new message only
when its severity or level changed, so an ongoing condition never raises a duplicate).
A severity that goes up re-opens an acknowledged alert (the situation got worse).

An alert that cleared stays cleared for a while (``held``: the keys cleared recently, with
the severity they had): a finding for such a key raises nothing until the hold ends, unless it
is worse than what cleared. A condition that flickers (a station that never reported, a value
at the threshold) so raises at most one alert per hold instead of one per evaluation.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from nongso.alerts.rules import SEVERITIES, RuleResult, Severity

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Finding:
    """A condition a rule found now, with who it concerns."""

    key: str
    result: RuleResult
    communes: tuple[str, ...]
    crops: tuple[str, ...] = ()
    level: int = 0
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenAlert:
    id: int
    key: str
    status: Literal["raised", "acknowledged"]
    severity: Severity
    level: int


@dataclass(frozen=True)
class Decision:
    kind: Literal["raise", "update", "clear"]
    key: str
    finding: Finding | None = None
    alert_id: int | None = None
    # For updates: whether this is a change worth a new message (severity or level moved).
    changed: bool = False
    worse: bool = False


def rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def reconcile(open_alerts: Iterable[OpenAlert], findings: Iterable[Finding],
              scope: str, held: Mapping[str, str] | None = None) -> list[Decision]:
    """Decisions for the keys that start with ``scope`` (the part of the world evaluated);
    ``held``: keys cleared too recently to rise again, with the severity they cleared at (a
    raise that is worse than that goes through, marked ``worse``)."""
    held = held or {}
    current = {a.key: a for a in open_alerts if a.key.startswith(scope)}
    found: dict[str, Finding] = {}
    for f in findings:
        if not f.key.startswith(scope):
            raise ValueError(f"finding {f.key!r} is outside the scope {scope!r}")
        found[f.key] = f  # the last one found for a key wins
    out: list[Decision] = []
    for key, f in found.items():
        alert = current.get(key)
        if alert is None:
            if key in held:
                if rank(f.result.severity) <= rank(held[key]):
                    continue  # cleared recently: it stays cleared a while
                out.append(Decision("raise", key, f, worse=True))
                continue
            out.append(Decision("raise", key, f))
            continue
        changed = f.result.severity != alert.severity or f.level != alert.level
        worse = rank(f.result.severity) > rank(alert.severity) or f.level > alert.level
        out.append(Decision("update", key, f, alert.id, changed, worse))
    for key, alert in current.items():
        if key not in found:
            out.append(Decision("clear", key, None, alert.id))
    return out


@dataclass(frozen=True)
class RuleSettings:
    salinity_radius_km: float
    salinity_confirm: int
    trap_radius_km: float
    blast_radius_km: float
    rise_window_h: float
    rise_threshold_m_per_day: float
    silence_hours: float
    flood_hysteresis_m: float
    escalate_after: Mapping[str, dt.timedelta]


@lru_cache
def rule_settings(path: Path | None = None) -> RuleSettings:
    """The engine's settings from ``data/rule_settings.csv``."""
    path = path or DATA_DIR / "rule_settings.csv"
    with path.open(encoding="utf-8") as f:
        values = {row["setting"]: float(row["value"]) for row in csv.DictReader(f)}
    return RuleSettings(
        salinity_radius_km=values["salinity_radius_km"],
        salinity_confirm=int(values["salinity_confirm"]),
        trap_radius_km=values["trap_radius_km"],
        blast_radius_km=values["blast_radius_km"],
        rise_window_h=values["rise_window_h"],
        rise_threshold_m_per_day=values["rise_threshold_m_per_day"],
        silence_hours=values["silence_hours"],
        flood_hysteresis_m=values["flood_hysteresis_m"],
        escalate_after={
            s: dt.timedelta(minutes=values[f"escalate_{s}_min"])
            for s in ("extreme", "severe", "moderate", "minor")
        },
    )


def escalation_due(severity: str, status: str, raised_at: dt.datetime, escalation_level: int,
                   escalated_at: dt.datetime | None, now: dt.datetime,
                   settings: RuleSettings, max_level: int = 2) -> bool:
    """Whether an unacknowledged alert should go one level up now: after the delay of its
    severity since it was raised (or last escalated). Advisories (``info``) never escalate."""
    delay = settings.escalate_after.get(severity)
    if status != "raised" or delay is None or escalation_level >= max_level:
        return False
    since = escalated_at or raised_at
    return now - since >= delay


SEVERITY_ORDER: Sequence[str] = SEVERITIES
