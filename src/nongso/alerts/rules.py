"""Alert rules: pure functions over plain series, with their parameters loaded from CSV.

A series is a list of ``(time, value)`` or ``(time, value, quality)`` tuples; only readings
whose quality is ``"good"`` (the default), whose value is a finite number and which lie in
the observed property's physical range (:mod:`nongso.monitor.quality`) are used. Each rule
returns :class:`RuleResult` records shaped after a CAP 1.2 ``<info>`` block: a rule id, a
severity, a headline and a description in Vietnamese and English, the values that triggered
it and the source of the rule. Where a figure is a convention of this platform rather than a
published fact, the docstring says so. The facts and their sources: ``data/SOURCES.md``.

It is one module despite its length because it is one thing, the pure alert rules: no
database, no clock and no I/O beyond reading their parameter files, each rule read and tested
beside the others that share its series helpers and result shape.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final, Literal, NamedTuple

from nongso.core.errors import ValidationFailed
from nongso.core.i18n import fold, format_date, format_datetime, format_number
from nongso.monitor.schemas import physical_range

__all__ = [
    "AGRONOMY_SOURCE",
    "AGRONOMY_SOURCE_VI",
    "CAP_SEVERITY",
    "DATA_DIR",
    "DEFAULT_HYSTERESIS_M",
    "RULE_BPH_LIGHT_TRAP",
    "RULE_FLOOD_LEVEL",
    "RULE_RATE_OF_RISE",
    "RULE_RICE_BLAST",
    "RULE_SALINITY",
    "RULE_SILENCE",
    "SALINITY_SEVERITY_RATIOS",
    "SEVERITIES",
    "CropSalinityThreshold",
    "DailyCount",
    "FloodAssessment",
    "FloodStation",
    "Reading",
    "RuleError",
    "RuleResult",
    "Severity",
    "TrapPeak",
    "TriggerValue",
    "WeatherDay",
    "bph_light_trap_peaks",
    "bph_sowing_advice",
    "crops_not_covered",
    "flood_alarm",
    "flood_level",
    "good_readings",
    "load_flood_stations",
    "load_salinity_thresholds",
    "rate_of_rise",
    "rice_blast_weather",
    "salinity_risk",
    "station_silence",
]

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
AGRONOMY_SOURCE: Final = "Mekong Delta agronomic practice (primary document not yet cited)"
"""Source of the pest and disease figures, for which no public document is cited yet."""
AGRONOMY_SOURCE_VI: Final = "Kinh nghiệm canh tác Đồng bằng sông Cửu Long (chưa dẫn văn bản gốc)"
"""The same in Vietnamese."""

RULE_SALINITY: Final = "salinity.crop_risk"
RULE_FLOOD_LEVEL: Final = "flood.alarm_level"
RULE_RATE_OF_RISE: Final = "water_level.rate_of_rise"
RULE_SILENCE: Final = "station.silence"
RULE_BPH_LIGHT_TRAP: Final = "pest.brown_planthopper.light_trap_peak"
RULE_RICE_BLAST: Final = "disease.rice_blast.weather"

Severity = Literal["info", "minor", "moderate", "severe", "extreme"]
SEVERITIES: Final[tuple[Severity, ...]] = ("info", "minor", "moderate", "severe", "extreme")
"""Least to most severe. The last four are CAP 1.2's; ``info`` is an advisory."""

CAP_SEVERITY: Final[Mapping[Severity, str]] = {
    "info": "Minor",
    "minor": "Minor",
    "moderate": "Moderate",
    "severe": "Severe",
    "extreme": "Extreme",
}
"""The CAP 1.2 ``<severity>`` of each level. CAP has no "info": an advisory is sent as Minor
("minimal to no known threat to life or property")."""


class RuleError(ValidationFailed, ValueError):
    """Wrong rule parameters or rule data; ``line`` is the CSV line when the data is at fault."""

    def __init__(self, message_vi: str, message_en: str, *, line: int | None = None) -> None:
        super().__init__(message_vi, message_en, extra={} if line is None else {"line": line})
        self.line = line


class TriggerValue(NamedTuple):
    """One value a rule looked at: when (a datetime for a reading, a date for a daily value),
    the value, and the quantity with its unit (e.g. ``"salinity_per_mille"``)."""

    at: date
    value: float
    quantity: str


@dataclass(frozen=True)
class RuleResult:
    """One alert or advisory, shaped after CAP 1.2 ``<info>``.

    ``subject`` is what it is about (a crop code, a station, a trap); ``onset`` and
    ``expires`` bound the period it concerns when the rule gives one (the "né rầy" sowing
    window, a run of blast weather); ``source_vi`` and ``source_en`` say where the rule and
    its figures come from, in each language.
    """

    rule_id: str
    severity: Severity
    subject: str
    headline_vi: str
    headline_en: str
    description_vi: str
    description_en: str
    values: tuple[TriggerValue, ...]
    source_vi: str
    source_en: str
    onset: date | None = None
    expires: date | None = None

    @property
    def cap_severity(self) -> str:
        return CAP_SEVERITY[self.severity]


# --------------------------------------------------------------------------------------------
# Series


Reading = tuple[datetime, float | None] | tuple[datetime, float | None, str]
"""A reading: when (with a zone), the value, and optionally its quality flag."""

