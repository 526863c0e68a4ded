"""The demo province's farming calendar (pure, no I/O but reading its own data file).

- **Brown planthopper flights and the "né rầy" sowing windows.** The demo's light traps catch
  a flight every :data:`GENERATION_DAYS` days (one generation takes 22–28 days in the delta,
  ``shared/reference/agronomy.md``), the last one three nights before the latest morning
  count (:func:`count_day`: "today" from 06:00). The province
  sows right after a confirmed peak: with the alert rule's defaults
  (``alerts.rules.bph_light_trap_peaks``: confirmed 3 days after the peak, a 7-day window
  after the confirmation) the window is days 4–10 after the peak. The diary's Đông Xuân
  fields are sown inside these windows, and ``demo.monitor`` draws the trap counts from the
  same peaks, so the traps the officer sees explain the sowing dates.
- **Fruit harvest calendars** (``data/fruit_calendar.csv``, with their sources): the months
  of each crop's harvests, how many a year, the yield per hectare and year.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources

GENERATION_DAYS = 25
"""Days between two planthopper flights in the demo (22–28 in the delta)."""
LAST_PEAK_DAYS_AGO = 3
"""The latest flight peaked three nights before today: this morning's count confirms it."""
CONFIRM_DAYS = 3  # alerts.rules.bph_light_trap_peaks: confirm_days
WINDOW_DAYS = 7  # alerts.rules.bph_light_trap_peaks: window_days
DONG_XUAN_FROM = (11, 1)
"""Đông Xuân is sown from November (``agronomy.md``: sowing Nov–Dec): the first window that
opens on or after 1 November of the season's first year."""


VN = dt.timezone(dt.timedelta(hours=7))
COUNT_HOUR = 6
"""A trap's catch of the night is counted at 06:00 (Vietnam time), dated that morning."""


def count_day(now: dt.datetime) -> dt.date:
    """The day of the latest morning count at ``now``: today from 06:00, else yesterday. The
    flights are placed from it, so that the diary and the traps agree at any hour."""
    return (now.astimezone(VN) - dt.timedelta(hours=COUNT_HOUR)).date()


@dataclass(frozen=True)
class Window:
    """A "né rầy" sowing window: the peak and the first and last day to sow."""

    peak: dt.date
    first: dt.date
    last: dt.date


def trap_peak(today: dt.date, k: int) -> dt.date:
    """The ``k``-th flight peak counted from the latest (0), negative ``k`` in the future."""
    return today - dt.timedelta(days=LAST_PEAK_DAYS_AGO + GENERATION_DAYS * k)


def trap_peaks(today: dt.date, start: dt.date, end: dt.date) -> list[dt.date]:
    """The flight peaks between ``start`` and ``end`` (included), oldest first."""
    latest = trap_peak(today, 0)
    k_old = (latest - start).days // GENERATION_DAYS
    k_new = -((end - latest).days // GENERATION_DAYS)
    return sorted(p for k in range(k_new, k_old + 1)
                  if start <= (p := trap_peak(today, k)) <= end)


def window_after(peak: dt.date) -> Window:
    first = peak + dt.timedelta(days=CONFIRM_DAYS + 1)
    return Window(peak, first, first + dt.timedelta(days=WINDOW_DAYS - 1))


def dong_xuan_window(today: dt.date, year: int, earliest: dt.date | None,
                     later: bool = False) -> Window:
    """The window in which a Đông Xuân field of ``year``-``year + 1`` is sown: the first one
    that opens on or after 1 November of ``year`` and still has a day on or after
    ``earliest`` (the field's own harvest plus its land preparation); ``later`` takes the
    one after (farmers sow in rounds)."""
    floor = dt.date(year, *DONG_XUAN_FROM)
    start = max(floor, earliest or floor)
    peaks = trap_peaks(today, floor - dt.timedelta(days=CONFIRM_DAYS + 1),
                       start + dt.timedelta(days=3 * GENERATION_DAYS))
    windows = [w for w in map(window_after, peaks) if w.first >= floor and w.last >= start]
    return windows[1] if later and len(windows) > 1 else windows[0]


def trap_count(today: dt.date, day: dt.date, noise: float, scale: float = 1.0) -> int:
    """Brown planthoppers in the flight trap the night before ``day``: a background of about
    25 a night (``noise`` in [-1, 1]) and a flight around every peak, ``scale`` times the
    shape of one observed flight (70, 160, 950, 430, 220, 140 a night)."""
    shape = {-2: 70, -1: 160, 0: 950, 1: 430, 2: 220, 3: 140}
    base = 25 + 12 * noise
    latest = trap_peak(today, 0)
    offset = (day - latest).days % GENERATION_DAYS
    offset = offset - GENERATION_DAYS if offset > GENERATION_DAYS - 3 else offset
    if offset in shape:
        return max(0, round(max(base, shape[offset] * scale)))
    return max(0, round(base))


# --------------------------------------------------------------------------------------------
# Fruit


@dataclass(frozen=True)
class FruitHarvest:
    months: tuple[int, ...]  # the month is drawn among these
    yield_share: float  # of the year's yield


@dataclass(frozen=True)
class FruitRegime:
    name: str
    share: float  # of the orchards
    harvests: tuple[FruitHarvest, ...]


@dataclass(frozen=True)
class FruitCrop:
    crop: str
    yield_t_ha_year: float
    regimes: tuple[FruitRegime, ...]
    sources: tuple[str, ...]

    def months(self) -> set[int]:
        """Every month in which this crop is harvested."""
        return {m for r in self.regimes for h in r.harvests for m in h.months}


@cache
def fruit_calendar() -> dict[str, FruitCrop]:
    """The fruit crops of ``data/fruit_calendar.csv`` (regimes, harvest months, yields)."""
    path = resources.files("nongso.demo").joinpath("data", "fruit_calendar.csv")
    rows: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["crop"], []).append(row)
    out = {}
    for crop, lines in rows.items():
        regimes: dict[str, list[dict[str, str]]] = {}
        for line in lines:
            regimes.setdefault(line["regime"], []).append(line)
        out[crop] = FruitCrop(
            crop=crop, yield_t_ha_year=float(lines[0]["yield_t_ha_year"]),
            regimes=tuple(FruitRegime(
                name, float(parts[0]["regime_share"]),
                tuple(FruitHarvest(tuple(int(m) for m in p["months"].split("|")),
                                   float(p["yield_share"])) for p in parts))
                for name, parts in regimes.items()),
            sources=tuple(dict.fromkeys(line["source"] for line in lines)))
    return out


def fruit_harvests(crop: FruitCrop, year: int, rng: random.Random
                   ) -> list[tuple[dt.date, float]]:
    """One orchard's harvests in ``year``: (day, share of the year's yield), in order."""
    x = rng.random()
    acc = 0.0
    regime = crop.regimes[-1]
    for r in crop.regimes:
        acc += r.share
        if x <= acc:
            regime = r
            break
    out = []
    for h in regime.harvests:
        month = rng.choice(h.months)
        out.append((dt.date(year, month, rng.randint(3, 26)), h.yield_share))
    return sorted(out)
