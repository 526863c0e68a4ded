"""Booking confirmation under load: rounds of 100 concurrent booking requests against a real
uvicorn server in its own process (``nongso serve``'s stack: one process, FastAPI's thread
pool), each for a different free slot, so every one is confirmed.

Measured: the latency of each confirmed booking (HTTP 201), p50/p95/p99, and the latency of
the same booking sent one at a time (the service time a burst queues behind). Baseline in the
same run and under the same concurrency: an authenticated read of the same machine
(``GET /api/v1/market/equipment/{id}``). Goal: p95 < 300 ms. ``NONGSO_BENCH_SCALE`` scales
the number of rounds (5 at scale 1).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import httpx
from _common import emit, percentiles
from _market import SCALE, databases

from nongso.accounts import services as accounts
from nongso.accounts.schemas import UserCreate
from nongso.core.permissions import SYSTEM
from nongso.market import services
from nongso.market.schemas import EquipmentCreate
from nongso.registry import services as registry
from nongso.registry.schemas import FarmerCreate, OrganisationCreate, ProductionUnitCreate
from nongso.units import services as units

CONCURRENCY = 100


def _serve(url_db: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "NONGSO_DATABASE_URL": url_db,
           "NONGSO_VAR_DIR": tempfile.mkdtemp(prefix="nongso-bench-var-"),
           "NONGSO_SECRET_KEY": "bench-secret"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "nongso.app:create_app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # a busy shared machine starts Python slowly
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the benchmark server stopped (exit {proc.returncode})")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the benchmark server did not start")
        time.sleep(0.2)


async def _round(url: str, token: str, bodies: list[dict[str, Any]], path: str | None = None
                 ) -> list[tuple[int, float]]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def one(body: dict[str, Any]) -> tuple[int, float]:
            t0 = time.perf_counter()
            if path:
                r = await client.get(path, headers=headers)
            else:
                r = await client.post("/api/v1/market/bookings", json=body, headers=headers)
            return r.status_code, time.perf_counter() - t0
        return list(await asyncio.gather(*[one(b) for b in bodies]))


def main() -> None:
    rounds = max(1, int(5 * SCALE))
    for db, platform in databases():
        admin = platform.uow(SYSTEM)
        commune = units.communes_of_province(admin, "82")[0].code
        coop = registry.create_organisation(admin, OrganisationCreate(
            kind="cooperative", name="HTX benchmark", commune_code=commune))
        farmer = registry.create_farmer(admin, FarmerCreate(
            full_name="Nông dân benchmark", commune_code=commune, organisation_id=coop.id))
        accounts.create_user(admin, UserCreate(username="bench.farmer", full_name="bench",
                                               password="bench-password-1", role="farmer",
                                               farmer_id=farmer.id))
        token = accounts.issue_token(platform.uow(), "bench.farmer", "bench-password-1",
                                     "bench").access_token
        field = registry.create_production_unit(admin, ProductionUnitCreate(
            kind="plot", name="Thửa benchmark", commune_code=commune, farmer_id=farmer.id,
            organisation_id=coop.id, crop="rice", geometry={"type": "Polygon", "coordinates": [[
                [105.6, 10.45], [105.601, 10.45], [105.601, 10.451], [105.6, 10.451],
                [105.6, 10.45]]]}))
        machine = services.create_equipment(admin, EquipmentCreate(
            kind="drone", name="Drone benchmark", organisation_id=coop.id, rate_vnd=150_000,
            rate_unit="ha", lon=105.59, lat=10.44, working_radius_km=20))
        proc, url = _serve(platform.engine.url.render_as_string(hide_password=False))
        try:
            base = dt.datetime(2031, 1, 1, 6, 0)
            latencies: list[float] = []
            reads: list[float] = []
            statuses: dict[int, int] = {}
            slot = 0
            for _ in range(rounds):
                bodies = []
                for _ in range(CONCURRENCY):
                    start = base + dt.timedelta(hours=2 * slot)
                    bodies.append({"equipment_id": machine.id, "field_ids": [field.id],
                                   "starts_at": start.isoformat(),
                                   "ends_at": (start + dt.timedelta(hours=1)).isoformat()})
                    slot += 1
                for code, seconds in asyncio.run(_round(url, token, bodies)):
                    statuses[code] = statuses.get(code, 0) + 1
                    if code == 201:
                        latencies.append(seconds)
                reads.extend(s for _, s in asyncio.run(_round(
                    url, token, bodies, f"/api/v1/market/equipment/{machine.id}")))
            # The same bookings one at a time: the service time a burst queues behind.
            alone: list[float] = []
            with httpx.Client(base_url=url, timeout=60) as client:
                for _ in range(20):
                    start = base + dt.timedelta(hours=2 * slot)
                    slot += 1
                    t0 = time.perf_counter()
                    r = client.post("/api/v1/market/bookings", headers={
                        "Authorization": f"Bearer {token}"}, json={
                        "equipment_id": machine.id, "field_ids": [field.id],
                        "starts_at": start.isoformat(),
                        "ends_at": (start + dt.timedelta(hours=1)).isoformat()})
                    if r.status_code == 201:
                        alone.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        booked = percentiles(latencies)
        read = percentiles(reads)
        emit(f"market_booking_{db}",
             loadavg_1m=round(os.getloadavg()[0], 1), concurrency=CONCURRENCY, rounds=rounds,
             statuses=statuses, confirmed=len(latencies), **booked,
             one_at_a_time_p50_ms=percentiles(alone)["p50_ms"],
             read_p95_ms=read["p95_ms"], ratio_p95_to_read=round(
                 booked["p95_ms"] / read["p95_ms"], 2),
             goal="p95 < 300 ms under 100 concurrent requests",
             met=booked["p95_ms"] < 300)


if __name__ == "__main__":
    main()
