"""Shared test helpers: actors of every role, a query counter, the API CRUD test mixin."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from nongso.accounts import services as accounts
from nongso.accounts.schemas import UserCreate
from nongso.all_models import Base
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import services as registry
from nongso.registry.schemas import FarmerCreate, OrganisationCreate
from nongso.units import services as units

PASSWORD = "mat-khau-thu-nghiem"
# Tables the suite keeps between tests (loaded once per database).
REFERENCE_TABLES = {"admin_units", "admin_unit_lineage", "alembic_version"}


def wipe_database(platform: Platform) -> None:
    """Empty every table but the reference ones, and the trace log's witness of checkpoints
    (it describes the database just emptied)."""
    with platform.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
    (platform.settings.var_dir / "trace" / "checkpoints.log").unlink(missing_ok=True)


class Actors:
    """Two communes (A, B) of province 82, their co-operatives and farmers, a user per role."""

    def __init__(self, platform: Platform, client: TestClient) -> None:
        self.platform = platform
        self.client = client
        communes = units.communes_of_province(platform.uow(), "82")
        rural = [c for c in communes if c.type.startswith("Xã")]
        self.commune_a, self.commune_b = rural[0].code, rural[1].code
        uow = platform.uow(SYSTEM)
        self.coop_a = registry.create_organisation(uow, OrganisationCreate(
            kind="cooperative", name="HTX Thử nghiệm A", commune_code=self.commune_a))
        self.coop_b = registry.create_organisation(uow, OrganisationCreate(
            kind="cooperative", name="HTX Thử nghiệm B", commune_code=self.commune_b))
        self.buyer_org = registry.create_organisation(uow, OrganisationCreate(
            kind="buyer", name="Công ty Thu mua Thử nghiệm", commune_code=self.commune_a))
        self.farmer_a = registry.create_farmer(uow, FarmerCreate(
            full_name="Nguyễn Văn Thử", commune_code=self.commune_a,
            organisation_id=self.coop_a.id, phone="0900 000 001"))
        self.farmer_b = registry.create_farmer(uow, FarmerCreate(
            full_name="Trần Thị Nghiệm", commune_code=self.commune_b,
            organisation_id=self.coop_b.id, phone="0900 000 002"))
        self.users: dict[str, int] = {}
        self._tokens: dict[str, str] = {}
        for name, role, extra in [
            ("admin", "admin", {}),
            ("province", "province_officer", {"unit_code": "82"}),
            ("other_province", "province_officer", {"unit_code": "92"}),
            ("commune_a", "commune_officer", {"unit_code": self.commune_a}),
            ("commune_b", "commune_officer", {"unit_code": self.commune_b}),
            ("coop_a", "coop_manager", {"organisation_id": self.coop_a.id}),
            ("farmer_a", "farmer", {"farmer_id": self.farmer_a.id}),
            ("buyer", "buyer", {"organisation_id": self.buyer_org.id}),
            ("inspector", "inspector", {"unit_code": "82"}),
        ]:
            user = accounts.create_user(uow, UserCreate(
                username=f"t_{name}", full_name=name, password=PASSWORD, role=role, **extra))
            self.users[name] = user.id

    def token(self, name: str) -> str:
        if name not in self._tokens:
            tok = accounts.issue_token(self.platform.uow(), f"t_{name}", PASSWORD, "test")
            self._tokens[name] = tok.access_token
        return self._tokens[name]

    def headers(self, name: str | None) -> dict[str, str]:
        if name is None:
            return {}
        return {"Authorization": f"Bearer {self.token(name)}"}


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries(engine: Engine) -> Iterator[QueryCounter]:
    """Count the SQL statements the engine runs inside the block."""
    counter = QueryCounter()

    def _on(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", _on)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", _on)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """A problem+json answer (RFC 9457) with the expected status and a message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    return body


