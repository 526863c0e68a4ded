"""Data quality: validation rules (data, checked before approval) and outliers (z-score,
modified z-score, min–max, the same season in earlier years, neighbouring communes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import formulas, outliers, periods
from nongso.stats.schemas import FindingPublic, OutlierPublic, ViolationPublic
from nongso.stats.services import _store
from nongso.stats.services._common import (
    Meta,
    RuleMeta,
    commune_names,
    invalid,
    meta,
    parse_period,
)
from nongso.units.schemas import UnitPublic

HISTORY_YEARS = 5
COMMUNE_AREA = "commune_area_ha"


@dataclass(frozen=True)
class _Rule:
    rule: RuleMeta
    left: formulas.Formula | None
    right: formulas.Formula | None
    bounds: tuple[float, float] | None
    constant: float | None


def _expression(text: str) -> formulas.Formula | None:
    try:
        return formulas.compile_formula(text)
    except formulas.FormulaError:
        return None


def _compile(rule: RuleMeta) -> _Rule:
    bounds = constant = None
    right = None
    if rule.operator == "between":
        low, _, high = rule.right.partition(";")
        bounds = (float(low), float(high))
    else:
        right = _expression(rule.right)
        if right is None:
            constant = float(rule.right)
    return _Rule(rule, _expression(rule.left), right, bounds, constant)


def check_rules(m: Meta, dataset: str, resolve: formulas.Resolver, lang: str,
                org_unit: str | None = None) -> list[ViolationPublic]:
    """The rules of a dataset that the values break (rules that cannot be evaluated because
    a value is missing are skipped: a blank is not an error)."""
    out = []
    for rule in m.rules:
        if rule.dataset != dataset:
            continue
        r = _compile(rule)
        left = formulas.evaluate(r.left, resolve) if r.left is not None else None
        if left is None:
            continue
        right: float | None
        if r.bounds is not None:
            ok = r.bounds[0] <= left <= r.bounds[1]
            right = r.bounds[0] if left < r.bounds[0] else r.bounds[1]
        else:
            right = formulas.evaluate(r.right, resolve) if r.right is not None else r.constant
            if right is None:
                continue
            tol = abs(right) * rule.tolerance_pct / 100 + 1e-9
            ok = {"<=": left <= right + 1e-9, ">=": left >= right - 1e-9, "<": left < right,
                  ">": left > right, "==": abs(left - right) <= 1e-9,
                  "~=": abs(left - right) <= tol}.get(rule.operator, True)
        if not ok:
            out.append(ViolationPublic(
                rule=rule.code, name=rule.name_vi if lang == "vi" else rule.name_en,
                importance=rule.importance, operator=rule.operator, left=round(left, 4),
                right=round(right, 4), org_unit=org_unit))
    return out


def resolver(cube: _store.Cube, period: str, commune: UnitPublic,
             previous: str | None = None) -> formulas.Resolver:
    def resolve(ref: formulas.Ref, offset: int) -> float | None:
        if ref.element == COMMUNE_AREA:
            return commune.area_km2 * 100 if commune.area_km2 else None
        pe = period if offset == 0 else previous
        if pe is None:
            return None
        return cube.total(ref, [pe], [commune.code])[0]
    return resolve


def rule_elements(m: Meta, dataset: str) -> set[str]:
    out = set(m.datasets[dataset].elements) if dataset in m.datasets else set()
    for rule in m.rules:
        if rule.dataset == dataset:
            r = _compile(rule)
            for f in (r.left, r.right):
                if f is not None:
                    out |= {ref.element for ref in f.refs if ref.element != COMMUNE_AREA}
    return out


def validate(uow: UnitOfWork, dataset: str, period: str, province_code: str | None = None,
             lang: str = "vi") -> list[ViolationPublic]:
    """Every commune's violations of the dataset's rules for a period."""
    province = province_code or get_settings().province_code
    with uow:
        s = uow.session
        m = meta(s)
        d = m.dataset(dataset)
        p = parse_period(m, period, province)
        communes = commune_names(uow, province)
        cube = _store.load_cube(uow, s, m, province, rule_elements(m, d.code), [p])
        found = {c for (_e, _p, c) in cube.data}
        out: list[ViolationPublic] = []
        for code in sorted(found):
            if code in communes:
                out += check_rules(m, d.code, resolver(cube, p.id, communes[code]), lang, code)
        return out


# --- outliers -----------------------------------------------------------------------------------


def _history(m: Meta, p: periods.Period, province: str) -> list[periods.Period]:
    cal = m.calendar(province)
    out = []
    q = p
    for _ in range(HISTORY_YEARS):
        q = periods.previous_same(q, cal)
        out.append(q)
    return out


def _item_values(m: Meta, cube: _store.Cube, item: str, coc: str, period: str,
                 communes: Sequence[str], previous: dict[str, str]) -> dict[str, float]:
    out = {}
    for c in communes:
        if item in m.indicators:
            f = m.indicators[item].formula

            def resolve(ref: formulas.Ref, offset: int, c: str = c) -> float | None:
                pe = period if offset == 0 else previous.get(period)
                return cube.total(ref, [pe], [c])[0] if pe else None

            v = formulas.evaluate(f, resolve)
        else:
            v = cube.total(formulas.Ref(item, coc), [period], [c])[0]
        if v is not None:
            out[c] = v
    return out


def _intensive(m: Meta, item: str) -> bool:
    if item in m.indicators:
        return True
    e = m.elements[item]
    return "/" in e.unit or e.aggregation == "none"


def find_outliers(uow: UnitOfWork, s: Session, m: Meta, province: str, p: periods.Period,
                  items: Sequence[tuple[str, str]], lang: str) -> list[OutlierPublic]:
    """Outliers of these (item, disaggregation) pairs in a period, over the province's
    communes."""
    communes = commune_names(uow, province)
    points = {c.code: (c.lon, c.lat) for c in communes.values()
              if c.lon is not None and c.lat is not None}
    near = outliers.nearest(points)
    history = _history(m, p, province)
    cal = m.calendar(province)
    wanted = [p, *history]
    previous = {q.id: periods.previous_same(q, cal).id for q in wanted}
    elements: set[str] = set()
    for item, _coc in items:
        if item in m.indicators:
            elements |= {r.element for r in m.indicators[item].formula.refs}
        else:
            elements.add(item)
    if any(item in m.indicators and m.indicators[item].formula.uses_previous
           for item, _ in items):
        wanted += [periods.previous_same(history[-1], cal)]
    cube = _store.load_cube(uow, s, m, province, elements, wanted)
    codes = sorted(communes)
    out: list[OutlierPublic] = []
    for item, coc in items:
        now = _item_values(m, cube, item, coc, p.id, codes, previous)
        past = [_item_values(m, cube, item, coc, q.id, codes, previous) for q in history]
        bound = m.bound(item, coc)
        cands = [outliers.Candidate(
            key=c, value=v, history=[h[c] for h in past if c in h],
            neighbours=[now[n] for n in near.get(c, []) if n in now],
            low=bound[0] if bound else None, high=bound[1] if bound else None)
            for c, v in now.items()]
        found = outliers.detect(cands, intensive=_intensive(m, item))
        name = (m.indicators[item].name(lang) if item in m.indicators
                else m.elements[item].name(lang))
        if coc and item in m.elements:
            name += f" — {m.coc_name(m.elements[item], coc, lang)}"
        for cand in cands:
            findings = found[cand.key]
            if not findings:
                continue
            baseline = next((f.expected for f in findings
                             if f.method in ("history", "neighbours", "modified_zscore")), None)
            if baseline is None and bound:
                baseline = (bound[0] + bound[1]) / 2
            out.append(OutlierPublic(
                item=item, item_name=name, coc=coc, period=p.id, org_unit=str(cand.key),
                org_unit_name=communes[str(cand.key)].name, value=round(cand.value, 4),
                findings=[FindingPublic(method=f.method,
                                        score=round(f.score, 2) if f.score is not None
                                        and abs(f.score) != float("inf") else None,
                                        expected=round(f.expected, 4)
                                        if f.expected is not None else None)
                          for f in findings],
                likely_meant=outliers.likely_slip(cand.value, baseline)))
    return out


def scan_items(m: Meta, dataset: str, cube_cocs: dict[str, list[str]]) -> list[tuple[str, str]]:
    """What a dataset's outlier scan looks at: each element and disaggregation with values,
    and the indicators built only on the dataset's elements."""
    d = m.datasets[dataset]
    items: list[tuple[str, str]] = []
    for e in d.elements:
        items += [(e, coc) for coc in cube_cocs.get(e, [])]
    for code, ind in m.indicators.items():
        refs = {r.element for r in ind.formula.refs}
        if refs <= set(d.elements) and not ind.formula.uses_previous:
            items.append((code, ""))
    return items