DailyCount = tuple[date, float | None] | tuple[date, float | None, str]
"""A daily value (a light-trap count): the day, the value, and optionally its quality flag."""


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleError(
            f"Thời điểm {moment.isoformat()} thiếu múi giờ.",
            f"The time {moment.isoformat()} has no time zone.",
        )


def good_readings(
    readings: Iterable[Reading], observed_property: str | None = None
) -> list[tuple[datetime, float]]:
    """The usable readings, oldest first: quality ``"good"``, a finite value and, when
    ``observed_property`` is given, inside its physical range. Times must carry a zone."""
    usable: list[tuple[datetime, float]] = []
    valid_range = physical_range(observed_property) if observed_property else None
    for at, value, *quality in readings:
        _require_aware(at)
        if (quality and quality[0] != "good") or value is None or not _finite(value):
            continue
        if valid_range is not None and not valid_range.contains(value):
            continue
        usable.append((at, float(value)))
    usable.sort(key=lambda r: r[0])
    return usable


def _severity_rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


def _num(value: float, lang: str, digits: int = 2) -> str:
    return format_number(value, lang, digits)


# --------------------------------------------------------------------------------------------
# Rule data (CSV under data/, changeable by an administrator)


GENERAL_SALINITY_ADVICE: Final = (
    "Không lấy nước tưới khi độ mặn còn cao.",
    "Do not take water for irrigation while salinity is high.",
)


@dataclass(frozen=True)
class CropSalinityThreshold:
    """Irrigation water above ``max_safe_per_mille`` puts the crop at risk. ``source`` is in
    English, ``source_vi`` in Vietnamese (the optional ``source_vi`` column; without it, the
    English one)."""

    crop: str
    name_vi: str
    name_en: str
    max_safe_per_mille: float
    note: str
    source: str
    source_vi: str = ""
    advice_vi: str = GENERAL_SALINITY_ADVICE[0]
    advice_en: str = GENERAL_SALINITY_ADVICE[1]


@dataclass(frozen=True)
class FloodStation:
    """Official flood alarm levels I, II, III of a station, in metres on ``datum``;
    ``source`` in English, ``source_vi`` in Vietnamese (as for the salinity thresholds)."""

    station: str
    river: str
    alarm_levels: tuple[float, float, float]
    datum: str
    source: str
    source_vi: str = ""


