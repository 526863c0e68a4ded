"""What every use case of the diary shares: the scope and permission checks on the scope
columns every diary row carries, the error for a bad field, the organisation look-up through the
registry's services, time (a time without a zone is Vietnam time; nothing in the future) and
one page of a list with its total.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from nongso.core import clock
from nongso.core.errors import AppError, FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationRef

R = TypeVar("R")
P = TypeVar("P")

VN = rules.VN
# Namespace of the UUIDs the server derives (planned tasks of a template, imported rows).
UUID_NS = uuid.UUID("6f9c1d2e-5b1a-4c36-9a57-0d1a4e1b2c3d")


class UnsupportedMedia(AppError):
    status, code = 415, "unsupported-media-type"
    title_vi, title_en = "Định dạng không được hỗ trợ", "Unsupported media type"


def _invalid(loc: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(vi, en, [FieldError(loc, vi, en)])


# --- scope and permissions ------------------------------------------------------------------

def _scope_clause(p: Principal, model: Any) -> ColumnElement[bool]:
    """The rows of ``model`` (with scope columns) the principal may read."""
    require_login(p)
    if p.is_admin:
        return true()
    if p.role in ("province_officer", "inspector"):
        return model.province_code == p.unit_code  # type: ignore[no-any-return]
    if p.role == "commune_officer":
        return model.commune_code == p.unit_code  # type: ignore[no-any-return]
    if p.role == "coop_manager":
        return model.organisation_id == p.organisation_id  # type: ignore[no-any-return]
    if p.role == "farmer":
        return model.farmer_id == p.farmer_id  # type: ignore[no-any-return]
    raise deny()


def _can_read(p: Principal, row: Any) -> bool:
    if p.is_admin:
        return True
    if p.role in ("province_officer", "inspector", "commune_officer"):
        return p.covers_unit(row.commune_code, row.province_code)
    if p.role == "coop_manager":
        return row.organisation_id is not None and row.organisation_id == p.organisation_id
    if p.role == "farmer":
        return row.farmer_id is not None and row.farmer_id == p.farmer_id
    return False


def _can_write(p: Principal, row: Any) -> bool:
    if p.is_admin:
        return True
    if p.role == "coop_manager":
        return row.organisation_id is not None and row.organisation_id == p.organisation_id
    if p.role == "farmer":
        return row.farmer_id is not None and row.farmer_id == p.farmer_id
    return False


def _readable(p: Principal, row: Any, what_vi: str, what_en: str, key: object) -> None:
    if not _can_read(p, row):
        # Someone who may not see a record is told it does not exist (no probing).
        raise not_found(what_vi, what_en, key)


def _writable(p: Principal, row: Any, what_vi: str, what_en: str, key: object) -> None:
    _readable(p, row, what_vi, what_en, key)
    if not _can_write(p, row):
        raise deny()


def _page(s: Session, stmt: Select[R],
          order: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]], page: PageRequest,
          serialise: Callable[[Sequence[R]], list[P]]) -> Page[P]:
    """One page of the rows of ``stmt`` in this order, with the number of all its rows."""
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = s.scalars(stmt.order_by(*order).limit(page.limit).offset(page.offset)).all()
    return Page(items=serialise(rows), total=total, limit=page.limit, offset=page.offset)


# Through the registry's services: the diary never reads the registry's tables.

def _organisation(uow: UnitOfWork, org_id: int, loc: str) -> OrganisationRef:
    org = registry.organisation_ref(uow, org_id)
    if org is None:
        raise _invalid(loc, f"Tổ chức #{org_id} không tồn tại.",
                       f"Organisation #{org_id} does not exist.")
    return org


# --- time -------------------------------------------------------------------------------------

def _aware(at: dt.datetime) -> dt.datetime:
    """A moment in UTC; a time without a zone is Vietnam time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN)
    return at.astimezone(dt.UTC)


def _check_not_future(at: dt.datetime, loc: str) -> None:
    limit = clock.today_vn() + dt.timedelta(days=1)
    if rules.local_date(at) > limit:
        raise _invalid(
            loc, f"Ngày {rules.local_date(at):%d/%m/%Y} ở tương lai (sau ngày mai "
            f"{limit:%d/%m/%Y}); chỉ ghi việc đã làm.",
            f"{rules.local_date(at):%d/%m/%Y} is in the future (after tomorrow, "
            f"{limit:%d/%m/%Y}); record only what was done.",
        )
