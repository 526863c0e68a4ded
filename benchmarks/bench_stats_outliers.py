"""Outlier detection on synthetic statistics with injected errors, on SQLite and PostgreSQL.

Five years (15 rice seasons) of sown area, harvested area, output and reported yield for the
102 communes of Đồng Tháp, with ordinary year-to-year variation; in the last three seasons
5 % of the figures get a typing slip: ×10 (a yield of 80 typed for 8.0), ×1000 (a decimal
comma read as a thousands separator: "7,25" -> 7250), ÷1000 (a thousands separator read as
a decimal point: "1.234" -> 1.234). The statistics' outlier scan (min–max bounds, the same
season in earlier years, neighbouring communes, modified z-scores) must find them: recall
≥ 0.95 at a false-positive rate ≤ 2 %. Baseline in the same run: the plain z-score across
communes (|z| > 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit
from _stats_data import database, seasons_back
from sqlalchemy import insert

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.stats import services
from nongso.stats.models import DataValue
from nongso.units import services as units

ELEMENTS = ("sown_area", "harvested_area", "output", "yield_reported")
SHARE = {"dong_xuan": 1.0, "he_thu": 0.95, "thu_dong": 0.62}
YIELD = {"dong_xuan": 7.07, "he_thu": 5.65, "thu_dong": 5.42}
SLIPS = (("x10", 10.0), ("comma_as_thousands", 1000.0), ("thousands_as_decimal", 0.001))


def generate(seed: int, communes: list[str], seasons: list, share: float
             ) -> tuple[list[dict[str, object]], set[tuple[str, str, str]], dict[str, int]]:
    rng = random.Random(seed)
    base = {c: math.exp(rng.gauss(math.log(800), 0.6)) for c in communes}
    level = {c: rng.uniform(0.9, 1.1) for c in communes}
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, object]] = []
    injected: set[tuple[str, str, str]] = set()
    kinds: dict[str, int] = {}
    checked = {p.id for p in seasons[-3:]}
    for p in seasons:
        for c in communes:
            sown = base[c] * SHARE[p.kind] * math.exp(rng.gauss(0, 0.06))
            harvested = sown * rng.uniform(0.97, 1.0)
            yld = max(3.0, rng.gauss(YIELD[p.kind] * level[c], 0.3))
            values = {"sown_area": sown, "harvested_area": harvested,
                      "output": harvested * yld, "yield_reported": yld}
            for element, v in values.items():
                if p.id in checked and rng.random() < share:
                    name, factor = rng.choice(SLIPS)
                    v *= factor
                    injected.add((c, p.id, element))
                    kinds[name] = kinds.get(name, 0) + 1
                rows.append(dict(data_element=element, period=p.id, period_type="season",
                                 year=p.year, start_date=p.start, end_date=p.end,
                                 province_code="82", org_unit=c, generation="2025", coc="rice",
                                 value=round(v, 4), source="import", created_at=now,
                                 updated_at=now))
    return rows, injected, kinds


def zscore_baseline(rows: list[dict[str, object]], checked: set[str]) -> set[tuple[str, str, str]]:
    """The plain z-score across communes, per element and season (|z| > 3)."""
    groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for r in rows:
        if r["period"] in checked:
            groups.setdefault((str(r["data_element"]), str(r["period"])), []).append(
                (str(r["org_unit"]), float(r["value"])))  # type: ignore[arg-type]
    flagged = set()
    for (element, period), values in groups.items():
        xs = [v for _, v in values]
        mean, sd = statistics.fmean(xs), statistics.stdev(xs)
        for c, v in values:
            if sd and abs(v - mean) / sd > 3:
                flagged.add((c, period, element))
    return flagged


def run(kind: str, seed: int, share: float) -> None:
    today = dt.date(2026, 12, 7)
    previous = clock.use(clock.FixedClock(dt.datetime(2026, 12, 7, 3, tzinfo=dt.UTC)))
    try:
        with database(kind) as platform:
            services.install_reference_data(platform.uow(SYSTEM))
            communes = [c.code for c in units.communes_of_province(platform.uow(), "82")]
            seasons = seasons_back(today, 15)
            rows, injected, kinds = generate(seed, communes, seasons, share)
            with platform.engine.begin() as conn:
                conn.execute(insert(DataValue), rows)
            checked = [p.id for p in seasons[-3:]]
            start = time.perf_counter()
            flagged: set[tuple[str, str, str]] = set()
            for pe in checked:
                for o in services.outliers_scan(platform.uow(SYSTEM), "crop_season", pe):
                    if o.item in ELEMENTS:
                        flagged.add((o.org_unit, o.period, o.item))
            scan_s = time.perf_counter() - start
            cells = len(communes) * len(checked) * len(ELEMENTS)
            clean = cells - len(injected)
            recall = len(flagged & injected) / len(injected)
            fpr = len(flagged - injected) / clean
            naive = zscore_baseline(rows, set(checked))
            naive_recall = len(naive & injected) / len(injected)
            naive_fpr = len(naive - injected) / clean
            emit("stats_outliers", database=kind, communes=len(communes), seasons=len(seasons),
                 checked_cells=cells, injected=len(injected), injected_by_kind=kinds,
                 found=len(flagged & injected), false_positives=len(flagged - injected),
                 recall=round(recall, 4), false_positive_rate=round(fpr, 4),
                 zscore_recall=round(naive_recall, 4), zscore_false_positive_rate=round(
                     naive_fpr, 4), ratio_recall_to_zscore=round(recall / naive_recall, 3)
                 if naive_recall else None, scan_seconds=round(scan_s, 2),
                 goal="recall >= 0.95 at a false-positive rate <= 2 %",
                 met=recall >= 0.95 and fpr <= 0.02)
    finally:
        clock.use(previous)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--share", type=float, default=0.05, help="share of figures slipped")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        run(kind.strip(), args.seed, args.share)


if __name__ == "__main__":
    main()
