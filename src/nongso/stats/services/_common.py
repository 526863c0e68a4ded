"""What the statistics use cases share: the metadata snapshot, permissions, units."""

from __future__ import annotations

import csv
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from nongso.core.errors import FieldError, PermissionDenied, ValidationFailed
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.stats import formulas, periods
from nongso.stats.models import (
    Bound,
    CategoryOption,
    DataElement,
    Dataset,
    Indicator,
    SeasonCalendar,
    Target,
    ValidationRule,
)
from nongso.units import services as units
from nongso.units.schemas import UnitPublic

OFFICERS = ("admin", "province_officer", "commune_officer")
AUTOMATIC = ("diary", "registry", "alerts", "trace")


def invalid(loc: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError(loc, vi, en)])


# --- reference data ----------------------------------------------------------------------------


def _rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files("nongso.stats").joinpath("data", name).open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_reference_data(s: Session) -> int:
    """Insert the shipped metadata that is missing (by code); returns rows inserted."""
    inserted = 0

    def missing(model: Any, key: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        have = set(s.scalars(select(getattr(model, key))).all())
        return [r for r in rows if r[key] not in have]

    elements = [dict(code=r["code"], name_vi=r["name_vi"], name_en=r["name_en"], unit=r["unit"],
                     aggregation=r["aggregation"],
                     categories=[c for c in r["categories"].split(";") if c],
                     period_type=r["period_type"], source=r["source"], dataset=r["dataset"],
                     decimals=int(r["decimals"]), description_vi=r["description_vi"] or None,
                     description_en=r["description_en"] or None, builtin=True)
                for r in _rows("data_elements.csv")]
    indicators = [dict(code=r["code"], name_vi=r["name_vi"], name_en=r["name_en"],
                       unit=r["unit"], expression=r["expression"], decimals=int(r["decimals"]),
                       description_vi=r["description_vi"] or None,
                       description_en=r["description_en"] or None, builtin=True)
                  for r in _rows("indicators.csv")]
    datasets = [dict(code=r["code"], name_vi=r["name_vi"], name_en=r["name_en"],
                     period_type=r["period_type"], approval_steps=int(r["approval_steps"]),
                     due_days=int(r["due_days"]), expected_when=r["expected_when"],
                     season_kinds=r["season_kinds"] or None) for r in _rows("datasets.csv")]
    rules = [dict(code=r["code"], dataset=r["dataset"], name_vi=r["name_vi"],
                  name_en=r["name_en"], left=r["left"], operator=r["operator"],
                  right=r["right"], tolerance_pct=float(r["tolerance_pct"]),
                  importance=r["importance"]) for r in _rows("validation_rules.csv")]
    targets = [dict(code=r["code"], sort=int(r["sort"]), name_vi=r["name_vi"],
                    name_en=r["name_en"], unit=r["unit"], provider=r["provider"],
                    goals=json.loads(r["goals"]), source=r["source"])
               for r in _rows("targets.csv")]
    for model, key, rows in ((DataElement, "code", elements), (Indicator, "code", indicators),
                             (Dataset, "code", datasets), (ValidationRule, "code", rules),
                             (Target, "code", targets)):
        new = missing(model, key, rows)
        if new:
            s.execute(insert(model), new)
            inserted += len(new)
    have_opts = {(a, b) for a, b in s.execute(
        select(CategoryOption.category, CategoryOption.code)).all()}
    opts = [dict(category=r["category"], code=r["code"], name_vi=r["name_vi"],
                 name_en=r["name_en"], sort=int(r["sort"])) for r in _rows("category_options.csv")
            if (r["category"], r["code"]) not in have_opts]
    have_bounds = {(a, b) for a, b in s.execute(select(Bound.item, Bound.coc)).all()}
    bounds = [dict(item=r["item"], coc=r["coc"], min_value=float(r["min_value"]),
                   max_value=float(r["max_value"]), source=r["source"])
              for r in _rows("bounds.csv") if (r["item"], r["coc"]) not in have_bounds]
    have_cal = {(a, b) for a, b in s.execute(
        select(SeasonCalendar.province_code, SeasonCalendar.kind)).all()}
    cals = [dict(province_code=r["province_code"], kind=r["kind"],
                 start_month=int(r["start_month"]), start_day=int(r["start_day"]),
                 end_month=int(r["end_month"]), end_day=int(r["end_day"]),
                 end_year_offset=int(r["end_year_offset"]), source=r["source"])
            for r in _rows("season_calendars.csv")
            if (r["province_code"], r["kind"]) not in have_cal]
    extra: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
        (CategoryOption, opts), (Bound, bounds), (SeasonCalendar, cals))
    for table, rows in extra:
        if rows:
            s.execute(insert(table), rows)
            inserted += len(rows)
    return inserted


