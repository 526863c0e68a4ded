"""The one writer of map features: create, update, delete and the history of production units,
infrastructure and soil map units.

The three kinds are written the same way — a geometry checked and measured, the commune
derived from it (or declared), flags, validity, a version per change — and differ only in what
a :class:`FeatureKind` describes: the table, who may write, what is measured, which checks run
and what follows a write. The kinds themselves are described in
:mod:`~nongso.registry.services.production_units`, :mod:`~.infrastructure` and
:mod:`~.soil_units`.

The order of the checks is part of the behaviour (which error a bad request gets first):

* create: geometry → commune → permission → :attr:`FeatureKind.check` →
  :attr:`FeatureKind.rules`;
* update: permission → effective date → geometry → commune → :attr:`FeatureKind.rules` →
  permission again (the commune or the organisation may have changed) →
  :attr:`FeatureKind.check`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import not_found
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.registry import rules, versioning
from nongso.registry.models import FeatureVersion
from nongso.registry.schemas import VersionPublic
from nongso.registry.services._common import (
    effective_for_create,
    effective_for_update,
    geometry_columns,
    parse_geometry,
    place,
    search_key,
    stored_geometry,
)

Row = TypeVar("Row")
"""A feature table's row: ``id``, ``name``, ``code``, ``commune_code``, ``province_code``,
``status``, ``geometry`` (+ its bounding box), ``flags``, ``search_key``, ``valid_from``…"""
Public = TypeVar("Public", bound=BaseModel)
Hide = Callable[[dict[str, Any]], dict[str, Any]]


def _show_all(props: dict[str, Any]) -> dict[str, Any]:
    return props


def _no_flags(row: Any) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True)
class FeatureKind(Generic[Row, Public]):
    """What the writer needs to know about one kind of map feature."""

    collection: str
    """The table, and the feature's collection in the versions table."""
    model: type[Row]
    noun: tuple[str, str]
    """What a 404 calls it (Vietnamese, English)."""
    public: Callable[[Principal, Row], Public]
    """The row as the API shows it to this principal."""
    may_write: Callable[[Principal, str, str, int | None], bool]
    """(principal, commune, province, organisation id) → allowed."""
    geometry_kind: Callable[[Any], str]
    """The kind whose geometry rules apply, of a create schema or a row."""
    measure: Callable[[Row, BaseGeometry], None]
    """Sets the sizes derived from a new geometry (area, length)."""
    check: Callable[[UnitOfWork, Row], None]
    """Checks of the record (validity, codes, references)."""
    rules: Callable[[UnitOfWork, Row], None] | None = None
    """Checks that need the geometry at hand; when given, an update re-reads the stored
    geometry and re-derives :attr:`derived_flags` even if only attributes changed."""
    derived_flags: Callable[[Row], list[dict[str, Any]]] = _no_flags
    derived_flag_codes: frozenset[str] = frozenset()
    """Flags recomputed from the row on every write (codes: those they replace)."""
    after_write: Callable[[Session, Row, bool], None] | None = None
    """What follows a flushed write (session, row, created)."""
    hide: Callable[[Principal], Hide] = lambda p: _show_all
    """What of a version's properties the principal may not see."""


def load(s: Session, kind: FeatureKind[Row, Any], feature_id: int,
         for_update: bool = False) -> Row:
    """The feature; ``for_update`` locks its row until the end of the transaction (PostgreSQL:
    concurrent changes of one feature are serialised, each a new version; SQLite serialises
    writers itself and a lost race is a 409)."""
    row: Any = s.get(kind.model, feature_id, with_for_update=for_update)
    if row is None or row.status == "deleted":
        raise not_found(kind.noun[0], kind.noun[1], feature_id)
    found: Row = row
    return found


def _organisation(obj: Any) -> int | None:
    value = getattr(obj, "organisation_id", None)
    return int(value) if value is not None else None


def _set_geometry(kind: FeatureKind[Any, Any], row: Any, geom: BaseGeometry) -> None:
    for key, value in geometry_columns(geom).items():
        setattr(row, key, value)
    kind.measure(row, geom)


