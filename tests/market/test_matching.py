"""Supply–demand matching: the constraints, and optimality against brute force."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from nongso.market.matching import DemandIn, SupplyIn, feasible, solve

D0 = dt.date(2026, 3, 1)


def _supply(i: int, **kw: object) -> SupplyIn:
    base: dict[str, object] = dict(id=i, product="lua_tuoi_thom", grade=1, volume_kg=10,
                                   start=D0, end=D0 + dt.timedelta(days=10), lon=105.6,
                                   lat=10.45, certifications=frozenset({"vietgap"}))
    base.update(kw)
    return SupplyIn(**base)  # type: ignore[arg-type]


def _demand(j: int, **kw: object) -> DemandIn:
    base: dict[str, object] = dict(id=j, product="lua_tuoi_thom", max_grade=2, volume_kg=10,
                                   start=D0 + dt.timedelta(days=5),
                                   end=D0 + dt.timedelta(days=20), lon=105.65, lat=10.5,
                                   max_distance_km=30, certifications=frozenset())
    base.update(kw)
    return DemandIn(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("supply", "demand", "ok"), [
    ({}, {}, True),
    ({"product": "gao_thom"}, {}, False),  # another product
    ({"grade": 3}, {}, False),  # worse than the buyer accepts
    ({"grade": 2}, {}, True),
    ({"end": D0 + dt.timedelta(days=4)}, {}, False),  # windows do not overlap
    ({"end": D0 + dt.timedelta(days=5)}, {}, True),  # they touch on one day
    ({}, {"certifications": frozenset({"vietgap"})}, True),
    ({}, {"certifications": frozenset({"planting_area_code"})}, False),
    ({}, {"certifications": frozenset({"unknown"})}, False),
    ({"lon": 106.2}, {}, False),  # about 68 km away
    ({}, {"max_distance_km": 5}, False),
    ({"volume_kg": 0}, {}, False),
])
def test_constraints(supply: dict[str, object], demand: dict[str, object], ok: bool) -> None:
    ii, _, km = feasible([_supply(1, **supply)], [_demand(1, **demand)])
    assert (ii.size == 1) is ok
    if ok:
        assert 0 < km[0] < 30


def test_distance_is_geodesic() -> None:
    _, _, km = feasible([_supply(1, lon=105.0, lat=10.0)],
                        [_demand(1, lon=105.0, lat=10.1, max_distance_km=100)])
    assert km[0] == pytest.approx(11.06, abs=0.02)  # 0.1° of latitude near 10° N


def _brute(supplies: list[SupplyIn], demands: list[DemandIn]) -> tuple[float, float]:
    ii, jj, km = feasible(supplies, demands)
    pairs = list(zip(ii.tolist(), jj.tolist(), km.tolist(), strict=True))
    best = (0.0, 0.0)
    ranges = [range(int(min(supplies[i].volume_kg, demands[j].volume_kg)) + 1)
              for i, j, _ in pairs]
    for xs in itertools.product(*ranges):
        used_s = [0.0] * len(supplies)
        used_d = [0.0] * len(demands)
        for (i, j, _), x in zip(pairs, xs, strict=True):
            used_s[i] += x
            used_d[j] += x
        if any(u > s.volume_kg for u, s in zip(used_s, supplies, strict=True)):
            continue
        if any(u > d.volume_kg for u, d in zip(used_d, demands, strict=True)):
            continue
        volume = float(sum(xs))
        cost = sum(x * k for (_, _, k), x in zip(pairs, xs, strict=True))
        if volume > best[0] + 1e-9 or (abs(volume - best[0]) < 1e-9 and cost < best[1] - 1e-9):
            best = (volume, cost)
    return best


def _random_case(rng: random.Random) -> tuple[list[SupplyIn], list[DemandIn]]:
    products = ["lua_tuoi_thom", "gao_st"]
    certs = [frozenset(), frozenset({"vietgap"}), frozenset({"vietgap", "planting_area_code"})]
    supplies = [SupplyIn(
        id=i + 1, product=rng.choice(products), grade=rng.randint(1, 3),
        volume_kg=rng.randint(0, 3), start=D0 + dt.timedelta(days=rng.randint(0, 10)),
        end=D0 + dt.timedelta(days=rng.randint(10, 25)), lon=105.5 + rng.random() * 0.4,
        lat=10.3 + rng.random() * 0.4, certifications=rng.choice(certs))
        for i in range(rng.randint(1, 3))]
    demands = [DemandIn(
        id=j + 1, product=rng.choice(products), max_grade=rng.randint(1, 3),
        volume_kg=rng.randint(0, 3), start=D0 + dt.timedelta(days=rng.randint(0, 15)),
        end=D0 + dt.timedelta(days=rng.randint(15, 30)), lon=105.5 + rng.random() * 0.4,
        lat=10.3 + rng.random() * 0.4, max_distance_km=rng.choice([20, 40, 80]),
        certifications=rng.choice(certs[:2])) for j in range(rng.randint(1, 3))]
    return supplies, demands


def test_optimal_against_brute_force_on_small_cases() -> None:
    rng = random.Random(2026)
    checked = 0
    for _ in range(300):
        supplies, demands = _random_case(rng)
        expected_volume, expected_cost = _brute(supplies, demands)
        got = solve(supplies, demands)
        assert got.total_kg == pytest.approx(expected_volume, abs=1e-6)
        assert got.kg_km == pytest.approx(expected_cost, rel=1e-6, abs=1e-6)
        checked += expected_volume > 0
        # Each side's volume is respected.
        for s in supplies:
            assert sum(p.volume_kg for p in got.pairs if p.supply_id == s.id) \
                <= s.volume_kg + 1e-6
        for d in demands:
            assert sum(p.volume_kg for p in got.pairs if p.demand_id == d.id) \
                <= d.volume_kg + 1e-6
    assert checked > 100  # most cases had something to match


def test_volume_first_then_distance() -> None:
    # One near buyer and one far one; the near one alone would leave 5 kg unsold.
    supplies = [_supply(1, volume_kg=10), _supply(2, volume_kg=5, lon=105.9)]
    demands = [_demand(1, volume_kg=10, lon=105.62, max_distance_km=40),
               _demand(2, volume_kg=5, lon=105.7, max_distance_km=40)]
    got = solve(supplies, demands)
    assert got.total_kg == 15
    assert {(p.supply_id, p.demand_id) for p in got.pairs} == {(1, 1), (2, 2)}


def test_nothing_to_match() -> None:
    got = solve([_supply(1)], [_demand(1, product="ca_tra")])
    assert got.pairs == [] and got.total_kg == 0 and got.candidates == 0
