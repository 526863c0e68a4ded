"""Supply–demand matching as an optimisation (pure: plain records in, an assignment out).

A supply (a co-operative's expected harvest) may serve a demand (a buyer's order) when the
product is the same, the supply's grade is at least the grade the buyer accepts (1 is best),
the harvest window and the delivery window overlap, the supply carries every certification the
buyer asks for (VietGAP, a planting-area code for export…) and the distance between them is
within the buyer's limit (geodesic distance on WGS 84, pyproj).

Among those pairs, volumes x_ij ≥ 0 with Σ_j x_ij ≤ supply_i and Σ_i x_ij ≤ demand_j are
chosen lexicographically: first the largest total volume matched, then, among the assignments
that match that volume, the least transport (Σ x_ij · distance_ij, kg·km). Both steps are
linear programmes solved by HiGHS (``scipy.optimize.linprog``). Volumes are matched in whole
kilograms: the constraint matrix of this transportation problem is totally unimodular, so the
optimum is integral. ``tests/market/test_matching.py`` compares it with brute force on small cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import Geod
from scipy import sparse
from scipy.optimize import linprog

GEOD = Geod(ellps="WGS84")
CERT_BITS = {"vietgap": 1, "globalgap": 2, "organic": 4, "planting_area_code": 8}


@dataclass(frozen=True)
class SupplyIn:
    id: int
    product: str
    grade: int
    volume_kg: float
    start: dt.date
    end: dt.date
    lon: float
    lat: float
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DemandIn:
    id: int
    product: str
    max_grade: int
    volume_kg: float
    start: dt.date
    end: dt.date
    lon: float
    lat: float
    max_distance_km: float
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pair:
    supply_id: int
    demand_id: int
    volume_kg: float
    distance_km: float


@dataclass(frozen=True)
class Assignment:
    pairs: list[Pair]
    total_kg: float
    kg_km: float
    candidates: int  # feasible pairs considered


def _mask(certs: frozenset[str]) -> int:
    out = 0
    for c in certs:
        out |= CERT_BITS.get(c, 16)  # an unknown certification can never be offered
    return out


def feasible(supplies: Sequence[SupplyIn], demands: Sequence[DemandIn]
             ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The pairs (supply index, demand index, distance km) that satisfy every constraint."""
    by_product_s: dict[str, list[int]] = defaultdict(list)
    by_product_d: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(supplies):
        if s.volume_kg > 0:
            by_product_s[s.product].append(i)
    for j, d in enumerate(demands):
        if d.volume_kg > 0:
            by_product_d[d.product].append(j)
    out_i: list[npt.NDArray[np.int64]] = []
    out_j: list[npt.NDArray[np.int64]] = []
    out_d: list[npt.NDArray[np.float64]] = []
    for product, si in by_product_s.items():
        dj = by_product_d.get(product)
        if not dj:
            continue
        S = [supplies[i] for i in si]
        D = [demands[j] for j in dj]
        grade = np.array([s.grade for s in S])[:, None]
        max_grade = np.array([d.max_grade for d in D])[None, :]
        s_start = np.array([s.start.toordinal() for s in S])[:, None]
        s_end = np.array([s.end.toordinal() for s in S])[:, None]
        d_start = np.array([d.start.toordinal() for d in D])[None, :]
        d_end = np.array([d.end.toordinal() for d in D])[None, :]
        s_cert = np.array([_mask(s.certifications) for s in S])[:, None]
        d_cert = np.array([_mask(d.certifications) for d in D])[None, :]
        ok = (grade <= max_grade) & (s_start <= d_end) & (d_start <= s_end) \
            & ((s_cert & d_cert) == d_cert)
        ii, jj = np.nonzero(ok)
        if ii.size == 0:
            continue
        s_lon = np.array([s.lon for s in S])[ii]
        s_lat = np.array([s.lat for s in S])[ii]
        d_lon = np.array([d.lon for d in D])[jj]
        d_lat = np.array([d.lat for d in D])[jj]
        _, _, metres = GEOD.inv(s_lon, s_lat, d_lon, d_lat)
        km = np.asarray(metres, dtype=np.float64) / 1000.0
        limit = np.array([d.max_distance_km for d in D])[jj]
        keep = km <= limit
        out_i.append(np.asarray(si)[ii[keep]])
        out_j.append(np.asarray(dj)[jj[keep]])
        out_d.append(km[keep])
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


def solve(supplies: Sequence[SupplyIn], demands: Sequence[DemandIn]) -> Assignment:
    """The lexicographically optimal assignment (most volume, then least kg·km)."""
    ii, jj, km = feasible(supplies, demands)
    n = ii.size
    if n == 0:
        return Assignment([], 0.0, 0.0, 0)
    rows = np.concatenate([ii, len(supplies) + jj])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    a_ub = sparse.csr_matrix((np.ones(2 * n), (rows, cols)),
                             shape=(len(supplies) + len(demands), n))
    # Whole kilograms: the optimum of this totally unimodular programme is then integral, and
    # rounding the solver's answer removes its floating-point noise.
    b_ub = np.floor(np.array([s.volume_kg for s in supplies] + [d.volume_kg for d in demands]))
    first = linprog(-np.ones(n), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:
        raise RuntimeError(f"matching LP failed: {first.message}")
    best = float(np.round(-first.fun))
    # Second step: the same volume, least transport.
    second = linprog(km, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, n)), b_eq=[best],
                     bounds=(0, None), method="highs")
    x = np.round(second.x if second.status == 0 else first.x)
    pairs = [Pair(supplies[int(ii[k])].id, demands[int(jj[k])].id, float(x[k]),
                  round(float(km[k]), 3))
             for k in np.flatnonzero(x > 0)]
    pairs.sort(key=lambda p: (p.supply_id, p.demand_id))
    total = float(sum(p.volume_kg for p in pairs))
    kg_km = float(sum(x[k] * km[k] for k in range(n)))
    return Assignment(pairs, round(total, 3), kg_km, int(n))
