"""Concurrent writes through a real server (uvicorn's thread pool, real threads on the client
side): never a 500. Concurrent ``PATCH`` of one production unit answers 200 or 409 with its
reason and leaves a gapless version history that matches the answers; concurrent writers on
SQLite wait for each other (busy timeout) or get 503 with ``Retry-After``, never "database is
locked" as a 500."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.helpers import Actors
from tests.market.test_booking_concurrency import server  # noqa: F401  (the fixture)
from tests.registry.shapes import TAN_PHUOC_1, rect

THREADS = 8


def _in_threads(n: int, work: Any) -> list[httpx.Response]:
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            try:
                out[i] = work(client, i)
            except Exception as exc:  # reported by the assertion below
                out[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert all(isinstance(r, httpx.Response) for r in out), out
    return out


def _ok_or_explained(r: httpx.Response, allowed: tuple[int, ...]) -> None:
    assert r.status_code in allowed, (r.status_code, r.text)
    if r.status_code == 409:
        assert r.json()["detail"], r.text  # a reason, not a bare status
    if r.status_code == 503:
        assert int(r.headers["Retry-After"]) > 0


def test_concurrent_patch_of_one_unit(actors: Actors, server: str) -> None:  # noqa: F811
    h = actors.headers("commune_a")
    r = actors.client.post("/api/v1/registry/production-units", headers=h, json={
        "kind": "planting_area", "name": "Vùng tranh chấp", "code": "VN-DTOR-9090",
        "commune_code": actors.commune_a, "crop": "longan",
        "geometry": rect(*TAN_PHUOC_1, 120, 100)})
    assert r.status_code == 201, r.text
    unit = r.json()["id"]
    url = f"{server}/api/v1/registry/production-units/{unit}"

    answers = _in_threads(THREADS, lambda c, i: c.patch(url, headers=h,
                                                        json={"name": f"Tên {i}"}))
    for r in answers:
        _ok_or_explained(r, (200, 409, 503))
    won = [i for i, r in enumerate(answers) if r.status_code == 200]
    assert won, [r.text for r in answers]
    history = actors.client.get(f"/api/v1/registry/production-units/{unit}/history",
                                headers=h).json()
    items = history["items"] if isinstance(history, dict) else history
    versions = sorted(v["version"] for v in items)
    assert versions == list(range(1, len(won) + 2)), versions  # one per 200, no gap
    names = {v["name"] for v in items if v["version"] > 1}
    assert names == {f"Tên {i}" for i in won}
    latest = max(items, key=lambda v: v["version"])
    current = actors.client.get(f"/api/v1/registry/production-units/{unit}", headers=h).json()
    assert current["name"] == latest["name"]


def test_concurrent_writers_never_fail_with_500(actors: Actors, server: str) -> None:  # noqa: F811
    """Many writers at once on different rows (SQLite has one writer at a time)."""
    h = actors.headers("commune_a")

    def create(c: httpx.Client, i: int) -> httpx.Response:
        return c.post(f"{server}/api/v1/farmers", headers=h, json={
            "full_name": f"Nông hộ đồng thời {i}", "commune_code": actors.commune_a})

    answers = _in_threads(THREADS * 2, create)
    for r in answers:
        _ok_or_explained(r, (201, 503))
    created = [r.json()["id"] for r in answers if r.status_code == 201]
    assert len(set(created)) == len(created)
    for farmer_id in created:
        assert actors.client.get(f"/api/v1/farmers/{farmer_id}",
                                 headers=h).status_code == 200
