"""Schemathesis over the whole OpenAPI document: no operation answers a server error (5xx).

Every operation of ``/api/v1/openapi.json`` (the platform's API, SensorThings, EPCIS and the
operations routes) is called with the cases schemathesis derives from the schema: its explicit
examples, its coverage phase (boundary values, missing and ``null`` fields, out-of-range numbers,
wrong types) and a bounded number of fuzzed cases, once anonymously and once with an
administrator's token (the role that reaches every code path). The run is seeded and
derandomized (the same cases every time), on SQLite and on PostgreSQL, against a small demo
province so that ids such as 1 name real records (the demo writes its own ids from 1 on both
databases).

Only the 5xx check is made: the other schemathesis checks (response schemas, status codes
documented in the schema) are not promises this API makes yet. Nothing is excluded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from schemathesis.config import SchemathesisConfig

from nongso.accounts import services as accounts
from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.core.settings import Settings
from nongso.demo import services as demo
from tests.conftest import REFERENCE_TABLES

PASSWORD = "mat-khau-fuzz"
SEED = 20260414
# Fuzzed cases per operation after the explicit and coverage cases (which are all run).
MAX_EXAMPLES = 8


def _schema_document() -> dict[str, Any]:
    """The OpenAPI document (built without touching a database)."""
    app = create_app(Platform.create(Settings(database_url="sqlite://")))
    document: dict[str, Any] = app.openapi()
    return document


CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(_schema_document(), config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_app(_platform: Platform) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app on a small demo province, and an administrator's bearer token."""
    from sqlalchemy import text

    from nongso.all_models import Base

    demo.build_demo(_platform.uow(SYSTEM), "82", PASSWORD, scale=0.01)
    token = accounts.issue_token(_platform.uow(), "admin", PASSWORD, "fuzz").access_token
    app = create_app(_platform)
    with TestClient(app):  # runs the lifespan (start-up) once
        yield app, {"Authorization": f"Bearer {token}"}
    with _platform.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
        del text


@pytest.fixture(params=["anonymous", "admin"])
def auth(request: pytest.FixtureRequest, fuzz_app: tuple[FastAPI, dict[str, str]]
         ) -> dict[str, str]:
    return {} if request.param == "anonymous" else fuzz_app[1]


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=MAX_EXAMPLES,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case: Any, fuzz_app: tuple[FastAPI, dict[str, str]],
                         auth: dict[str, str]) -> None:
    app, _ = fuzz_app
    response = case.call(app=app, headers=auth)
    assert response.status_code < 500, (
        f"{response.status_code} on {case.method} {case.formatted_path}\n"
        f"{case.as_curl_command()}\n{response.text[:2000]}"
    )
