"""The analytics: any data element or indicator for any periods and units, computed from the
data values as they are now (no analytics tables to rebuild: the values are kept up to date
as the diaries change)."""

from __future__ import annotations

from dataclasses import dataclass

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.stats import dimensions, formulas, periods
from nongso.stats.schemas import AnalyticsItem, AnalyticsResult
from nongso.stats.services import _store
from nongso.stats.services._common import Meta, commune_names, invalid, meta, province_name

HEADERS = ["dx", "pe", "ou", "value", "allocated", "approved"]
TOTAL = "total"


def _dimension_error(exc: dimensions.DimensionError) -> ValidationFailed:
    return ValidationFailed(exc.message_vi, exc.message_en,
                            [FieldError(exc.parameter, exc.message_vi, exc.message_en)])


@dataclass(frozen=True)
class _Row:
    dx: str
    code: str  # element or indicator
    coc: str
    indicator: bool


def _resolve_periods(m: Meta, texts: list[str], province: str) -> list[periods.Period]:
    out: list[periods.Period] = []
    cal = m.calendar(province)
    for text in texts:
        try:
            found = (periods.relative(text, clock.today_vn(), cal) if periods.is_relative(text)
                     else [periods.parse(text, cal)])
        except periods.PeriodError as exc:
            raise invalid("pe", exc.message_vi, exc.message_en) from exc
        for p in found:
            if p.id not in {q.id for q in out}:
                out.append(p)
    if len(out) > dimensions.MAX_PERIODS:
        raise invalid("pe", f"Tối đa {dimensions.MAX_PERIODS} kỳ.",
                      f"At most {dimensions.MAX_PERIODS} periods.")
    return out


def _rows(m: Meta, items: list[dimensions.DxItem], cube: _store.Cube, lang: str
          ) -> tuple[list[_Row], dict[str, AnalyticsItem]]:
    rows: list[_Row] = []
    names: dict[str, AnalyticsItem] = {}
    for item in items:
        if item.code in m.indicators:
            if item.coc or item.expand:
                raise invalid("dx", f"Chỉ số «{item.code}» không có phân tổ.",
                              f"Indicator '{item.code}' has no disaggregation.")
            ind = m.indicators[item.code]
            rows.append(_Row(item.code, item.code, "", True))
            names[item.code] = AnalyticsItem.model_construct(name=ind.name(lang), unit=ind.unit,
                                                             code=ind.code)
            continue
        if item.code not in m.elements:
            raise invalid("dx", f"Không có chỉ tiêu hay chỉ số «{item.code}».",
                          f"No data element or indicator '{item.code}'.")
        e = m.elements[item.code]
        if item.coc:
            m.check_coc(e, item.coc, "dx")
        cocs = (cube.cocs(e.code) if item.expand else [item.coc])
        for coc in cocs:
            dx = e.code + (f".{coc}" if coc else "")
            rows.append(_Row(dx, e.code, coc, False))
            label = e.name(lang) + (f" — {m.coc_name(e, coc, lang)}" if coc else "")
            names[dx] = AnalyticsItem.model_construct(name=label, unit=e.unit, code=e.code)
    return rows, names