def create(uow: UnitOfWork, kind: FeatureKind[Row, Public], data: Any) -> Public:
    """A new feature from its create schema (``geometry`` and ``commune_code`` included)."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        geom = parse_geometry(data.geometry, kind.geometry_kind(data))
        commune, commune_flag = place(uow, geom, data.commune_code)
        if not kind.may_write(uow.principal, commune.code, commune.province_code,
                              _organisation(data)):
            raise deny()
        row: Any = cast(Any, kind.model)(**data.model_dump(exclude={"geometry", "commune_code"}),
                         commune_code=commune.code, province_code=commune.province_code,
                         search_key=search_key(data.name, data.code))
        _set_geometry(kind, row, geom)
        row.flags = kind.derived_flags(row) + ([commune_flag] if commune_flag else [])
        kind.check(uow, row)
        if kind.rules is not None:
            kind.rules(uow, row)
        versioning.set_effective(s, effective_for_create(data.valid_from))
        s.add(row)
        s.flush()
        if kind.after_write is not None:
            kind.after_write(s, row, True)
        uow.commit()
        return kind.public(uow.principal, row)


def update(uow: UnitOfWork, kind: FeatureKind[Row, Public], feature_id: int,
           data: BaseModel) -> Public:
    """Change a feature (only the fields given); ``effective_date`` dates the change."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        p = uow.principal
        row: Any = load(s, kind, feature_id, for_update=True)
        if not kind.may_write(p, row.commune_code, row.province_code, _organisation(row)):
            raise deny()
        changes = data.model_dump(exclude_unset=True)
        effective = effective_for_update(uow, kind.collection, row.id,
                                         changes.pop("effective_date", None))
        versioning.set_effective(s, effective)
        raw_geometry = changes.pop("geometry", None)
        declared = changes.pop("commune_code", None)
        for key, value in changes.items():
            setattr(row, key, value)
        relocated = raw_geometry is not None or declared is not None
        geom: BaseGeometry | None = None
        if raw_geometry is not None:
            geom = parse_geometry(raw_geometry, kind.geometry_kind(row))
            _set_geometry(kind, row, geom)
        elif relocated or kind.rules is not None:
            geom = stored_geometry(row.geometry)
        if geom is not None:
            if relocated:
                commune, commune_flag = place(uow, geom, declared, row.commune_code)
                row.commune_code, row.province_code = commune.code, commune.province_code
                row.flags = rules.replace_flags(row.flags, {"commune_mismatch"},
                                                [commune_flag] if commune_flag else [])
            if kind.derived_flag_codes:
                row.flags = rules.replace_flags(row.flags, set(kind.derived_flag_codes),
                                                kind.derived_flags(row))
            if kind.rules is not None:
                kind.rules(uow, row)
        if not kind.may_write(p, row.commune_code, row.province_code, _organisation(row)):
            raise deny()
        kind.check(uow, row)
        row.search_key = search_key(row.name, row.code)
        s.flush()
        if kind.after_write is not None:
            kind.after_write(s, row, False)
        uow.commit()
        return kind.public(p, row)


def delete(uow: UnitOfWork, kind: FeatureKind[Row, Any], feature_id: int) -> None:
    """Retire a feature from the current map (its id and history stay: other domains keep
    their references; "as of" an earlier date it is still shown)."""
    require_login(uow.principal)
    with uow:
        s = uow.session
        row: Any = load(s, kind, feature_id, for_update=True)
        if not kind.may_write(uow.principal, row.commune_code, row.province_code,
                              _organisation(row)):
            raise deny()
        versioning.set_effective(s, clock.now())
        row.status = "deleted"
        s.flush()
        if kind.after_write is not None:
            kind.after_write(s, row, False)
        uow.commit()


def history(uow: UnitOfWork, kind: FeatureKind[Any, Any], feature_id: int) -> list[VersionPublic]:
    """Every version of a feature, oldest first (public; hidden what the principal may not
    see)."""
    with uow:
        return versions(uow, kind.collection, feature_id, kind.hide(uow.principal))


def versions(uow: UnitOfWork, collection: str, feature_id: int,
             hide: Hide) -> list[VersionPublic]:
    """The versions of any versioned record (features and organisations). Inside ``with uow``."""
    rows = uow.session.scalars(
        select(FeatureVersion).where(FeatureVersion.collection == collection,
                                     FeatureVersion.feature_id == feature_id)
        .order_by(FeatureVersion.version)
    ).all()
    if not rows:
        raise not_found("đối tượng", "feature", feature_id)
    return [VersionPublic(
        version=r.version, change=r.change, valid_from=r.valid_from, valid_to=r.valid_to,
        recorded_at=r.recorded_at, actor=r.actor if uow.principal.is_authenticated else "",
        name=r.name, code=r.code, commune_code=r.commune_code, status=r.status,
        geometry=json.loads(r.geometry) if r.geometry else None,
        properties=hide(dict(r.properties or {})),
    ) for r in rows]
