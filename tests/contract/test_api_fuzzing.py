"""Schemathesis over the whole OpenAPI document: no operation answers a server error (5xx).

Every operation of ``/api/v1/openapi.json`` (the platform's API, SensorThings, EPCIS and the
operations routes) is called with the cases schemathesis derives from the schema: its explicit
examples, its coverage phase (boundary values, missing and ``null`` fields, out-of-range numbers,
wrong types) and a bounded number of fuzzed cases with an administrator's token (the role that
reaches every code path); and anonymously with the explicit examples and the fuzzed cases only:
every anonymous write is refused with 401 before its body is read (checked for every write
operation by ``tests/core/test_hostile_requests.py``), so the coverage phase would only repeat
that 401 a few thousand times. The run is seeded and
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
from tests.helpers import wipe_database

PASSWORD = "mat-khau-fuzz"
SEED = 20260414
# Fuzzed cases per operation after the explicit and coverage cases (which are all run).
MAX_EXAMPLES = 2


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
ANONYMOUS = SchemathesisConfig.from_dict({
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False},
               "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
})
DOCUMENT = _schema_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
anonymous_schema = schemathesis.openapi.from_dict(DOCUMENT, config=ANONYMOUS)
SETTINGS = hypothesis.settings(
    deadline=None, derandomize=True, database=None, max_examples=MAX_EXAMPLES,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_app(_platform: Platform) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app on a small demo province, and an administrator's bearer token."""
    demo.build_demo(_platform.uow(SYSTEM), "82", PASSWORD, scale=0.01)
    token = accounts.issue_token(_platform.uow(), "admin", PASSWORD, "fuzz").access_token
    app = create_app(_platform)
    with TestClient(app):  # runs the lifespan (start-up) once
        yield app, {"Authorization": f"Bearer {token}"}
    wipe_database(_platform)


def _call(case: Any, app: FastAPI, headers: dict[str, str]) -> None:
    # A generous timeout: a loaded 2-core CI machine computes a first price forecast slowly.
    response = case.call(app=app, headers=headers, timeout=120)
    assert response.status_code < 500, (
        f"{response.status_code} on {case.method} {case.formatted_path}\n"
        f"{case.as_curl_command()}\n{response.text[:2000]}"
    )


@schema.parametrize()
@SETTINGS
def test_no_server_error_with_a_token(case: Any, fuzz_app: tuple[FastAPI, dict[str, str]]
                                      ) -> None:
    _call(case, fuzz_app[0], fuzz_app[1])


@anonymous_schema.parametrize()
@SETTINGS
def test_no_server_error_anonymously(case: Any, fuzz_app: tuple[FastAPI, dict[str, str]]
                                     ) -> None:
    _call(case, fuzz_app[0], {})
