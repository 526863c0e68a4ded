"""The running platform: settings, engine and session factory, made once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from nongso.core.db import make_engine, make_session_factory
from nongso.core.permissions import SYSTEM, Principal
from nongso.core.settings import Settings, get_settings
from nongso.core.uow import UnitOfWork


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Any]

    @classmethod
    def create(cls, settings: Settings | None = None) -> Platform:
        settings = settings or get_settings()
        engine = make_engine(settings.resolved_database_url(), echo=settings.sql_echo)
        return cls(settings, engine, make_session_factory(engine))

    def uow(self, principal: Principal = SYSTEM) -> UnitOfWork:
        return UnitOfWork(self.session_factory, principal)

    def check_database(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