def _read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleError(
            f"Không đọc được tệp dữ liệu quy tắc {path.name}: {exc.strerror}.",
            f"Cannot read the rule data file {path.name}: {exc.strerror}.",
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise RuleError(
            f"{path.name}: thiếu cột {', '.join(missing)}.",
            f"{path.name}: missing column(s) {', '.join(missing)}.",
            line=1,
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if None in row or any(row[c] is None for c in required):
            raise RuleError(
                f"{path.name}, dòng {reader.line_num}: số cột không đúng.",
                f"{path.name}, line {reader.line_num}: wrong number of columns.",
                line=reader.line_num,
            )
        if any(v.strip() for v in row.values()):
            rows.append((reader.line_num, {k: v.strip() for k, v in row.items()}))
    return rows


def _positive(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise RuleError(
            f"{path.name}, dòng {line}: cột {column} phải là số dương, nhận «{text}».",
            f"{path.name}, line {line}: column {column} must be a positive number, got '{text}'.",
            line=line,
        )
    return value


def _unique(path: Path, line: int, key: str, seen: Mapping[str, object]) -> None:
    if not key:
        raise RuleError(
            f"{path.name}, dòng {line}: thiếu tên.",
            f"{path.name}, line {line}: name missing.",
            line=line,
        )
    if key in seen:
        raise RuleError(
            f"{path.name}, dòng {line}: «{key}» lặp lại.",
            f"{path.name}, line {line}: '{key}' appears twice.",
            line=line,
        )


def load_salinity_thresholds(path: Path | None = None) -> dict[str, CropSalinityThreshold]:
    """Crop salinity thresholds by crop code, from ``data/salinity_thresholds.csv``."""
    path = path or DATA_DIR / "salinity_thresholds.csv"
    columns = ("crop", "name_vi", "name_en", "max_safe_per_mille", "note", "source")
    result: dict[str, CropSalinityThreshold] = {}
    for line, row in _read_csv(path, columns):
        _unique(path, line, row["crop"], result)
        result[row["crop"]] = CropSalinityThreshold(
            crop=row["crop"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            max_safe_per_mille=_positive(
                path, line, "max_safe_per_mille", row["max_safe_per_mille"]
            ),
            note=row["note"],
            source=row["source"],
            source_vi=row.get("source_vi") or row["source"],
            advice_vi=row.get("advice_vi") or GENERAL_SALINITY_ADVICE[0],
            advice_en=row.get("advice_en") or GENERAL_SALINITY_ADVICE[1],
        )
    return result


def load_flood_stations(path: Path | None = None) -> dict[str, FloodStation]:
    """Flood alarm levels by station name, from ``data/flood_stations.csv``."""
    path = path or DATA_DIR / "flood_stations.csv"
    columns = ("station", "river", "alarm_1_m", "alarm_2_m", "alarm_3_m", "datum", "source")
    result: dict[str, FloodStation] = {}
    for line, row in _read_csv(path, columns):
        _unique(path, line, row["station"], result)
        levels = tuple(_positive(path, line, c, row[c]) for c in columns[2:5])
        if not levels[0] < levels[1] < levels[2]:
            raise RuleError(
                f"{path.name}, dòng {line}: các mức báo động phải tăng dần (I < II < III).",
                f"{path.name}, line {line}: alarm levels must increase (I < II < III).",
                line=line,
            )
        result[row["station"]] = FloodStation(
            station=row["station"],
            river=row["river"],
            alarm_levels=(levels[0], levels[1], levels[2]),
            datum=row["datum"],
            source=row["source"],
            source_vi=row.get("source_vi") or row["source"],
        )
    return result


# --------------------------------------------------------------------------------------------
# Salinity

SALINITY_SEVERITY_RATIOS: Final[tuple[tuple[float, Severity], ...]] = (
    (3.0, "extreme"),
    (2.0, "severe"),
    (1.5, "moderate"),
    (1.0, "minor"),
)
"""Severity by salinity ÷ the crop's safe maximum: above 1× minor, 1.5× moderate, 2× severe,
3× extreme. A platform convention (for rice, 2 ‰: above 3 ‰ — "do not sow Hè Thu" — is
moderate, above 4 ‰ — the isohaline provinces report — severe)."""


def _salinity_severity(ratio: float) -> Severity:
    for floor, severity in SALINITY_SEVERITY_RATIOS:
        if ratio > floor:
            return severity
    return "info"  # not reached: callers only ask above 1x


def crops_not_covered(crops: Iterable[str],
                      thresholds: Mapping[str, CropSalinityThreshold]) -> list[str]:
    """The crops (codes) without a published salinity threshold: no alert can be raised for
    them, which the station and alert pages say."""
    return sorted(c for c in set(crops) if c not in thresholds)


def _not_covered_text(not_covered: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(Vietnamese, English) sentence naming the crops without a salinity threshold."""
    if not not_covered:
        return "", ""
    return (" Chưa có ngưỡng mặn cho: " + ", ".join(vi for vi, _ in not_covered)
            + " (không được cảnh báo mặn; hãy tự theo dõi)."), (
        " Not covered (no salinity threshold): " + ", ".join(en for _, en in not_covered)
        + " (no salinity alert; watch them yourself).")


def salinity_risk(
    station: str,
    readings: Iterable[Reading],
    crops: Iterable[str],
    thresholds: Mapping[str, CropSalinityThreshold],
    *,
    confirm: int = 1,
    not_covered: Sequence[tuple[str, str]] = (),
) -> list[RuleResult]:
    """The crops grown around ``station`` whose safe salinity the water now exceeds.

    ``not_covered`` names (Vietnamese, English) the crops around the station without a
    published threshold: each alert says they are not covered instead of staying silent.

    The level is the lowest of the latest ``confirm`` good salinity readings (‰), so that with
    ``confirm=2`` one glitch does not raise an alert. A crop is at risk when the level is above
    its ``max_safe_per_mille``; the severity grows with the ratio
    (:data:`SALINITY_SEVERITY_RATIOS`). Crops without a threshold are skipped. Most severe
    first. Sensors that report EC convert first with ``monitor.quality.ec_to_salinity``.
    """
    if confirm < 1:
        raise RuleError("confirm phải ≥ 1.", "confirm must be at least 1.")
    good = good_readings(readings, "salinity")
    if len(good) < confirm:
        return []
    latest = good[-confirm:]
    level = min(v for _, v in latest)
    values = tuple(TriggerValue(at, v, "salinity_per_mille") for at, v in latest)
    missing_vi, missing_en = _not_covered_text(not_covered)
    results: list[RuleResult] = []
    for crop in dict.fromkeys(crops):
        threshold = thresholds.get(crop)
        if threshold is None or level <= threshold.max_safe_per_mille:
            continue
        safe = threshold.max_safe_per_mille
        ratio = level / safe
        severity = _salinity_severity(ratio)
        when_vi, when_en = format_datetime(latest[-1][0], "vi"), format_datetime(latest[-1][0])
        results.append(
            RuleResult(
                rule_id=RULE_SALINITY,
                severity=severity,
                subject=crop,
                headline_vi=(
                    f"Mặn {_num(level, 'vi')} ‰ tại {station}: nguy hại cho "
                    f"{threshold.name_vi.lower()}"
                ),
                headline_en=(
                    f"Salinity {_num(level, 'en')} ‰ at {station}: "
                    f"{threshold.name_en.lower()} at risk"
                ),
                description_vi=(
                    f"Độ mặn đo tại {station} lúc {when_vi} là {_num(level, 'vi')} ‰, gấp "
                    f"{_num(ratio, 'vi', 1)} lần ngưỡng an toàn của {threshold.name_vi.lower()} "
                    f"({_num(safe, 'vi')} ‰). Không lấy nước tưới khi độ mặn còn cao."
                ) + missing_vi,
                description_en=(
                    f"Salinity measured at {station} at {when_en} is {_num(level, 'en')} ‰, "
                    f"{_num(ratio, 'en', 1)} times the safe maximum for "
                    f"{threshold.name_en.lower()} ({_num(safe, 'en')} ‰). Do not take water "
                    "for irrigation while salinity is high."
                ) + missing_en,
                values=values,
                source_vi=threshold.source_vi,
                source_en=threshold.source,
            )
        )
    results.sort(key=lambda r: (-_severity_rank(r.severity), r.subject))
    return results


SALINITY_STATION_SUBJECT: Final = "station"


@dataclass(frozen=True)
class CropAtRisk:
    """One crop of a station's salinity alert: how bad, where, and what to do."""

    crop: str
    name_vi: str
    name_en: str
    severity: Severity
    safe_per_mille: float
    ratio: float
    communes: tuple[str, ...]  # commune names (or codes when no name is known)
    advice_vi: str
    advice_en: str


def _listing(names: Sequence[str], lang: str, most: int = 6) -> str:
    """"a, b và 3 nơi khác" / "a, b and 3 more"."""
    if len(names) <= most:
        head, rest = list(names), 0
    else:
        head, rest = list(names[:most]), len(names) - most
    if not rest:
        if len(head) <= 1:
            return "".join(head)
        return ", ".join(head[:-1]) + (" và " if lang == "vi" else " and ") + head[-1]
    return ", ".join(head) + (f" và {rest} nơi khác" if lang == "vi" else f" and {rest} more")


def salinity_station_alert(
    station: str,
    per_crop: Sequence[RuleResult],
    thresholds: Mapping[str, CropSalinityThreshold],
    communes_by_crop: Mapping[str, Sequence[str]],
    not_covered: Sequence[tuple[str, str]] = (),
) -> tuple[RuleResult, tuple[CropAtRisk, ...]] | None:
    """One alert for a station's salinity reading out of the crops it puts at risk
    (:func:`salinity_risk`): the most severe crop sets the severity; the text lists every
    crop with its communes and its advice. ``communes_by_crop``: names of the communes where
    the crop grows around the station."""
    if not per_crop:
        return None
    level = min(v.value for v in per_crop[0].values)
    crops: list[CropAtRisk] = []
    for r in per_crop:
        t = thresholds[r.subject]
        crops.append(CropAtRisk(
            r.subject, t.name_vi, t.name_en, r.severity, t.max_safe_per_mille,
            level / t.max_safe_per_mille, tuple(communes_by_crop.get(r.subject, ())),
            t.advice_vi, t.advice_en))
    severity = max((c.severity for c in crops), key=_severity_rank)
    at = per_crop[0].values[-1].at
    when_vi = format_datetime(at, "vi") if isinstance(at, datetime) else format_date(at)
    when_en = format_datetime(at, "en") if isinstance(at, datetime) else format_date(at)
    names_vi = [c.name_vi.lower() for c in crops]
    names_en = [c.name_en.lower() for c in crops]
    lines_vi = [
        f"– {c.name_vi} (gấp {_num(c.ratio, 'vi', 1)} lần ngưỡng an toàn "
        f"{_num(c.safe_per_mille, 'vi')} ‰"
        + (f"; {_listing(c.communes, 'vi')}" if c.communes else "") + f"): {c.advice_vi}"
        for c in crops]
    lines_en = [
        f"– {c.name_en} ({_num(c.ratio, 'en', 1)} times the safe maximum of "
        f"{_num(c.safe_per_mille, 'en')} ‰"
        + (f"; {_listing(c.communes, 'en')}" if c.communes else "") + f"): {c.advice_en}"
        for c in crops]
    missing_vi, missing_en = _not_covered_text(not_covered)
    result = RuleResult(
        rule_id=RULE_SALINITY,
        severity=severity,
        subject=SALINITY_STATION_SUBJECT,
        headline_vi=f"Mặn {_num(level, 'vi')} ‰ tại {station}: nguy hại cho "
                    f"{_listing(names_vi, 'vi', 4)}",
        headline_en=f"Salinity {_num(level, 'en')} ‰ at {station}: "
                    f"{_listing(names_en, 'en', 4)} at risk",
        description_vi=f"Độ mặn đo tại {station} lúc {when_vi} là "
                       f"{_num(level, 'vi')} ‰. Cây trồng bị ảnh hưởng:\n" + "\n".join(lines_vi)
                       + ("\n" + missing_vi.strip() if missing_vi else ""),
        description_en=f"Salinity measured at {station} at {when_en} is "
                       f"{_num(level, 'en')} ‰. Crops at risk:\n" + "\n".join(lines_en)
                       + ("\n" + missing_en.strip() if missing_en else ""),
        values=per_crop[0].values,
        source_vi="; ".join(dict.fromkeys(thresholds[r.subject].source_vi for r in per_crop)),
        source_en="; ".join(dict.fromkeys(thresholds[r.subject].source for r in per_crop)),
    )
    return result, tuple(crops)


# --------------------------------------------------------------------------------------------
# Flood alarm levels

DEFAULT_HYSTERESIS_M: Final = 0.05
"""An alarm level clears only when the water falls 5 cm below it (a platform default, set in
``rule_settings.csv``), so a level oscillating around a threshold does not flap."""

_FLOOD_SEVERITY: Final[Mapping[int, Severity]] = {
    0: "info",
    1: "minor",
    2: "moderate",
    3: "severe",
}
_ROMAN: Final = ("", "I", "II", "III")


def _levels(thresholds: Sequence[float] | FloodStation) -> tuple[float, float, float]:
    levels = tuple(thresholds.alarm_levels if isinstance(thresholds, FloodStation) else thresholds)
    if len(levels) != 3 or not all(_finite(x) for x in levels):
        raise RuleError(
            "Cần đúng ba mức báo động (I, II, III).",
            "Exactly three alarm levels (I, II, III) are needed.",
        )
    if not levels[0] < levels[1] < levels[2]:
        raise RuleError(
            "Các mức báo động phải tăng dần (I < II < III).",
            "Alarm levels must increase (I < II < III).",
        )
    return levels[0], levels[1], levels[2]


def flood_level(
    previous_level: int,
    value: float,
    thresholds: Sequence[float] | FloodStation,
    hysteresis: float = DEFAULT_HYSTERESIS_M,
) -> int:
    """The alarm level (0 = none, 1..3 = I..III) after a water-level reading.

    The level rises as soon as ``value`` reaches a threshold (``value >= level``) and falls
    only when ``value < level - hysteresis``. A reading that is not a finite number leaves the
    level unchanged.
    """
    levels = _levels(thresholds)
    if previous_level not in (0, 1, 2, 3):
        raise RuleError(
            f"Mức báo động trước phải từ 0 đến 3, nhận {previous_level}.",
            f"The previous alarm level must be 0 to 3, got {previous_level}.",
        )
    if not _finite(hysteresis) or hysteresis < 0:
        raise RuleError("Độ trễ phải ≥ 0.", "The hysteresis must be 0 or more.")
    if not _finite(value):
        return previous_level
    reached = sum(1 for t in levels if value >= t)
    held = max(
        (n for n in range(1, previous_level + 1) if value >= levels[n - 1] - hysteresis),
        default=0,
    )
    return max(reached, held)


@dataclass(frozen=True)
class FloodAssessment:
    """The alarm level after a series, and one result per change of level on the way."""

    level: int
    changes: tuple[RuleResult, ...]


def flood_alarm(
    station: FloodStation,
    readings: Iterable[Reading],
    previous_level: int = 0,
    hysteresis: float = DEFAULT_HYSTERESIS_M,
) -> FloodAssessment:
    """Run :func:`flood_level` over the good water-level readings (m) of ``station``.

    Each change of level yields a result: alarm I minor, II moderate, III severe (a platform
    mapping of the official levels to CAP severities), and back to 0 an ``info`` "cleared".
    """
    level = previous_level
    changes: list[RuleResult] = []
    for at, value in good_readings(readings, "water_level"):
        new = flood_level(level, value, station, hysteresis)
        if new != level:
            changes.append(_flood_change(station, level, new, at, value, hysteresis))
            level = new
    return FloodAssessment(level, tuple(changes))


def _flood_change(
    station: FloodStation, old: int, new: int, at: datetime, value: float, hysteresis: float
) -> RuleResult:
    name = f"{station.station} ({station.river})"
    water_vi, water_en = _num(value, "vi"), _num(value, "en")
    when_vi, when_en = format_datetime(at, "vi"), format_datetime(at, "en")
    if new > old:
        mark = station.alarm_levels[new - 1]
        headline_vi = f"{name}: mực nước {water_vi} m, vượt báo động {_ROMAN[new]}"
        headline_en = f"{name}: water level {water_en} m, above alarm level {_ROMAN[new]}"
        description_vi = (
            f"Lúc {when_vi} mực nước tại {name} lên {water_vi} m, đạt mức báo động "
            f"{_ROMAN[new]} ({_num(mark, 'vi')} m, hệ cao độ {station.datum})."
        )
        description_en = (
            f"At {when_en} the water level at {name} rose to {water_en} m, reaching alarm "
            f"level {_ROMAN[new]} ({_num(mark, 'en')} m, {station.datum} height datum)."
        )
    else:
        mark = station.alarm_levels[old - 1]
        now_vi = f"báo động {_ROMAN[new]}" if new else "dưới báo động I"
        now_en = f"alarm level {_ROMAN[new]}" if new else "below alarm level I"
        headline_vi = f"{name}: mực nước {water_vi} m, xuống {now_vi}"
        headline_en = f"{name}: water level {water_en} m, down to {now_en}"
        description_vi = (
            f"Lúc {when_vi} mực nước tại {name} xuống {water_vi} m, thấp hơn mức báo động "
            f"{_ROMAN[old]} ({_num(mark, 'vi')} m) quá {_num(hysteresis * 100, 'vi', 0)} cm."
        )
        description_en = (
            f"At {when_en} the water level at {name} fell to {water_en} m, more than "
            f"{_num(hysteresis * 100, 'en', 0)} cm below alarm level {_ROMAN[old]} "
            f"({_num(mark, 'en')} m)."
        )
    return RuleResult(
        rule_id=RULE_FLOOD_LEVEL,
        severity=_FLOOD_SEVERITY[new],
        subject=station.station,
        headline_vi=headline_vi,
        headline_en=headline_en,
        description_vi=description_vi,
        description_en=description_en,
        values=(TriggerValue(at, value, "water_level_m"),),
        source_vi=f"{station.source_vi}; độ trễ: mặc định của Nông Số",
        source_en=f"{station.source}; hysteresis: Nông Số platform default",
    )


# --------------------------------------------------------------------------------------------
# Rate of rise


def _station_vi(name: str) -> str:
    """«Trạm X», unless the name already says it is a station («Trạm đo mặn …», «Điểm đo …»)."""
    return name if fold(name).startswith(("tram ", "diem ")) else f"Trạm {name}"


def _station_en(name: str) -> str:
    return name if fold(name).startswith(("tram ", "diem ", "station ")) else f"Station {name}"


TIDE_PERIODS_H: Final = (12.4206, 23.9345)
"""The principal lunar semi-diurnal (M2) and lunisolar diurnal (K1) tides, in hours: the two
constituents that dominate the tide of the Mekong's branches."""


def _trend_without_tide(days: Sequence[float], levels: Sequence[float]) -> float:
    """The slope (per day) of a least-squares fit of ``level = a + b·t`` plus a sine and a
    cosine for each tide of :data:`TIDE_PERIODS_H`; a plain straight line when there are too
    few readings or too short a span (under a day) to tell the tide from the trend."""
    import numpy as np

    t = np.asarray(days, dtype=np.float64)
    y = np.asarray(levels, dtype=np.float64)
    columns = [np.ones_like(t), t]
    if len(t) >= 12 and t[-1] - t[0] >= 1.0:
        for period_h in TIDE_PERIODS_H:
            phase = 2 * math.pi * t * 24 / period_h
            columns += [np.sin(phase), np.cos(phase)]
    if len(columns) == 2:
        return float(statistics.linear_regression(list(t), list(y)).slope)
    coef, *_ = np.linalg.lstsq(np.column_stack(columns), y, rcond=None)
    return float(coef[1])


def rate_of_rise(
    station: str,
    readings: Iterable[Reading],
    *,
    window: timedelta,
    threshold_m_per_day: float,
) -> RuleResult | None:
    """An alert when the water rises faster than ``threshold_m_per_day`` over ``window``.

    Floods on the delta rise by centimetres a day, while the tide moves the level by more than
    5 cm an hour twice a day: the rate is a daily one, the least-squares trend (m/day) of the
    good water-level readings of the last ``window`` before the latest one, with the two main
    tidal constituents fitted and set aside (see :func:`_trend_without_tide`), over a window
    long enough to span several tides (two days by default). It needs at least three readings
    spanning half the window, else there is no result. Severity: minor above the threshold,
    moderate above twice it, severe above three times (a platform convention). The window and
    threshold are set by the province; no published default is assumed.
    """
    if window <= timedelta(0) or not _finite(threshold_m_per_day) or threshold_m_per_day <= 0:
        raise RuleError(
            "Cửa sổ thời gian và ngưỡng tốc độ phải dương.",
            "The window and the rate threshold must be positive.",
        )
    good = good_readings(readings, "water_level")
    if not good:
        return None
    end = good[-1][0]
    recent = [(at, v) for at, v in good if at >= end - window]
    if len(recent) < 3 or (end - recent[0][0]) < window / 2:
        return None
    days = [(at - recent[0][0]) / timedelta(days=1) for at, _ in recent]
    levels = [v for _, v in recent]
    slope = _trend_without_tide(days, levels)
    if slope <= threshold_m_per_day:
        return None
    ratio = slope / threshold_m_per_day
    severity: Severity = "severe" if ratio > 3 else "moderate" if ratio > 2 else "minor"
    hours_window = window / timedelta(hours=1)
    return RuleResult(
        rule_id=RULE_RATE_OF_RISE,
        severity=severity,
        subject=station,
        headline_vi=f"{station}: nước lên nhanh {_num(slope * 100, 'vi', 1)} cm/ngày",
        headline_en=f"{station}: water rising fast, {_num(slope * 100, 'en', 1)} cm/day",
        description_vi=(
            f"Trong {_num(hours_window, 'vi', 0)} giờ qua mực nước tại {station} lên trung bình "
            f"{_num(slope * 100, 'vi', 1)} cm/ngày, vượt ngưỡng "
            f"{_num(threshold_m_per_day * 100, 'vi', 1)} cm/ngày."
        ),
        description_en=(
            f"Over the last {_num(hours_window, 'en', 0)} hours the water level at {station} "
            f"rose by {_num(slope * 100, 'en', 1)} cm/day on average, above the threshold of "
            f"{_num(threshold_m_per_day * 100, 'en', 1)} cm/day."
        ),
        values=tuple(TriggerValue(at, v, "water_level_m") for at, v in recent),
        source_vi="Quy tắc của Nông Số; khoảng thời gian và ngưỡng do tỉnh đặt",
        source_en="Nông Số platform rule; window and threshold set by the province",
        onset=recent[0][0],
        expires=None,
    )


# --------------------------------------------------------------------------------------------
# Silence


def station_silence(
    station: str,
    readings: Iterable[Reading],
    now: datetime,
    max_silence: timedelta,
) -> RuleResult | None:
    """An alert when ``station`` has sent no reading for more than ``max_silence`` at ``now``.

    Any reading counts, whatever its quality or value (the station did report); readings
    stamped after ``now`` are ignored. A station that never reported is silent too.
    """
    _require_aware(now)
    if max_silence <= timedelta(0):
        raise RuleError("Thời gian im lặng phải dương.", "max_silence must be positive.")
    times = [at for at, *_ in readings]
    for at in times:
        _require_aware(at)
    past = [at for at in times if at <= now]
    last = max(past, default=None)
    if last is not None and now - last <= max_silence:
        return None
    limit_vi = _num(max_silence / timedelta(hours=1), "vi", 1)
    limit_en = _num(max_silence / timedelta(hours=1), "en", 1)
    if last is None:
        since_vi, since_en = "chưa từng gửi dữ liệu", "has never reported"
    else:
        since_vi = f"không gửi dữ liệu từ {format_datetime(last, 'vi')}"
        since_en = f"has sent nothing since {format_datetime(last, 'en')}"
    return RuleResult(
        rule_id=RULE_SILENCE,
        severity="minor",
        subject=station,
        headline_vi=f"{_station_vi(station)} mất tín hiệu",
        headline_en=f"{_station_en(station)} is silent",
        description_vi=f"{_station_vi(station)} {since_vi} (quá {limit_vi} giờ).",
        description_en=f"{_station_en(station)} {since_en} (more than {limit_en} hours).",
        values=(),
        source_vi="Quy tắc của Nông Số; thời gian im lặng tối đa đặt cho từng trạm",
        source_en="Nông Số platform rule; silence limit set per station",
        onset=last,
    )


# --------------------------------------------------------------------------------------------
# Brown planthopper light-trap peaks and the "né rầy" sowing window


@dataclass(frozen=True)
class TrapPeak:
    """A confirmed light-trap peak and the sowing window that follows it."""

    day: date
    count: float
    baseline: float
    confirmed_on: date
    sowing_start: date
    sowing_end: date


def _daily_counts(counts: Iterable[DailyCount]) -> dict[date, float]:
    by_day: dict[date, float] = {}
    trap_range = physical_range("light_trap_count")
    for day, value, *quality in counts:
        if isinstance(day, datetime):
            raise RuleError(
                "Số rầy vào đèn phải theo ngày (date), không theo thời điểm.",
                "Light-trap counts must be daily (a date, not a datetime).",
            )
        if (quality and quality[0] != "good") or value is None or not trap_range.contains(value):
            continue
        by_day[day] = by_day.get(day, 0.0) + float(value)
    return by_day


def bph_light_trap_peaks(
    counts: Iterable[DailyCount],
    *,
    min_count: float = 100,
    baseline_days: int = 14,
    baseline_ratio: float = 3.0,
    lookback_days: int = 10,
    confirm_days: int = 3,
    min_separation_days: int = 20,
    window_days: int = 7,
) -> list[TrapPeak]:
    """Peaks of brown planthopper (rầy nâu) in daily light-trap counts, oldest first.

    The rule (Mekong Delta practice: trap catches peak roughly monthly, one generation takes
    22–28 days in the delta; the province sows "right after the trap peak"). Day ``d`` is a
    peak when all of these hold:

    1. its count is at least ``min_count`` (a platform default of 100 insects a night, to tune
       per trap: no published trap figure is cited);
    2. it is the highest count of the ``lookback_days`` before it (strictly) and of the
       ``confirm_days`` after it (or equal to none of them): a local maximum;
    3. it is at least ``baseline_ratio`` times the baseline, the median count of the
       ``baseline_days`` before it (at least half of those days must have a count);
    4. it comes at least ``min_separation_days`` (default 20, below one 22–28-day generation)
       after the previous peak; a higher catch closer than that belongs to the same flight.

    A peak is confirmed ``confirm_days`` after it, once those days have counts (so that it
    is known to be the top). The "né rầy" sowing window is the ``window_days`` days after
    the confirmation: days 1–7 after it by default. Counts that are missing, not whole, below
    zero or flagged bad are left out; several counts of one day are added up.
    """
    if min(baseline_days, lookback_days, confirm_days, window_days) < 1 or min_count < 0:
        raise RuleError(
            "Các tham số về số ngày phải ≥ 1 và số rầy tối thiểu ≥ 0.",
            "Day counts must be at least 1 and the minimum count at least 0.",
        )
    by_day = _daily_counts(counts)
    peaks: list[TrapPeak] = []
    one = timedelta(days=1)
    for day in sorted(by_day):
        count = by_day[day]
        if count < min_count:
            continue
        if peaks and (day - peaks[-1].day).days < min_separation_days:
            continue
        before = [
            by_day[day - k * one] for k in range(1, lookback_days + 1) if day - k * one in by_day
        ]
        if any(c >= count for c in before):
            continue
        after_days = [day + k * one for k in range(1, confirm_days + 1)]
        if any(d not in by_day for d in after_days) or any(by_day[d] > count for d in after_days):
            continue
        history = [
            by_day[day - k * one] for k in range(1, baseline_days + 1) if day - k * one in by_day
        ]
        if len(history) * 2 < baseline_days:
            continue
        baseline = statistics.median(history)
        if count < baseline_ratio * baseline:
            continue
        confirmed = after_days[-1]
        peaks.append(
            TrapPeak(
                day=day,
                count=count,
                baseline=baseline,
                confirmed_on=confirmed,
                sowing_start=confirmed + one,
                sowing_end=confirmed + window_days * one,
            )
        )
    return peaks


def bph_sowing_advice(trap: str, peaks: Iterable[TrapPeak]) -> list[RuleResult]:
    """One ``info`` advisory per confirmed peak of :func:`bph_light_trap_peaks`, with the
    "né rầy" sowing window as ``onset``/``expires``."""
    results: list[RuleResult] = []
    for peak in peaks:
        start_vi, end_vi = format_date(peak.sowing_start), format_date(peak.sowing_end)
        results.append(
            RuleResult(
                rule_id=RULE_BPH_LIGHT_TRAP,
                severity="info",
                subject=trap,
                headline_vi=f"Đỉnh rầy nâu vào đèn {format_date(peak.day)}: gieo né rầy "
                f"từ {start_vi} đến {end_vi}",
                headline_en=f"Brown planthopper light-trap peak on {format_date(peak.day)}: "
                f"sow from {start_vi} to {end_vi}",
                description_vi=(
                    f"Bẫy đèn {trap} bắt {_num(peak.count, 'vi', 0)} con rầy nâu đêm "
                    f"{format_date(peak.day)} (nền {_num(peak.baseline, 'vi', 0)} con/đêm); "
                    f"đỉnh được xác nhận ngày {format_date(peak.confirmed_on)}. Gieo sạ đồng loạt "
                    f"né rầy từ {start_vi} đến {end_vi}. Lứa rầy kế tiếp sau khoảng 22–28 ngày."
                ),
                description_en=(
                    f"Light trap {trap} caught {_num(peak.count, 'en', 0)} brown planthoppers "
                    f"on the night of {format_date(peak.day)} (baseline "
                    f"{_num(peak.baseline, 'en', 0)} a night); the peak was confirmed on "
                    f"{format_date(peak.confirmed_on)}. Sow together, escaping the planthopper "
                    f"flight ('né rầy'), from {start_vi} to {end_vi}. The next generation "
                    "comes after about 22–28 days."
                ),
                values=(TriggerValue(peak.day, peak.count, "light_trap_count"),),
                source_vi=("Rầy nâu, «né rầy» (gieo sạ ngay sau đỉnh rầy vào đèn): "
                           f"{AGRONOMY_SOURCE_VI}"),
                source_en=("Brown planthopper, 'né rầy' (sow right after the trap peak): "
                           f"{AGRONOMY_SOURCE}"),
                onset=peak.sowing_start,
                expires=peak.sowing_end,
            )
        )
    return results


# --------------------------------------------------------------------------------------------
# Rice blast weather


class WeatherDay(NamedTuple):
    """One day's weather for the blast rule: the night minimum temperature (°C) and the
    relative humidity (%), mean or night, as the station provides."""

    day: date
    night_min_c: float | None
    humidity_pct: float | None


def _blast_day(
    w: tuple[date, float | None, float | None], t_low: float, t_high: float, rh_min: float
) -> bool:
    _, t, rh = w
    if t is None or rh is None or not (_finite(t) and _finite(rh)):
        return False
    if not (
        physical_range("air_temperature").contains(t)
        and physical_range("relative_humidity").contains(rh)
    ):
        return False
    return t_low <= t <= t_high and rh >= rh_min


def rice_blast_weather(
    place: str,
    days: Iterable[tuple[date, float | None, float | None]],
    *,
    min_days: int = 5,
    night_min_range_c: tuple[float, float] = (20.0, 26.0),
    min_humidity_pct: float = 90.0,
) -> list[RuleResult]:
    """Warnings for runs of at least ``min_days`` consecutive calendar days favouring rice
    blast (đạo ôn): night minimum 20–26 °C and relative humidity ≥ 90 % "for several
    days (about a week)". Days may be measured or forecast.

    A missing day, a missing or out-of-range value breaks a run. Severity: moderate, severe
    from 7 days (about a week). One result per run, oldest first, with the days listed.
    """
    if min_days < 1:
        raise RuleError("Số ngày tối thiểu phải ≥ 1.", "min_days must be at least 1.")
    t_low, t_high = night_min_range_c
    ordered = sorted(days, key=lambda w: w[0])
    runs: list[list[tuple[date, float, float]]] = []
    current: list[tuple[date, float, float]] = []
    for w in ordered:
        day, t, rh = w
        favourable = _blast_day(w, t_low, t_high, min_humidity_pct)
        if current and (not favourable or day != current[-1][0] + timedelta(days=1)):
            runs.append(current)
            current = []
        if favourable and t is not None and rh is not None:
            current.append((day, float(t), float(rh)))
    if current:
        runs.append(current)
    results: list[RuleResult] = []
    for run in runs:
        if len(run) < min_days:
            continue
        first, last = run[0][0], run[-1][0]
        listed = ", ".join(format_date(d) for d, _, _ in run)
        severity: Severity = "severe" if len(run) >= 7 else "moderate"
        values = tuple(
            value
            for d, t, rh in run
            for value in (
                TriggerValue(d, t, "night_min_temperature_c"),
                TriggerValue(d, rh, "relative_humidity_pct"),
            )
        )
        results.append(
            RuleResult(
                rule_id=RULE_RICE_BLAST,
                severity=severity,
                subject=place,
                headline_vi=f"{place}: thời tiết thuận lợi cho bệnh đạo ôn {len(run)} ngày liền",
                headline_en=f"{place}: rice blast weather for {len(run)} days in a row",
                description_vi=(
                    f"Các ngày {listed}: nhiệt độ thấp nhất ban đêm {_num(t_low, 'vi', 0)}–"
                    f"{_num(t_high, 'vi', 0)} °C và độ ẩm không khí ≥ "
                    f"{_num(min_humidity_pct, 'vi', 0)} %. Thăm đồng, hạn chế bón đạm, "
                    "phun thuốc khi bệnh xuất hiện trên giống nhiễm."
                ),
                description_en=(
                    f"Days {listed}: night minimum temperature {_num(t_low, 'en', 0)}–"
                    f"{_num(t_high, 'en', 0)} °C and relative humidity ≥ "
                    f"{_num(min_humidity_pct, 'en', 0)} %. Scout the fields, hold back "
                    "nitrogen, spray when the disease appears on susceptible varieties."
                ),
                values=values,
                source_vi=("Bệnh đạo ôn lúa (Pyricularia oryzae), thời tiết thuận lợi cho "
                           f"bệnh: {AGRONOMY_SOURCE_VI}"),
                source_en=("Rice blast (Pyricularia oryzae), weather favouring it: "
                           f"{AGRONOMY_SOURCE}"),
                onset=first,
                expires=last,
            )
        )
    return results
