"""Compliance rules as data (pure): banned active ingredients, pre-harvest interval, label dose,
and the brown planthopper spray threshold by growth stage (an advisory warning, not a violation).

The rules and the banned list are files in ``diary/data/`` with their sources. A record that
breaks a rule is accepted as a true record and *flagged*; every flag carries the rule id, a
message in Vietnamese and English and the source it comes from.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from nongso.core.i18n import fold

VN = dt.timezone(dt.timedelta(hours=7))

ACTIVITY_KINDS: dict[str, tuple[str, str]] = {
    "land_prep": ("Làm đất", "Land preparation"),
    "sowing": ("Gieo sạ", "Sowing"),
    "planting": ("Trồng cây", "Planting"),
    "fertilising": ("Bón phân", "Fertilising"),
    "spraying": ("Phun thuốc", "Spraying"),
    "irrigation": ("Tưới nước", "Irrigation"),
    "scouting": ("Thăm đồng", "Scouting"),
    "pruning": ("Tỉa cành", "Pruning"),
    "harvest": ("Thu hoạch", "Harvest"),
    "drying": ("Phơi sấy", "Drying"),
    "sorting": ("Phân loại", "Sorting"),
    "milling": ("Xay xát", "Milling"),
    "packing": ("Đóng gói", "Packing"),
    "sale": ("Bán", "Sale"),
    "other": ("Khác", "Other"),
}
PROCESSING_KINDS = frozenset({"drying", "sorting", "milling", "packing"})
PRODUCE_KINDS = frozenset({"harvest"}) | PROCESSING_KINDS
INPUT_KINDS: dict[str, tuple[str, str]] = {
    "fertiliser": ("Phân bón", "Fertiliser"),
    "pesticide": ("Thuốc BVTV", "Pesticide"),
    "seed": ("Giống", "Seed"),
    "other": ("Vật tư khác", "Other input"),
}


def local_date(at: dt.datetime) -> dt.date:
    """The date in Vietnam (UTC+7) of a moment: the date a farmer writes."""
    return at.astimezone(VN).date()


# --- the rule catalogue ---------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    rule_id: str
    kind: str
    severity: str
    title_vi: str
    title_en: str
    source: str
    advice_vi: str = ""
    advice_en: str = ""
    source_en: str = ""


@dataclass(frozen=True)
class Plausibility:
    """What is plausible for a crop: the shortest sowing-to-harvest time and the yield range."""

    crop: str
    min_days_to_harvest: int | None
    min_t_per_ha: float | None
    max_t_per_ha: float | None
    single_harvest: bool
    source: str


@dataclass(frozen=True)
class BannedIngredient:
    name: str
    names: tuple[str, ...]  # normalised name and aliases
    group: str
    banned_from: dt.date | None  # None: banned on every date
    decision: str
    note: str
    source: str


def _data_rows(name: str) -> list[dict[str, str]]:
    with resources.files("nongso.diary").joinpath("data", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache
def rule_catalogue() -> dict[str, Rule]:
    return {r["rule_id"]: Rule(r["rule_id"], r["kind"], r["severity"], r["title_vi"],
                               r["title_en"], r["source"], r.get("advice_vi") or "",
                               r.get("advice_en") or "", r.get("source_en") or r["source"])
            for r in _data_rows("rules.csv")}


@lru_cache
def plausibility() -> dict[str, Plausibility]:
    """The plausibility bounds per crop (``data/plausibility.csv``, with sources)."""
    def num(text: str) -> float | None:
        return float(text) if text.strip() else None

    out = {}
    for r in _data_rows("plausibility.csv"):
        days = num(r["min_days_sowing_to_harvest"])
        out[r["crop"]] = Plausibility(
            r["crop"], int(days) if days is not None else None, num(r["min_t_per_ha"]),
            num(r["max_t_per_ha"]), r["single_harvest"] == "1", r["source"])
    return out


@dataclass(frozen=True)
class PestThreshold:
    """A pest's spray threshold in one growth stage of a crop, the stage given in days after
    sowing (``to_day`` None: until harvest); both bounds inclusive."""

    pest_code: str
    names: tuple[str, ...]  # normalised names the diary may hold
    crop: str
    stage: str
    stage_vi: str
    stage_en: str
    from_day: int
    to_day: int | None
    min_density_per_m2: float
    source: str


@lru_cache
def pest_thresholds() -> tuple[PestThreshold, ...]:
    """The spray thresholds per pest and growth stage (``data/pest_thresholds.csv``)."""
    out = []
    for r in _data_rows("pest_thresholds.csv"):
        names = tuple(dict.fromkeys(normalise_ingredient(n) for n in r["names"].split(";")
                                    if n.strip()))
        out.append(PestThreshold(
            r["pest_code"], names, r["crop"], r["stage"], r["stage_vi"], r["stage_en"],
            int(r["from_day"]), int(r["to_day"]) if r["to_day"].strip() else None,
            float(r["min_density_per_m2"]),
            f"{r['threshold_source']}; {r['stage_source']}"))
    return tuple(out)


def pest_code(name: str | None) -> str | None:
    """The code of a pest written in the diary ("Rầy nâu", "brown planthopper"…), if known."""
    if not name:
        return None
    text = normalise_ingredient(name)
    for t in pest_thresholds():
        if text in t.names:
            return t.pest_code
    return None


def pest_threshold_on(pest: str, crop: str | None, days_after_sowing: int
                      ) -> PestThreshold | None:
    """The threshold that applies to a pest on a crop that many days after sowing (None: no
    published threshold at that stage, e.g. rice before stem elongation)."""
    for t in pest_thresholds():
        if (t.pest_code == pest and t.crop == crop and days_after_sowing >= t.from_day
                and (t.to_day is None or days_after_sowing <= t.to_day)):
            return t
    return None


def normalise_ingredient(name: str) -> str:
    text = fold(name).replace("-", " ").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache
def banned_list() -> tuple[BannedIngredient, ...]:
    out = []
    for r in _data_rows("banned_pesticides.csv"):
        names = [r["active_ingredient"], *r["active_ingredient"].split("/")]
        names += [a for a in r["aliases"].split(";") if a.strip()]
        normalised = tuple(dict.fromkeys(normalise_ingredient(n) for n in names if n.strip()))
        out.append(BannedIngredient(
            name=r["active_ingredient"], names=normalised, group=r["group"],
            banned_from=dt.date.fromisoformat(r["use_banned_from"]) if r["use_banned_from"]
            else None, decision=r["decision"], note=r["note"], source=r["source"],
        ))
    return tuple(out)


# Words after an ingredient's name that still mean the same ingredient (salts, esters).
_SALT_WORDS = frozenset({
    "amine", "dimethylamine", "isopropylamine", "salt", "salts", "ester", "sodium",
    "potassium", "ammonium", "dichloride", "muoi", "dma", "ipa",
})


def match_banned(ingredient: str) -> BannedIngredient | None:
    """The banned entry an active ingredient name refers to (aliases and salt forms)."""
    name = normalise_ingredient(ingredient)
    for entry in banned_list():
        for banned in entry.names:
            if name == banned:
                return entry
            if name.startswith(banned + " "):
                rest = name[len(banned) + 1:].split()
                if rest and all(w in _SALT_WORDS for w in rest):
                    return entry
    return None


# --- facts the rules look at ----------------------------------------------------------------

@dataclass(frozen=True)
class InputFact:
    input_id: int
    name: str
    kind: str
    ingredients: tuple[str, ...] = ()
    phi_days: int | None = None
    label_max_per_ha_base: float | None = None  # kg or L per ha
    base_unit: str = "kg"
    dose_per_ha_base: float | None = None


@dataclass(frozen=True)
class ActivityFact:
    activity_id: int
    kind: str
    status: str
    at: dt.datetime
    inputs: tuple[InputFact, ...] = ()
    quantity_kg: float | None = None  # a harvest's weighed produce
    pest: str | None = None  # scouting: the pest as written, and its density
    density_per_m2: float | None = None


@dataclass(frozen=True)
class SeasonFact:
    """What the plausibility rules need to know of a season."""

    crop: str | None
    sowing_date: dt.date | None
    area_ha: float | None


@dataclass(frozen=True)
class FlagResult:
    activity_id: int
    rule_id: str
    severity: str
    message_vi: str
    message_en: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)


def _counted(a: ActivityFact) -> bool:
    return a.status != "planned"


def _fmt(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def _num(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class SafeDate:
    safe_from: dt.date
    pesticide: InputFact
    spray_activity_id: int
    spray_day: dt.date


def safe_harvest_dates(activities: Iterable[ActivityFact]) -> list[SafeDate]:
    """For every pesticide sprayed: the date from which harvesting is safe."""
    out = []
    for a in activities:
        if a.kind != "spraying" or not _counted(a):
            continue
        day = local_date(a.at)
        for i in a.inputs:
            if i.phi_days is not None:
                out.append(SafeDate(day + dt.timedelta(days=i.phi_days), i, a.activity_id, day))
    return out


def earliest_safe_harvest(activities: Iterable[ActivityFact]) -> dt.date | None:
    """The earliest date the plot may be harvested given every spray so far (None: no PHI)."""
    dates = [s.safe_from for s in safe_harvest_dates(activities)]
    return max(dates) if dates else None


def evaluate(activities: Sequence[ActivityFact], season: SeasonFact | None = None
             ) -> list[FlagResult]:
    """Every flag raised by a season's activities (planned tasks are not checked); with the
    season, the plausibility of its harvests too (a harvest too soon after sowing, a yield
    outside the crop's plausible t/ha)."""
    rules = rule_catalogue()
    flags: list[FlagResult] = []
    banned_rule = rules["banned-ingredient"]
    dose_rule = rules["dose-above-label"]
    phi_rule = rules["pre-harvest-interval"]
    for a in activities:
        if not _counted(a):
            continue
        day = local_date(a.at)
        for i in a.inputs:
            for ingredient in i.ingredients:
                entry = match_banned(ingredient)
                if entry is None or (entry.banned_from is not None and day < entry.banned_from):
                    continue
                since = _fmt(entry.banned_from) if entry.banned_from else None
                flags.append(FlagResult(
                    a.activity_id, banned_rule.rule_id, banned_rule.severity,
                    f"«{i.name}» chứa hoạt chất bị cấm {entry.name}"
                    + (f" (cấm sử dụng từ {since})" if since else " (cấm từ lâu)")
                    + f"; dùng ngày {_fmt(day)}.",
                    f"'{i.name}' contains the banned active ingredient {entry.name}"
                    + (f" (use banned from {since})" if since else " (long-standing ban)")
                    + f"; used on {_fmt(day)}.",
                    f"{entry.decision} — {banned_rule.source}",
                    {"input_id": i.input_id, "ingredient": ingredient,
                     "banned_ingredient": entry.name, "decision": entry.decision,
                     "banned_from": entry.banned_from.isoformat() if entry.banned_from else None},
                ))
            if (i.label_max_per_ha_base is not None and i.dose_per_ha_base is not None
                    and i.dose_per_ha_base > i.label_max_per_ha_base * (1 + 1e-9)):
                flags.append(FlagResult(
                    a.activity_id, dose_rule.rule_id, dose_rule.severity,
                    f"Liều «{i.name}» {_num(i.dose_per_ha_base)} {i.base_unit}/ha vượt mức tối "
                    f"đa trên nhãn {_num(i.label_max_per_ha_base)} {i.base_unit}/ha.",
                    f"Dose of '{i.name}' {_num(i.dose_per_ha_base)} {i.base_unit}/ha is above "
                    f"the label maximum {_num(i.label_max_per_ha_base)} {i.base_unit}/ha.",
                    dose_rule.source,
                    {"input_id": i.input_id, "dose_per_ha": round(i.dose_per_ha_base, 6),
                     "label_max_per_ha": i.label_max_per_ha_base, "unit": i.base_unit},
                ))
    sprays = safe_harvest_dates(activities)
    for a in activities:
        if a.kind != "harvest" or not _counted(a):
            continue
        day = local_date(a.at)
        # Only sprays on or before this harvest count (an orchard is picked many times).
        blocking = [s for s in sprays if s.safe_from > day and s.spray_day <= day]
        if not blocking:
            continue
        worst = max(blocking, key=lambda s: s.safe_from)
        safe, pesticide, spray_id = worst.safe_from, worst.pesticide, worst.spray_activity_id
        flags.append(FlagResult(
            a.activity_id, phi_rule.rule_id, phi_rule.severity,
            f"Thu hoạch ngày {_fmt(day)} trước ngày an toàn {_fmt(safe)} (thời gian cách ly "
            f"{pesticide.phi_days} ngày của «{pesticide.name}»).",
            f"Harvest on {_fmt(day)} before the safe date {_fmt(safe)} ({pesticide.phi_days}-day "
            f"pre-harvest interval of '{pesticide.name}').",
            phi_rule.source,
            {"input_id": pesticide.input_id, "spray_activity_id": spray_id,
             "phi_days": pesticide.phi_days, "safe_from": safe.isoformat()},
        ))
    if season is not None:
        flags += _plausibility_flags(activities, season)
        flags += pest_flags(activities, season)
    return flags


# Observations, not acts to confirm: a scouting record reporting a pest density is saved with its
# warning at once (no confirm_flags) and raises the pest alert; it never holds a lot.
OBSERVATION_RULES: frozenset[str] = frozenset({"pest-threshold-reached"})


def pest_flags(activities: Sequence[ActivityFact], season: SeasonFact) -> list[FlagResult]:
    """Scouting records whose pest density reaches the spray threshold of the crop's growth
    stage on that date: an advisory warning (spraying is justified), never a violation. Below
    the threshold, or at a stage without a published threshold, nothing is raised."""
    if season.sowing_date is None:
        return []
    rule = rule_catalogue()["pest-threshold-reached"]
    flags: list[FlagResult] = []
    for a in activities:
        if a.kind != "scouting" or not _counted(a) or a.density_per_m2 is None:
            continue
        code = pest_code(a.pest)
        if code is None:
            continue
        day = local_date(a.at)
        days = (day - season.sowing_date).days
        t = pest_threshold_on(code, season.crop, days)
        if t is None or a.density_per_m2 < t.min_density_per_m2:
            continue
        density, limit = _num(a.density_per_m2), _num(t.min_density_per_m2)
        flags.append(FlagResult(
            a.activity_id, rule.rule_id, rule.severity,
            f"«{a.pest}» {density} con/m² ngày {_fmt(day)} ({days} ngày sau sạ, giai đoạn "
            f"{t.stage_vi}) đạt ngưỡng phòng trừ {limit} con/m²: phun thuốc là hợp lý ở giai "
            "đoạn này.",
            f"'{a.pest}' at {density}/m² on {_fmt(day)} ({days} days after sowing, "
            f"{t.stage_en}) reaches the spray threshold of {limit}/m²: spraying is justified "
            "at this stage.",
            f"{t.source} — {rule.source}",
            {"pest": code, "density_per_m2": a.density_per_m2, "days_after_sowing": days,
             "stage": t.stage, "threshold_per_m2": t.min_density_per_m2, "crop": season.crop},
        ))
    return flags


def _plausibility_flags(activities: Sequence[ActivityFact], season: SeasonFact
                        ) -> list[FlagResult]:
    bounds = plausibility().get(season.crop or "")
    if bounds is None:
        return []
    rules = rule_catalogue()
    early_rule, yield_rule = rules["harvest-too-early"], rules["yield-implausible"]
    flags: list[FlagResult] = []
    harvests = sorted((a for a in activities if a.kind == "harvest" and _counted(a)),
                      key=lambda a: (a.at, a.activity_id))
    total_kg = 0.0
    for a in harvests:
        day = local_date(a.at)
        if bounds.min_days_to_harvest is not None and season.sowing_date is not None:
            days = (day - season.sowing_date).days
            if days < bounds.min_days_to_harvest:
                flags.append(FlagResult(
                    a.activity_id, early_rule.rule_id, early_rule.severity,
                    f"Thu hoạch {days} ngày sau gieo sạ ({_fmt(season.sowing_date)}); "
                    f"{season.crop} cần ít nhất {bounds.min_days_to_harvest} ngày.",
                    f"Harvest {days} days after sowing ({_fmt(season.sowing_date)}); "
                    f"{season.crop} needs at least {bounds.min_days_to_harvest} days.",
                    f"{bounds.source} — {early_rule.source}",
                    {"days_after_sowing": days, "min_days": bounds.min_days_to_harvest,
                     "crop": season.crop},
                ))
        total_kg += a.quantity_kg or 0.0
        if not season.area_ha or not a.quantity_kg:
            continue
        t_ha = total_kg / 1000 / season.area_ha
        too_high = bounds.max_t_per_ha is not None and t_ha > bounds.max_t_per_ha
        too_low = (bounds.single_harvest and bounds.min_t_per_ha is not None
                   and t_ha < bounds.min_t_per_ha)
        if too_high or too_low:
            lo, hi = _num(bounds.min_t_per_ha or 0), _num(bounds.max_t_per_ha or 0)
            flags.append(FlagResult(
                a.activity_id, yield_rule.rule_id, yield_rule.severity,
                f"Năng suất {_num(round(t_ha, 2))} tấn/ha ({_num(total_kg)} kg trên "
                f"{_num(season.area_ha)} ha) ngoài khoảng hợp lý {lo}–{hi} tấn/ha của "
                f"{season.crop}.",
                f"Yield {_num(round(t_ha, 2))} t/ha ({_num(total_kg)} kg on "
                f"{_num(season.area_ha)} ha) is outside the plausible {lo}–{hi} t/ha of "
                f"{season.crop}.",
                f"{bounds.source} — {yield_rule.source}",
                {"t_per_ha": round(t_ha, 3), "min_t_per_ha": bounds.min_t_per_ha,
                 "max_t_per_ha": bounds.max_t_per_ha, "crop": season.crop},
            ))
    return flags