def ensure_reference_data(s: Session) -> None:
    """Load the shipped metadata on a database that has none yet (a fresh installation)."""
    if s.scalar(select(func.count()).select_from(DataElement)) == 0:
        load_reference_data(s)


# --- the metadata snapshot ---------------------------------------------------------------------


@dataclass(frozen=True)
class ElementMeta:
    code: str
    name_vi: str
    name_en: str
    unit: str
    aggregation: str
    categories: tuple[str, ...]
    period_type: str
    source: str
    dataset: str
    decimals: int

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en

    @property
    def automatic(self) -> bool:
        return self.source in AUTOMATIC


@dataclass(frozen=True)
class IndicatorMeta:
    code: str
    name_vi: str
    name_en: str
    unit: str
    formula: formulas.Formula
    decimals: int

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class DatasetMeta:
    code: str
    name_vi: str
    name_en: str
    period_type: str
    approval_steps: int
    due_days: int
    expected_when: str
    season_kinds: tuple[str, ...]
    elements: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class RuleMeta:
    """A validation rule as plain data (the metadata is kept between units of work)."""

    code: str
    dataset: str
    name_vi: str
    name_en: str
    left: str
    operator: str
    right: str
    tolerance_pct: float
    importance: str


@dataclass
class Meta:
    elements: dict[str, ElementMeta]
    options: dict[str, dict[str, tuple[str, str]]]
    indicators: dict[str, IndicatorMeta]
    datasets: dict[str, DatasetMeta]
    rules: list[RuleMeta]
    bounds: dict[tuple[str, str], tuple[float, float]]
    calendars: dict[str, dict[str, periods.Window]] = field(default_factory=dict)

    def calendar(self, province_code: str) -> dict[str, periods.Window]:
        merged = dict(periods.DEFAULT_CALENDAR)
        merged.update(self.calendars.get("*", {}))
        merged.update(self.calendars.get(province_code, {}))
        return merged

    def element(self, code: str, loc: str = "element") -> ElementMeta:
        e = self.elements.get(code)
        if e is None:
            raise invalid(loc, f"Chỉ tiêu «{code}» không tồn tại.",
                          f"Unknown data element '{code}'.")
        return e

    def dataset(self, code: str, loc: str = "dataset") -> DatasetMeta:
        d = self.datasets.get(code)
        if d is None:
            raise invalid(loc, f"Biểu báo cáo «{code}» không tồn tại.",
                          f"Unknown dataset '{code}'.")
        return d

    def cocs(self, element: ElementMeta) -> list[str]:
        """Every disaggregation of an element ("" when it has none)."""
        if not element.categories:
            return [""]
        lists = [list(self.options.get(c, {})) for c in element.categories]
        return [".".join(combo) for combo in itertools.product(*lists)]

    def coc_name(self, element: ElementMeta, coc: str, lang: str) -> str:
        if not coc:
            return ""
        parts = coc.split(".")
        names = []
        for category, option in zip(element.categories, parts, strict=False):
            vi_en = self.options.get(category, {}).get(option)
            names.append(vi_en[0 if lang == "vi" else 1] if vi_en else option)
        return ", ".join(names)

    def check_coc(self, element: ElementMeta, coc: str, loc: str = "coc") -> None:
        parts = coc.split(".") if coc else []
        if len(parts) != len(element.categories):
            raise invalid(loc, f"Chỉ tiêu «{element.code}» cần phân tổ theo "
                          f"{', '.join(element.categories) or '(không phân tổ)'}.",
                          f"Data element '{element.code}' is disaggregated by "
                          f"{', '.join(element.categories) or '(nothing)'}.")
        for category, option in zip(element.categories, parts, strict=True):
            if option not in self.options.get(category, {}):
                raise invalid(loc, f"Phân tổ «{option}» không có trong danh mục «{category}».",
                              f"Option '{option}' is not in category '{category}'.")

    def bound(self, item: str, coc: str) -> tuple[float, float] | None:
        return self.bounds.get((item, coc)) or self.bounds.get((item, ""))


_FINGERPRINT = text(
    "SELECT (SELECT count(*) FROM stats_data_elements), (SELECT max(id) FROM "
    "stats_data_elements), (SELECT count(*) FROM stats_indicators), (SELECT max(id) FROM "
    "stats_indicators), (SELECT count(*) FROM stats_category_options), (SELECT count(*) FROM "
    "stats_datasets), (SELECT count(*) FROM stats_validation_rules), (SELECT count(*) FROM "
    "stats_bounds), (SELECT count(*) FROM stats_season_calendars), (SELECT value FROM "
    "stats_state WHERE key = 'meta_version')")
_cache: dict[object, tuple[tuple[Any, ...], Meta]] = {}
_cache_lock = threading.Lock()


