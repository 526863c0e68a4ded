"""Periods (pure): days, ISO weeks, months, quarters, years and crop seasons as a period type
of their own, including seasons that cross a calendar year.

Identifiers (as in the API's ``pe=`` and in stored values)::

    20260315            day
    2026W11             ISO week
    202603              month
    2026Q1              quarter
    2026                year
    dong_xuan:2025-2026 season (the farm diary's season key): Đông Xuân 2025-2026
    he_thu:2026         Hè Thu 2026; thu_dong:2026 or thu_dong:2026-2027; nien_vu:2026

A season's dates come from the province's season calendar (data: ``stats_season_calendars``);
a season counts in the calendar year in which it ends, as the province's yearly figures are
compiled ("năm 2026" = Đông Xuân 2025-2026 + Hè Thu 2026 + Thu Đông 2026).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from nongso.core.i18n import fold

# The two-level administrative units took effect on this day: figures of earlier periods
# were reported by the legacy communes.
REFORM_DATE = dt.date(2025, 7, 1)

PERIOD_TYPES = ("day", "week", "month", "quarter", "year", "season")

SEASON_KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (Vietnamese, English, short)
    "dong_xuan": ("Đông Xuân", "Winter–spring", "ĐX"),
    "he_thu": ("Hè Thu", "Summer–autumn", "HT"),
    "thu_dong": ("Thu Đông", "Autumn–winter", "TĐ"),
    "xuan_he": ("Xuân Hè", "Spring–summer", "XH"),
    "nien_vu": ("Niên vụ", "Crop year", "NV"),
}
# The rice seasons of the delta, in the order they start within a crop year.
RICE_SEASONS = ("he_thu", "thu_dong", "dong_xuan")
# Seasons that always cross a year (their identifier carries both years).
CROSSING = frozenset({"dong_xuan"})


class PeriodError(ValueError):
    """A period that cannot be read; carries vi and en messages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Window:
    """When a kind of season runs: from (month, day) of its first year to (month, day) of its
    first year + ``end_year_offset`` (data of the province's calendar)."""

    kind: str
    start_month: int
    start_day: int
    end_month: int
    end_day: int
    end_year_offset: int = 0


# The Mekong Delta's usual calendar (../shared reference "Seasons"): used when a province has
# not stored its own.
DEFAULT_CALENDAR: dict[str, Window] = {
    "dong_xuan": Window("dong_xuan", 11, 1, 4, 30, 1),
    "he_thu": Window("he_thu", 4, 1, 8, 31, 0),
    "thu_dong": Window("thu_dong", 8, 1, 12, 31, 0),
    "xuan_he": Window("xuan_he", 2, 1, 6, 30, 0),
    "nien_vu": Window("nien_vu", 1, 1, 12, 31, 0),
}


@dataclass(frozen=True)
class Period:
    id: str
    type: str
    start: dt.date
    end: dt.date
    # The calendar year the period counts in (a season: the year it ends in).
    year: int
    kind: str | None = None  # season kind
    year_start: int | None = None  # season's first year

    def label(self, lang: str = "vi") -> str:
        return label(self, lang)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _invalid(text: str) -> PeriodError:
    return PeriodError(
        f"Kỳ «{text}» không hợp lệ (ví dụ: 2026, 2026Q1, 202603, 2026W11, 20260315, "
        "dong_xuan:2025-2026, he_thu:2026).",
        f"Invalid period '{text}' (e.g. 2026, 2026Q1, 202603, 2026W11, 20260315, "
        "dong_xuan:2025-2026, he_thu:2026).")


def _check_year(year: int, text: str) -> None:
    if not 1975 <= year <= 2100:
        raise PeriodError(f"Năm {year} của kỳ «{text}» ngoài khoảng 1975–2100.",
                          f"Year {year} of period '{text}' is outside 1975–2100.")


def season_id(kind: str, year_start: int, year_end: int) -> str:
    return f"{kind}:{year_start}-{year_end}" if year_end != year_start else f"{kind}:{year_start}"