def outliers_scan(uow: UnitOfWork, dataset: str, period: str,
                  province_code: str | None = None, lang: str = "vi") -> list[OutlierPublic]:
    """The outliers of a dataset's values for a period across the province's communes."""
    province = province_code or get_settings().province_code
    with uow:
        s = uow.session
        m = meta(s)
        d = m.dataset(dataset)
        p = parse_period(m, period, province)
        if p.type != d.period_type:
            raise invalid("period", f"Biểu «{d.code}» báo cáo theo kỳ {d.period_type}.",
                          f"Dataset '{d.code}' is reported by {d.period_type}.")
        present = _store.load_cube(uow, s, m, province, set(d.elements), [p])
        items = scan_items(m, d.code, {e: present.cocs(e) for e in d.elements})
        return find_outliers(uow, s, m, province, p, items, lang)


def refuse_violations(vi: list[ViolationPublic], en: list[ViolationPublic]) -> None:
    """Approval is refused while a rule of high importance is broken (medium ones warn)."""
    pairs = [(a, b) for a, b in zip(vi, en, strict=True) if a.importance == "high"]
    if pairs:
        raise ValidationFailed(
            "Số liệu vi phạm quy tắc kiểm tra; sửa trước khi phê duyệt.",
            "The values break validation rules; correct them before approving.",
            [FieldError(a.rule, f"{a.name}: {a.left} so với {a.right}",
                        f"{b.name}: {b.left} against {b.right}") for a, b in pairs])