def bump_meta_version(s: Session) -> None:
    """Mark the metadata as changed (an edit that keeps the tables' counts)."""
    from nongso.stats.models import State

    row = s.get(State, "meta_version")
    if row is None:
        s.add(State(key="meta_version", value="1"))
    else:
        row.value = str(int(row.value) + 1)


def meta(s: Session) -> Meta:
    """The metadata as it is now (a few small tables), kept in memory while one cheap query
    says the tables have not changed."""
    ensure_reference_data(s)
    bind = s.get_bind()
    key = getattr(bind, "url", bind)
    fingerprint = tuple(s.execute(_FINGERPRINT).one())
    with _cache_lock:
        cached = _cache.get(str(key))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
    fresh = _load_meta(s)
    with _cache_lock:
        _cache[str(key)] = (fingerprint, fresh)
    return fresh


def _load_meta(s: Session) -> Meta:
    options: dict[str, dict[str, tuple[str, str]]] = {}
    for o in s.scalars(select(CategoryOption).order_by(CategoryOption.category,
                                                       CategoryOption.sort, CategoryOption.id)):
        options.setdefault(o.category, {})[o.code] = (o.name_vi, o.name_en)
    elements = {e.code: ElementMeta(e.code, e.name_vi, e.name_en, e.unit, e.aggregation,
                                    tuple(e.categories or ()), e.period_type, e.source,
                                    e.dataset, e.decimals)
                for e in s.scalars(select(DataElement).order_by(DataElement.id))}
    indicators = {}
    for i in s.scalars(select(Indicator).order_by(Indicator.id)):
        indicators[i.code] = IndicatorMeta(i.code, i.name_vi, i.name_en, i.unit,
                                           formulas.compile_formula(i.expression), i.decimals)
    datasets = {d.code: DatasetMeta(
        d.code, d.name_vi, d.name_en, d.period_type, d.approval_steps, d.due_days,
        d.expected_when, tuple(k for k in (d.season_kinds or "").split(";") if k),
        tuple(e.code for e in elements.values() if e.dataset == d.code))
        for d in s.scalars(select(Dataset).order_by(Dataset.id))}
    calendars: dict[str, dict[str, periods.Window]] = {}
    for c in s.scalars(select(SeasonCalendar)):
        calendars.setdefault(c.province_code, {})[c.kind] = periods.Window(
            c.kind, c.start_month, c.start_day, c.end_month, c.end_day, c.end_year_offset)
    return Meta(
        elements=elements, options=options, indicators=indicators, datasets=datasets,
        rules=[RuleMeta(r.code, r.dataset, r.name_vi, r.name_en, r.left, r.operator, r.right,
                        r.tolerance_pct, r.importance)
               for r in s.scalars(select(ValidationRule).order_by(ValidationRule.id))],
        bounds={(b.item, b.coc): (b.min_value, b.max_value) for b in s.scalars(select(Bound))},
        calendars=calendars)


def parse_period(m: Meta, text: str, province_code: str, loc: str = "period"
                 ) -> periods.Period:
    try:
        return periods.parse(text, m.calendar(province_code))
    except periods.PeriodError as exc:
        raise invalid(loc, exc.message_vi, exc.message_en) from exc


# --- permissions and units ----------------------------------------------------------------------


def province_of(p: Principal, default: str) -> str:
    """The province a principal works in (their scope), or the installation's."""
    if p.role == "commune_officer" and p.province_code:
        return p.province_code
    if p.role in ("province_officer", "inspector") and p.unit_code:
        return p.unit_code
    return default


def require_officer(p: Principal) -> None:
    require_login(p)
    if p.role not in OFFICERS:
        raise PermissionDenied("Chỉ cán bộ xã, tỉnh mới làm được việc này.",
                               "Only commune and province officers may do this.")


def require_commune_writer(p: Principal, commune: UnitPublic) -> None:
    """A commune's data: its commune officers, its province's officers, admins."""
    require_officer(p)
    if not p.covers_unit(commune.code, commune.province_code):
        raise deny()


def require_province_officer(p: Principal, province_code: str) -> None:
    require_login(p)
    if p.role not in ("admin", "province_officer"):
        raise PermissionDenied("Chỉ cán bộ tỉnh mới làm được việc này.",
                               "Only province officers may do this.")
    if not p.covers_unit(None, province_code):
        raise deny()


def commune(uow: UnitOfWork, code: str, loc: str = "org_unit") -> UnitPublic:
    """A 2025 commune, or a validation error naming the field."""
    return units.require_commune(uow, code, loc)


def province_name(uow: UnitOfWork, code: str) -> str:
    return units.get_unit(uow, code).name


def commune_names(uow: UnitOfWork, province_code: str) -> dict[str, UnitPublic]:
    return {c.code: c for c in units.communes_of_province(uow, province_code)}
