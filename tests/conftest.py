"""Test fixtures: every database test runs on SQLite AND on PostgreSQL (real servers).

PostgreSQL: a fresh database is created on 127.0.0.1:5432 (or NONGSO_TEST_PG_URL, the URL of a
database whose user may CREATE DATABASE) and dropped at the end. If the server cannot be
reached the PostgreSQL tests fail with a message saying so; they never skip.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Settings for the whole test run, before any nongso module reads them.
_VAR = Path(tempfile.mkdtemp(prefix="nongso-test-var-"))
# Each xdist worker its own folder (the workers inherit the controller's environment).
os.environ["NONGSO_VAR_DIR"] = str(_VAR)
os.environ.setdefault("NONGSO_ARGON2_TIME_COST", "1")
os.environ.setdefault("NONGSO_ARGON2_MEMORY_KIB", "8192")
os.environ.setdefault("NONGSO_SECRET_KEY", "test-secret-key-not-for-production")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from nongso.app import create_app  # noqa: E402
from nongso.core import migrate  # noqa: E402
from nongso.core.platform import Platform  # noqa: E402
from nongso.core.settings import Settings  # noqa: E402
from nongso.units import services as units  # noqa: E402
from nongso.wiring import register_handlers  # noqa: E402
from tests.helpers import Actors, wipe_database  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str:
    return os.environ.get("NONGSO_TEST_PG_URL", PG_DEFAULT)


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    admin_url = make_url(_pg_admin_url())
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {admin_url.render_as_string(hide_password=True)} "
            f"({type(exc).__name__}: {exc}).\nThe suite runs on SQLite AND PostgreSQL. Start the "
            "server (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or point "
            "NONGSO_TEST_PG_URL at one.",
            pytrace=False,
        )
    name = f"nongso_test_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database of this leg of the suite, migrated and loaded with reference data."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'nongso.db'}"
    else:
        url = request.getfixturevalue("_pg_database")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def _platform(db_url: str) -> Iterator[Platform]:
    register_handlers()  # what the entry points (app, ``nongso`` command) do first
    platform = Platform.create(Settings(database_url=db_url, var_dir=_VAR))
    units.load_reference_data(platform.uow())
    yield platform
    platform.engine.dispose()


@pytest.fixture
def platform(_platform: Platform) -> Iterator[Platform]:
    """The platform on a clean database (reference units kept, everything else emptied)."""
    yield _platform
    wipe_database(_platform)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform, client: TestClient) -> Actors:
    """Users of every role in two communes, with bearer-token headers."""
    return Actors(platform, client)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