def analytics(uow: UnitOfWork, dx: str | None, pe: str | None, ou: str | None, *,
              totals: bool = False, approved_only: bool = False, lang: str = "vi"
              ) -> AnalyticsResult:
    """DHIS2-like analytics: rows (dx, pe, ou, value, allocated, approved).

    Anonymous callers see approved values only. ``totals`` adds the total of each row over
    the periods (``pe=total``), over the units (``ou=total``) and both."""
    settings = get_settings()
    try:
        items = dimensions.parse_dx(dx)
        pe_texts = dimensions.parse_pe(pe)
        spec = dimensions.parse_ou(ou, settings.province_code)
    except dimensions.DimensionError as exc:
        raise _dimension_error(exc) from exc
    if not uow.principal.is_authenticated:
        approved_only = True
    provinces = set(spec.provinces) | set(spec.level_communes_of)
    with uow:
        s = uow.session
        m = meta(s)
        if not provinces:
            provinces = {settings.province_code}
        if len(provinces) > 1:
            raise invalid("ou", "Chỉ hỏi một tỉnh mỗi lần.", "Ask for one province at a time.")
        province = provinces.pop()
        communes = commune_names(uow, province)
        if not communes:
            raise invalid("ou", f"Không có tỉnh «{province}».", f"No province '{province}'.")
        for c in spec.communes:
            if c not in communes:
                raise invalid("ou", f"Xã «{c}» không thuộc tỉnh {province} (hoặc không còn từ "
                              "01/07/2025).", f"Commune '{c}' is not in province {province} "
                              "(or no longer exists since 1 July 2025).")
        units_out: list[tuple[str, set[str]]] = []
        if spec.level_communes_of:
            units_out += [(c, {c}) for c in communes]
        units_out += [(c, {c}) for c in spec.communes if (c, {c}) not in units_out]
        units_out += [(p, set(communes)) for p in spec.provinces]
        wanted = _resolve_periods(m, pe_texts, province)
        elements: set[str] = set()
        cocs: dict[str, set[str]] = {}
        everything: set[str] = set()  # elements asked for with all their disaggregations
        uses_previous = False
        for item in items:
            refs = m.indicators[item.code].formula.refs if item.code in m.indicators else (
                [formulas.Ref(item.code, "" if item.expand else item.coc)])
            for ref in refs:
                elements.add(ref.element)
                if ref.coc:
                    cocs.setdefault(ref.element, set()).add(ref.coc)
                else:
                    everything.add(ref.element)
            if item.code in m.indicators:
                uses_previous |= m.indicators[item.code].formula.uses_previous
        for e in everything:
            cocs.pop(e, None)
        cal = m.calendar(province)
        previous = {p.id: periods.previous_same(p, cal) for p in wanted} if uses_previous \
            else {}
        load = wanted + [p for p in previous.values() if p.id not in {w.id for w in wanted}]
        selected = set().union(*(cs for _, cs in units_out)) if units_out else set()
        cube = _store.load_cube(uow, s, m, province, elements, load, communes=selected,
                                approved_only=approved_only,
                                cocs=cocs if set(cocs) == elements else None)
        rows, names = _rows(m, items, cube, lang)

        def value_of(row: _Row, pes: list[str], cs: set[str]) -> tuple[float | None, bool, bool]:
            if not row.indicator:
                e = m.elements[row.code]
                if e.aggregation == "none" and (len(pes) > 1 or len(cs) > 1):
                    return None, False, False
                return cube.total(formulas.Ref(row.code, row.coc), pes, cs)
            flags = [False, True]

            def resolve(ref: formulas.Ref, offset: int) -> float | None:
                ids = pes if offset == 0 else [_shift(pid, offset, previous) for pid in pes]
                v, alloc, appr = cube.total(ref, [i for i in ids if i], cs)
                flags[0] |= alloc
                flags[1] &= appr
                return v

            ind = m.indicators[row.code]
            v = formulas.evaluate(ind.formula, resolve)
            return v, flags[0], flags[1]

        def decimals(row: _Row) -> int:
            return m.indicators[row.code].decimals if row.indicator \
                else m.elements[row.code].decimals + 2

        out: list[list[str | float | bool | None]] = []

        def emit(row: _Row, pe_id: str, ou_id: str, pes: list[str], cs: set[str]) -> None:
            v, alloc, appr = value_of(row, pes, cs)
            if v is not None:
                out.append([row.dx, pe_id, ou_id, round(v, decimals(row)), alloc, appr])

        for row in rows:
            for p in wanted:
                for ou_id, cs in units_out:
                    emit(row, p.id, ou_id, [p.id], cs)
            if totals:
                all_pes = [p.id for p in wanted]
                for ou_id, cs in units_out:
                    emit(row, TOTAL, ou_id, all_pes, cs)
                if len(units_out) > 1:
                    everyone = set().union(*(cs for _, cs in units_out))
                    for p in wanted:
                        emit(row, p.id, TOTAL, [p.id], everyone)
                    emit(row, TOTAL, TOTAL, all_pes, everyone)
        for p in wanted:
            names[p.id] = AnalyticsItem.model_construct(name=p.label(lang))
        for ou_id, _ in units_out:
            names[ou_id] = AnalyticsItem(
                name=communes[ou_id].name if ou_id in communes else province_name(uow, ou_id))
        if totals:
            names[TOTAL] = AnalyticsItem.model_construct(name="Tổng" if lang == "vi" else "Total")
        # Built from typed values above: no need to validate thousands of rows again.
        return AnalyticsResult.model_construct(
            headers=HEADERS, rows=out, items=names,
            dimensions={"dx": [r.dx for r in rows], "pe": [p.id for p in wanted],
                        "ou": [o for o, _ in units_out]},
            width=len(HEADERS), height=len(out))


def _shift(period_id: str, offset: int, previous: dict[str, periods.Period]) -> str:
    return previous[period_id].id if offset == -1 and period_id in previous else ""

