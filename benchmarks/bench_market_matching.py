"""Supply–demand matching: 1,000 expected harvests × 1,000 demands.

Measured: the service (reads the open supplies and demands and what is agreed, finds the
feasible pairs, solves the two linear programmes, writes the proposals). Baseline in the same
run: the optimiser alone on the same records (``matching.solve``), so the ratio shows what the
database adds. Goal: < 5 s. ``NONGSO_BENCH_SCALE`` scales both sides.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from _common import emit
from _market import SCALE, databases
from sqlalchemy import insert, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.market import matching, services
from nongso.market.models import Demand, Supply
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationCreate
from nongso.units import services as units

PRODUCTS = ["lua_tuoi_thuong", "lua_tuoi_thom", "lua_tuoi_st", "lua_kho_thuong", "gao_thuong",
            "gao_thom", "xoai_cat_hoa_loc", "sau_rieng_ri6", "buoi_da_xanh", "nhan",
            "ca_tra", "tom_the"]


def main() -> None:
    n = max(20, int(1000 * SCALE))
    for db, platform in databases():
        rng = random.Random(11)
        admin = platform.uow(SYSTEM)
        communes = units.communes_of_province(admin, "82")
        coop = registry.create_organisation(admin, OrganisationCreate(
            kind="cooperative", name="HTX benchmark", commune_code=communes[0].code))
        buyer = registry.create_organisation(admin, OrganisationCreate(
            kind="buyer", name="Buyer benchmark", commune_code=communes[1].code))
        today = clock.today_vn()
        supplies, demands = [], []
        for _ in range(n):
            c = rng.choice(communes)
            start = today + dt.timedelta(days=rng.randint(0, 60))
            supplies.append(dict(
                organisation_id=coop.id, product_code=rng.choice(PRODUCTS),
                grade=rng.randint(1, 3), volume_kg=float(rng.randint(5, 200) * 1000),
                available_from=start, available_to=start + dt.timedelta(days=rng.randint(7, 40)),
                commune_code=c.code, province_code="82",
                lon=(c.lon or 105.6) + rng.uniform(-0.05, 0.05),
                lat=(c.lat or 10.4) + rng.uniform(-0.05, 0.05),
                certifications=rng.sample(["vietgap", "planting_area_code"], rng.randint(0, 2)),
                season_ids=[], status="open"))
            c = rng.choice(communes)
            start = today + dt.timedelta(days=rng.randint(0, 90))
            demands.append(dict(
                organisation_id=buyer.id, product_code=rng.choice(PRODUCTS),
                max_grade=rng.randint(1, 3), volume_kg=float(rng.randint(5, 300) * 1000),
                window_from=start, window_to=start + dt.timedelta(days=rng.randint(10, 60)),
                commune_code=c.code, province_code="82",
                lon=(c.lon or 105.6) + rng.uniform(-0.05, 0.05),
                lat=(c.lat or 10.4) + rng.uniform(-0.05, 0.05),
                max_distance_km=rng.choice([20, 50, 100]),
                certifications=rng.sample(["vietgap"], rng.randint(0, 1)), status="open"))
        with platform.engine.begin() as conn:
            conn.execute(insert(Supply), supplies)
            conn.execute(insert(Demand), demands)
        t0 = time.perf_counter()
        report = services.run_matching(platform.uow(SYSTEM))
        service_s = time.perf_counter() - t0
        with platform.uow(SYSTEM) as uow:
            s_in = [matching.SupplyIn(r.id, r.product_code, r.grade, r.volume_kg,
                                      r.available_from, r.available_to, r.lon, r.lat,
                                      frozenset(r.certifications))
                    for r in uow.session.scalars(select(Supply))]
            d_in = [matching.DemandIn(r.id, r.product_code, r.max_grade, r.volume_kg,
                                      r.window_from, r.window_to, r.lon, r.lat,
                                      r.max_distance_km, frozenset(r.certifications))
                    for r in uow.session.scalars(select(Demand))]
        t0 = time.perf_counter()
        pure = matching.solve(s_in, d_in)
        solve_s = time.perf_counter() - t0
        assert abs(pure.total_kg - report.total_kg) < 1e-6
        emit(f"market_matching_{db}",
             loadavg_1m=round(os.getloadavg()[0], 1), supplies=n, demands=n,
             candidate_pairs=report.candidates,
             proposals=len(report.proposals), matched_kg=report.total_kg,
             seconds=round(service_s, 3), solver_alone_seconds=round(solve_s, 3),
             ratio_to_solver=round(service_s / solve_s, 2), goal="< 5 s for 1,000 x 1,000",
             met=service_s < 5)


if __name__ == "__main__":
    main()