def season(kind: str, year_start: int, year_end: int | None = None,
           calendar_: dict[str, Window] | None = None) -> Period:
    """The season of that kind beginning in ``year_start`` (dates from the calendar)."""
    if kind not in SEASON_KINDS:
        raise PeriodError(f"Loại vụ «{kind}» không hợp lệ.", f"Unknown season kind '{kind}'.")
    window = (calendar_ or DEFAULT_CALENDAR).get(kind) or DEFAULT_CALENDAR[kind]
    if year_end is None:
        year_end = year_start + (1 if kind in CROSSING else 0)
    text = season_id(kind, year_start, year_end)
    _check_year(year_start, text)
    if year_end not in (year_start, year_start + 1):
        raise PeriodError(
            f"Vụ «{text}»: năm kết thúc phải bằng năm bắt đầu hoặc năm sau.",
            f"Season '{text}': the end year must be the start year or the next one.")
    if kind in CROSSING and year_end != year_start + 1:
        both = season_id(kind, year_start, year_start + 1)
        raise PeriodError(
            f"Vụ {SEASON_KINDS[kind][0]} kéo dài qua hai năm: «{both}».",
            f"The {SEASON_KINDS[kind][1].lower()} season spans two years: '{both}'.")
    end_year = year_end if year_end != year_start else year_start + window.end_year_offset
    start = dt.date(year_start, window.start_month, window.start_day)
    end = dt.date(end_year, window.end_month,
                  min(window.end_day, calendar.monthrange(end_year, window.end_month)[1]))
    return Period(text, "season", start, end, end.year, kind, year_start)


