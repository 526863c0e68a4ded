"""Use case: the EPCIS 2.0 query interface (``GET /epcis/events``, ``/epcis/events/{eventID}``,
the event types and vocabularies in use), paged with tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, false, or_, select

from nongso.core import clock
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.trace import epcis, query_language
from nongso.trace.epcis import EpcisError
from nongso.trace.models import EpcisEvent, EventRef
from nongso.trace.schemas import QueryResult
from nongso.trace.services._common import READ_ROLES, epcis_json_loads
from nongso.trace.services._tenancy import event_clause, reach


def _escape_like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ref_filter(match: query_language.Match) -> Any:
    conditions = []
    if match.values:
        conditions.append(EventRef.value.in_(match.values))
    for prefix in match.prefixes:
        conditions.append(EventRef.value.like(_escape_like(prefix) + "%", escape="\\"))
    sub = select(EventRef.event_pk).where(EventRef.field.in_(match.fields),
                                          or_(*conditions) if conditions else false())
    if match.kind is not None:
        sub = sub.where(EventRef.kind == match.kind)
    return EpcisEvent.id.in_(sub)


def _query_statement(query: query_language.EventQuery, visible: Any) -> Any:
    stmt = select(EpcisEvent.id, EpcisEvent.event_time, EpcisEvent.record_time,
                  EpcisEvent.document, EpcisEvent.namespaces).where(visible)
    if query.event_types:
        stmt = stmt.where(EpcisEvent.event_type.in_(query.event_types))
    columns = {"GE_eventTime": EpcisEvent.event_time, "LT_eventTime": EpcisEvent.event_time,
               "GE_recordTime": EpcisEvent.record_time, "LT_recordTime": EpcisEvent.record_time}
    for name, at in query.times:
        column = columns[name]
        stmt = stmt.where(column >= at if name.startswith("GE") else column < at)
    for column_name, values in query.equals:
        stmt = stmt.where(getattr(EpcisEvent, column_name).in_(values))
    for match in query.matches:
        stmt = stmt.where(_ref_filter(match))
    if query.exists_error_declaration is not None:
        stmt = stmt.where(EpcisEvent.has_error_declaration.is_(
            query.exists_error_declaration))
    return stmt


def _merge_namespaces(rows: Sequence[Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    merged: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for row in rows:
        event = epcis_json_loads(row.document)
        conflicting = {k: v for k, v in row.namespaces.items() if merged.get(k, v) != v}
        for key, value in row.namespaces.items():
            merged.setdefault(key, value)
        if conflicting:  # another event used the prefix for another namespace
            own = event.get("@context")
            event["@context"] = [own, conflicting] if own else conflicting
        events.append(event)
    return events, merged


def query_events(
    uow: UnitOfWork, params: Sequence[tuple[str, str]], *, path_event_type: str | None = None,
) -> QueryResult:
    """``GET /epcis/events``: an EPCISQueryDocument page and the token of the next page."""
    require_role(uow.principal, *READ_ROLES)
    query = query_language.parse_query(params, max_per_page=get_settings().max_page_size,
                              path_event_type=path_event_type)
    token_text = next((v for k, v in params if k == "nextPageToken"), None)
    token = query_language.PageToken.decode(token_text, query) if token_text else None
    with uow:
        stmt = _query_statement(query, event_clause(reach(uow)))
    sort = {"eventTime": EpcisEvent.event_time, "recordTime": EpcisEvent.record_time}.get(
        query.order_by or "")
    returned = token.returned if token else 0
    limit = query.per_page
    if query.event_count_limit is not None:
        limit = min(limit, max(query.event_count_limit - returned, 0))
    if token is not None:
        if sort is None:
            stmt = stmt.where(EpcisEvent.id > token.after_id)
        elif query.descending:
            stmt = stmt.where(or_(sort < token.after_time, and_(
                sort == token.after_time, EpcisEvent.id < token.after_id)))
        else:
            stmt = stmt.where(or_(sort > token.after_time, and_(
                sort == token.after_time, EpcisEvent.id > token.after_id)))
    if sort is None:
        stmt = stmt.order_by(EpcisEvent.id)
    elif query.descending:
        stmt = stmt.order_by(sort.desc(), EpcisEvent.id.desc())
    else:
        stmt = stmt.order_by(sort.asc(), EpcisEvent.id.asc())
    with uow:
        rows = uow.session.execute(stmt.limit(limit + 1)).all() if limit > 0 else []
    more = len(rows) > limit
    rows = rows[:limit]
    events, namespaces = _merge_namespaces(rows)
    next_token = None
    if more and rows:
        last = rows[-1]
        after_time = None if sort is None else (
            last.event_time if query.order_by == "eventTime" else last.record_time)
        next_token = query_language.PageToken(query.fingerprint(), after_time, last.id,
                                     returned + len(rows)).encode()
    return QueryResult(document=query_language.query_document(events, namespaces, clock.now()),
                       next_token=next_token)


def get_event(uow: UnitOfWork, event_id: str) -> dict[str, Any]:
    """``GET /epcis/events/{eventID}``: an EPCISQueryDocument with that one event."""
    require_role(uow.principal, *READ_ROLES)
    with uow:
        rows = uow.session.execute(
            select(EpcisEvent.document, EpcisEvent.namespaces)
            .where(EpcisEvent.event_id == event_id, event_clause(reach(uow)))).all()
    if not rows:
        raise EpcisError("NoSuchNameException", 404,
                         f"Không có sự kiện «{event_id}».", f"There is no event '{event_id}'.")
    events, namespaces = _merge_namespaces(rows)
    return query_language.query_document(events, namespaces, clock.now())


def event_types(uow: UnitOfWork) -> list[str]:
    require_role(uow.principal, *READ_ROLES)
    with uow:
        present = set(uow.session.scalars(select(EpcisEvent.event_type).where(
            event_clause(reach(uow))).distinct()))
    return [t for t in epcis.EVENT_TYPES if t in present]


def vocabulary_values(uow: UnitOfWork, column: str, limit: int = 500) -> list[str]:
    """The distinct business steps, dispositions, read points or business locations used."""
    require_role(uow.principal, *READ_ROLES)
    attribute = getattr(EpcisEvent, column)
    with uow:
        return [v for v in uow.session.scalars(
            select(attribute).where(attribute.is_not(None), event_clause(reach(uow)))
            .distinct().order_by(attribute)
            .limit(limit))]
