"""Alembic environment: the URL comes from NONGSO_DATABASE_URL (or the config's attribute)."""

from __future__ import annotations

from alembic import context

from nongso.all_models import Base
from nongso.core.db import make_engine
from nongso.core.settings import get_settings

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("url") or get_settings().resolved_database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave out of the comparison what the models cannot describe: the registry's spatial
    index (SQLite R*Tree virtual tables and their shadow tables, PostgreSQL GiST indexes on
    expressions), created by its migration."""
    from nongso.registry.spatial import is_index_object

    return not (reflected and compare_to is None and is_index_object(name, type_))


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode for ALTER TABLE
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