_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WEEK = re.compile(r"^(\d{4})W(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_SEASON = re.compile(r"^([a-z_]+):(\d{4})(?:-(\d{4}))?$")


def parse(text: str, calendar_: dict[str, Window] | None = None) -> Period:
    """A period from its identifier (see the module docstring)."""
    raw = text.strip()
    if len(raw) > 30:
        raise _invalid(raw[:30] + "…")
    if m := _SEASON.match(raw):
        kind, y1 = m.group(1), int(m.group(2))
        y2 = int(m.group(3)) if m.group(3) else None
        if kind not in SEASON_KINDS:
            raise _invalid(raw)
        if y2 is None and kind in CROSSING:
            y2 = y1 + 1
            raise PeriodError(
                f"Kỳ «{raw}» thiếu năm thứ hai: «{season_id(kind, y1, y2)}».",
                f"Period '{raw}' lacks its second year: '{season_id(kind, y1, y2)}'.")
        p = season(kind, y1, y2, calendar_)
        if p.id != raw:
            raise PeriodError(f"Kỳ «{raw}» phải viết là «{p.id}».",
                              f"Period '{raw}' is written '{p.id}'.")
        return p
    up = raw.upper()
    try:
        if m := _DAY.match(up):
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            _check_year(day.year, raw)
            return Period(raw, "day", day, day, day.year)
        if m := _WEEK.match(up):
            y, w = int(m.group(1)), int(m.group(2))
            _check_year(y, raw)
            start = dt.date.fromisocalendar(y, w, 1)
            return Period(f"{y}W{w}", "week", start, start + dt.timedelta(days=6), y)
        if m := _MONTH.match(up):
            y, mo = int(m.group(1)), int(m.group(2))
            _check_year(y, raw)
            start = dt.date(y, mo, 1)
            return Period(raw, "month", start, dt.date(y, mo, calendar.monthrange(y, mo)[1]), y)
        if m := _QUARTER.match(up):
            y, q = int(m.group(1)), int(m.group(2))
            _check_year(y, raw)
            start = dt.date(y, 3 * q - 2, 1)
            end_month = 3 * q
            return Period(f"{y}Q{q}", "quarter", start,
                          dt.date(y, end_month, calendar.monthrange(y, end_month)[1]), y)
        if m := _YEAR.match(up):
            y = int(m.group(1))
            _check_year(y, raw)
            return Period(raw, "year", dt.date(y, 1, 1), dt.date(y, 12, 31), y)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise _invalid(raw) from exc
    raise _invalid(raw)


def of_type(day: dt.date, period_type: str) -> Period:
    """The period of a calendar type (day … year) that contains ``day``."""
    if period_type == "day":
        return parse(day.strftime("%Y%m%d"))
    if period_type == "week":
        y, w, _ = day.isocalendar()
        return parse(f"{y}W{w}")
    if period_type == "month":
        return parse(day.strftime("%Y%m"))
    if period_type == "quarter":
        return parse(f"{day.year}Q{(day.month - 1) // 3 + 1}")
    if period_type == "year":
        return parse(str(day.year))
    raise PeriodError(
        f"Không suy ra được kỳ loại «{period_type}» từ một ngày (vụ: ghi rõ tên vụ).",
        f"A period of type '{period_type}' cannot be derived from a date (seasons: name it).")


def seasons_containing(day: dt.date, kinds: tuple[str, ...] = RICE_SEASONS,
                       calendar_: dict[str, Window] | None = None) -> list[Period]:
    """The seasons of these kinds whose window contains ``day`` (windows may overlap)."""
    out = []
    for kind in kinds:
        for y in (day.year - 1, day.year):
            p = season(kind, y, None, calendar_)
            if p.contains(day):
                out.append(p)
    return out


def previous_same(p: Period, calendar_: dict[str, Window] | None = None) -> Period:
    """The same period one year earlier (same season of the previous year, same month…)."""
    if p.type == "season":
        assert p.kind is not None and p.year_start is not None
        years = p.id.split(":", 1)[1]
        year_end = int(years.split("-")[1]) if "-" in years else p.year_start
        return season(p.kind, p.year_start - 1, year_end - 1, calendar_)
    if p.type == "day":
        day = p.start
        try:
            prev = day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            prev = day.replace(year=day.year - 1, day=28)
        return of_type(prev, "day")
    if p.type == "week":
        y, w = p.id.split("W")
        week = min(int(w), dt.date(int(y) - 1, 12, 28).isocalendar()[1])
        return parse(f"{int(y) - 1}W{week}")
    if p.type == "month":
        return parse(f"{p.year - 1}{p.start.month:02d}")
    if p.type == "quarter":
        return parse(f"{p.year - 1}Q{p.id[-1]}")
    return parse(str(p.year - 1))


def label(p: Period, lang: str = "vi") -> str:
    vi = lang == "vi"
    if p.type == "season":
        assert p.kind is not None and p.year_start is not None
        name = SEASON_KINDS[p.kind][0 if vi else 1]
        years = p.id.split(":", 1)[1]
        return f"{name} {years}"
    if p.type == "day":
        return p.start.strftime("%d/%m/%Y")
    if p.type == "week":
        y, w = p.id.split("W")
        return f"Tuần {w}/{y}" if vi else f"Week {w} {y}"
    if p.type == "month":
        return f"Tháng {p.start.month:02d}/{p.year}" if vi else p.start.strftime("%B %Y")
    if p.type == "quarter":
        return f"Quý {p.id[-1]}/{p.year}" if vi else f"Q{p.id[-1]} {p.year}"
    return f"Năm {p.year}" if vi else str(p.year)


# --- relative periods -------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(THIS|LAST)_(?:(\d{1,2})_)?(YEARS?|QUARTERS?|MONTHS?|SEASONS?)$")


def is_relative(text: str) -> bool:
    return bool(_RELATIVE.match(text.strip().upper()))


def relative(text: str, today: dt.date, calendar_: dict[str, Window] | None = None
             ) -> list[Period]:
    """THIS_YEAR, LAST_YEAR, LAST_5_YEARS, LAST_12_MONTHS, LAST_4_QUARTERS, THIS_SEASON,
    LAST_15_SEASONS (rice seasons begun by today), oldest first."""
    m = _RELATIVE.match(text.strip().upper())
    if m is None:
        raise _invalid(text)
    which, n_text, unit = m.group(1), m.group(2), m.group(3).rstrip("S")
    n = int(n_text) if n_text else 1
    if not 1 <= n <= 60:
        raise PeriodError(f"Số kỳ trong «{text}» phải từ 1 đến 60.",
                          f"The number of periods in '{text}' must be 1 to 60.")
    if unit == "SEASON":
        started: list[Period] = []
        for y in range(today.year - n // 3 - 2, today.year + 1):
            for kind in RICE_SEASONS:
                p = season(kind, y, None, calendar_)
                if p.start <= today:
                    started.append(p)
        started.sort(key=lambda p: p.start)
        if which == "THIS":
            return started[-1:]
        return started[-n:]
    current = of_type(today, unit.lower())
    out = [current]
    for _ in range(n if which == "LAST" else 0):
        out.append(of_type(out[-1].start - dt.timedelta(days=1), unit.lower()))
    if which == "LAST":
        out = out[1:]
    return sorted(out, key=lambda p: p.start)


# --- season names as people write them (imports) ----------------------------------------------

_LABEL = re.compile(r"^(?:vu\s+)?(?P<name>[a-z ]+?)\s*(?P<y1>\d{2,4})"
                    r"(?:\s*[-–/]\s*(?P<y2>\d{2,4}))?$")
_NAMES = {fold(vi): kind for kind, (vi, _en, _s) in SEASON_KINDS.items()} | {
    fold(short): kind for kind, (_vi, _en, short) in SEASON_KINDS.items()} | {
    fold(en).replace("–", " "): kind for kind, (_vi, en, _s) in SEASON_KINDS.items()} | {
    "dx": "dong_xuan", "ht": "he_thu", "td": "thu_dong", "xh": "xuan_he", "nv": "nien_vu",
    "winter spring": "dong_xuan", "summer autumn": "he_thu", "autumn winter": "thu_dong"}


def _full_year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def parse_season_label(text: str, calendar_: dict[str, Window] | None = None) -> Period:
    """A season as written in a report: "Đông Xuân 2024-2025", "ĐX 2024-2025", "DX 24-25",
    "Hè Thu 2025", "HT 2025", or the identifier itself. "ĐX 2025" is refused: it could be
    the season harvested in 2025 or the one sown at the end of 2025."""
    raw = text.strip()
    if _SEASON.match(raw):
        return parse(raw, calendar_)
    folded = fold(raw).replace("–", "-").replace("_", " ")
    m = _LABEL.match(folded)
    kind = _NAMES.get(m.group("name").strip()) if m else None
    if m is None or kind is None:
        raise PeriodError(
            f"Không hiểu tên vụ «{raw}» (ví dụ: «Đông Xuân 2024-2025», «Hè Thu 2025»).",
            f"Cannot read the season '{raw}' (e.g. 'Đông Xuân 2024-2025', 'Hè Thu 2025').")
    y1 = _full_year(m.group("y1"))
    y2 = _full_year(m.group("y2")) if m.group("y2") else None
    if y2 is None and kind in CROSSING:
        name = SEASON_KINDS[kind][0]
        raise PeriodError(
            f"«{raw}» không rõ là vụ nào: ghi «{name} {y1 - 1}-{y1}» (thu hoạch năm {y1}) hoặc "
            f"«{name} {y1}-{y1 + 1}» (xuống giống cuối năm {y1}).",
            f"'{raw}' is ambiguous: write '{name} {y1 - 1}-{y1}' (harvested in {y1}) or "
            f"'{name} {y1}-{y1 + 1}' (sown at the end of {y1}).")
    if y2 is not None and y2 < y1:
        raise PeriodError(f"Vụ «{raw}»: năm kết thúc trước năm bắt đầu.",
                          f"Season '{raw}': the end year is before the start year.")
    return season(kind, y1, y2, calendar_)
