"""No double booking, ever: 100 concurrent requests for one slot, exactly one accepted.

A real uvicorn server (its thread pool runs the requests in parallel) on the real database:
PostgreSQL refuses overlaps with its exclusion constraint, SQLite serialises the bookings with
an immediate transaction."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.market.models import Slot
from tests.helpers import Actors
from tests.market.conftest import make_field

N = 100


@pytest.fixture
def server(platform: Platform) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


async def _fire(url: str, token: str, body: dict[str, Any]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        return list(await asyncio.gather(*[
            client.post("/api/v1/market/bookings", json=body,
                        headers={"Authorization": f"Bearer {token}"}) for _ in range(N)]))


def _run_in_own_thread(coro: Coroutine[Any, Any, list[httpx.Response]]) -> list[httpx.Response]:
    """``asyncio.run`` in a thread of its own: a browser test earlier in the same worker may
    have left an event loop running in the main thread (Playwright's sync API)."""
    out: list[list[httpx.Response]] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(coro)))
    thread.start()
    thread.join()
    assert out, "the concurrent requests did not finish"
    return out[0]


def test_hundred_concurrent_bookings_one_accepted(actors: Actors, server: str) -> None:
    field = make_field(actors.platform, actors.commune_a, 105.60, 10.45,
                       farmer_id=actors.farmer_a.id, organisation_id=actors.coop_a.id)
    machine = actors.client.post("/api/v1/market/equipment", headers=actors.headers("coop_a"),
                                 json={"kind": "drone", "name": "Drone DJI T40",
                                       "rate_vnd": 150_000, "rate_unit": "ha", "lon": 105.59,
                                       "lat": 10.44, "working_radius_km": 20}).json()
    body = {"equipment_id": machine["id"], "field_ids": [field],
            "starts_at": "2030-05-10T06:00:00+07:00", "ends_at": "2030-05-10T08:00:00+07:00"}
    responses = _run_in_own_thread(_fire(server, actors.token("farmer_a"), body))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == N - 1, codes
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "đặt" in r.json()["detail"]
    with actors.platform.uow(SYSTEM) as uow:
        assert uow.session.query(Slot).filter(Slot.status == "confirmed").count() == 1
