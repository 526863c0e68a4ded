"""The unit of work: the one place a transaction is opened and committed.

Services do ``with uow: ...; uow.commit()``. Leaving the block without commit (an error half-way
through a use case) rolls everything back. Nested use (a service calling another) shares the
outer transaction; only the outermost commit is real.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.orm import Session, sessionmaker

from nongso.core.permissions import ANONYMOUS, Principal


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Any], principal: Principal = ANONYMOUS):
        self._factory = session_factory
        self.principal = principal
        self._session: Session | None = None
        self._depth = 0
        self._commit_requested = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._session = self._factory()
            self._session.info["principal"] = self.principal
            self._commit_requested = False
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        session, self._session = self._session, None
        assert session is not None
        try:
            if exc_type is None and self._commit_requested:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        """Ask for the changes to be kept; they are committed when the outermost block ends.

        Flushes now so that constraint errors surface inside the use case.
        """
        self.session.flush()
        self._commit_requested = True

    def rollback(self) -> None:
        self._commit_requested = False
        self.session.rollback()

    def as_principal(self, principal: Principal) -> UnitOfWork:
        """A fresh unit of work on the same database acting as another principal."""
        return UnitOfWork(self._factory, principal)