class ApiCrudContract:
    """A reusable API test mixin: list, get, create, update, delete, denied, not found, invalid,
    and no N+1 on the list endpoint. A subclass fills in the resource's specifics."""

    path: str = ""
    writer: str = "admin"  # an actor allowed to write
    denied: str = "farmer_a"  # an authenticated actor that may not write
    reader: str | None = "admin"  # an actor that may read (None: anonymous)
    update_field: str = "full_name"
    # What the denied actor gets when it changes or deletes a record: 403, or 404 where the
    # record is not even visible to it (it then learns nothing about the record).
    denied_write_status: int = 403

    # Each resource's test class defines: the JSON body of a valid create, numbered n.
    make_payload: Callable[[Any, Actors, int], dict[str, Any]]

    def update_payload(self) -> dict[str, Any]:
        return {self.update_field: "Tên đã sửa — Đồng Tháp"}

    def invalid_payload(self, actors: Actors) -> dict[str, Any]:
        payload = self.make_payload(actors, 999)
        payload["unexpected_field"] = "x"
        return payload

    def _create(self, actors: Actors, n: int = 1) -> dict[str, Any]:
        r = actors.client.post(self.path, json=self.make_payload(actors, n),
                               headers=actors.headers(self.writer))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def test_create_and_get(self, actors: Actors) -> None:
        created = self._create(actors)
        r = actors.client.get(f"{self.path}/{created['id']}", headers=actors.headers(self.writer))
        assert r.status_code == 200
        assert r.json() == created

    def test_list(self, actors: Actors) -> None:
        created = self._create(actors)
        r = actors.client.get(self.path, params={"limit": 500},
                              headers=actors.headers(self.reader))
        assert r.status_code == 200
        body = r.json()
        assert created["id"] in [i["id"] for i in body["items"]]
        assert body["total"] >= 1 and body["limit"] == 500

    def test_page_size_has_a_hard_maximum(self, actors: Actors) -> None:
        r = actors.client.get(self.path, params={"limit": 501},
                              headers=actors.headers(self.reader))
        assert_problem(r, 422)

    def test_update(self, actors: Actors) -> None:
        created = self._create(actors)
        r = actors.client.patch(f"{self.path}/{created['id']}", json=self.update_payload(),
                                headers=actors.headers(self.writer))
        assert r.status_code == 200, r.text
        for key, value in self.update_payload().items():
            assert r.json()[key] == value

    def test_delete(self, actors: Actors) -> None:
        created = self._create(actors)
        r = actors.client.delete(f"{self.path}/{created['id']}",
                                 headers=actors.headers(self.writer))
        assert r.status_code == 204
        r = actors.client.get(f"{self.path}/{created['id']}", headers=actors.headers(self.writer))
        assert_problem(r, 404)

    def test_permission_denied(self, actors: Actors) -> None:
        r = actors.client.post(self.path, json=self.make_payload(actors, 2),
                               headers=actors.headers(self.denied))
        assert_problem(r, 403)
        created = self._create(actors, 3)
        r = actors.client.patch(f"{self.path}/{created['id']}", json=self.update_payload(),
                                headers=actors.headers(self.denied))
        assert_problem(r, self.denied_write_status)
        r = actors.client.delete(f"{self.path}/{created['id']}",
                                 headers=actors.headers(self.denied))
        assert_problem(r, self.denied_write_status)
        r = actors.client.get(f"{self.path}/{created['id']}", headers=actors.headers(self.writer))
        assert r.json() == created  # unchanged

    def test_anonymous_cannot_write(self, actors: Actors) -> None:
        r = actors.client.post(self.path, json=self.make_payload(actors, 4))
        assert_problem(r, 401)

    def test_not_found(self, actors: Actors) -> None:
        r = actors.client.get(f"{self.path}/987654", headers=actors.headers(self.writer))
        body = assert_problem(r, 404)
        assert "987654" in body["detail"]

    def test_validation_error(self, actors: Actors) -> None:
        r = actors.client.post(self.path, json=self.invalid_payload(actors),
                               headers={**actors.headers(self.writer), "Accept-Language": "vi"})
        body = assert_problem(r, 422)
        assert any("unexpected_field" in e["loc"] for e in body["errors"])
        r = actors.client.get(self.path, params={"limit": 500},
                              headers=actors.headers(self.writer))
        assert all(i.get("full_name") != "invalid" for i in r.json()["items"])

    def test_list_queries_do_not_grow_with_page_size(self, actors: Actors) -> None:
        for n in range(5, 15):
            self._create(actors, n)
        engine = actors.platform.engine
        headers = actors.headers(self.reader)
        actors.client.get(self.path, params={"limit": 1}, headers=headers)  # warm up auth
        with count_queries(engine) as small:
            actors.client.get(self.path, params={"limit": 2}, headers=headers)
        with count_queries(engine) as large:
            actors.client.get(self.path, params={"limit": 10}, headers=headers)
        assert large.count == small.count, (small.statements, large.statements)


__all__ = ["PASSWORD", "Actors", "ApiCrudContract", "assert_problem", "count_queries", "pytest"]
