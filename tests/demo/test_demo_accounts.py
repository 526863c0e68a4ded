"""The demo accounts log in with their scope, and the registry's sequences continue after the
demo (one demo build for the module: these tests only read it or add to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services
from nongso.units import services as units
from tests.helpers import wipe_database


@pytest.fixture(scope="module")
def built(_platform: Platform) -> Iterator[Platform]:
    """One demo for the tests that only read it or add to it (CI time budget)."""
    try:
        services.build_demo(_platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
        yield _platform
    finally:
        wipe_database(_platform)


def test_demo_accounts_can_log_in_with_their_scope(built: Platform) -> None:
    from fastapi.testclient import TestClient

    from nongso.app import create_app

    platform = built
    with TestClient(create_app(platform)) as client:
        r = client.post("/api/v1/auth/token",
                        json={"username": "canbo.xa", "password": "mat-khau-demo"})
        assert r.status_code == 200
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        farmers = client.get("/api/v1/farmers", params={"limit": 500}, headers=headers).json()
        me = client.get("/api/v1/me", headers=headers).json()
        assert farmers["total"] > 0
        assert {f["commune_code"] for f in farmers["items"]} == {me["unit_code"]}
        summary = client.get("/api/v1/provinces/82/summary").json()
        row = next(c for c in summary["by_commune"] if c["code"] == me["unit_code"])
        assert row["farmers"] == farmers["total"]


def test_sequences_continue_after_the_demo(built: Platform) -> None:
    from nongso.registry import services as registry
    from nongso.registry.schemas import OrganisationCreate

    platform = built
    commune = units.communes_of_province(platform.uow(), "82")[0].code
    org = registry.create_organisation(platform.uow(SYSTEM), OrganisationCreate(
        kind="cooperative", name="HTX sau demo", commune_code=commune))
    assert org.id > 0
