"""Use case: the EPCIS 2.0 capture interface (``POST /epcis/capture``, ``POST /epcis/events``)
and capture jobs; also how the platform captures the events it produces itself (``_record``).

Who may capture what: an organisation records events about its own lots (items, logistic
units) and about lots it received (a transfer it is party to: an event whose source or
destination is its party or one of its places); officers about the lots of their unit;
administrators anything. An identifier the platform does not know (another company's EPC
outside the platform) may be named; a known one of another organisation may not, nor a known
read point or business location that is not the caller's. A refused capture stores nothing
(403). The platform's own events (``_record``) are derived from records already checked.

Events are validated, hashed (CBV 2.0 event hash), de-duplicated and appended to the Merkle
log with a signed checkpoint, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nongso.core import audit, clock
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.trace import epcis, store
from nongso.trace.epcis import EpcisError, Issue
from nongso.trace.event_hash import EventHashError, document_event_hashes, event_hash
from nongso.trace.models import CaptureJob, EpcisEvent
from nongso.trace.schemas import CaptureJobPublic
from nongso.trace.services._common import CAPTURE_ROLES, CONTEXT, READ_ROLES
from nongso.trace.services._tenancy import capture_refusals, refused


def _record_time() -> dt.datetime:
    now = clock.now().astimezone(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _time_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _content_fallback(event: Mapping[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in ("eventID", "recordTime")}
    return "sha256:" + hashlib.sha256(epcis.canonical_json(body).encode()).hexdigest()


def _prepare(
    events: Sequence[Mapping[str, Any]], context: Any, record_time: dt.datetime,
    pointers: Sequence[str],
) -> tuple[list[store.PreparedEvent | None], list[Issue]]:
    """Event IDs, content hashes and stored text of valid events (``None`` where it fails)."""
    namespaces = epcis.document_namespaces(context)
    hashes: list[str | None]
    try:
        hashes = list(document_event_hashes(
            {"@context": context, "epcisBody": {"eventList": list(events)}}))
    except EventHashError:
        hashes = []
        for event in events:
            try:
                hashes.append(event_hash(event, context))
            except EventHashError:
                hashes.append(None)
    prepared: list[store.PreparedEvent | None] = []
    issues: list[Issue] = []
    stamp = _time_text(record_time)
    for event, content, pointer in zip(events, hashes, pointers, strict=True):
        given = event.get("eventID")
        if isinstance(given, str) and not given.startswith("_:"):
            event_id = given
            content = content or _content_fallback(event)
        elif content is None:
            issues.append(Issue(
                f"{pointer}/eventID",
                "Không tính được eventID theo thuật toán băm sự kiện CBV 2.0 (ví dụ "
                "bizTransaction, source, destination thiếu type); hãy gửi kèm eventID.",
                "The eventID cannot be computed by the CBV 2.0 event hash algorithm (e.g. a "
                "bizTransaction, source or destination without type); send an eventID.",
            ))
            prepared.append(None)
            continue
        else:
            event_id = content
        stored = dict(event)
        stored["eventID"] = event_id
        stored["recordTime"] = stamp
        own = epcis.document_namespaces(event.get("@context")) if "@context" in event else {}
        prepared.append(store.PreparedEvent(
            event_id=event_id, content_hash=content, document=epcis.canonical_json(stored),
            indexed=epcis.index_event(event), raw=stored, namespaces={**namespaces, **own},
        ))
    return prepared, issues


@dataclass
class _Outcome:
    job: CaptureJob
    event_ids: list[str]


def _store_events(
    uow: UnitOfWork, events: Sequence[Mapping[str, Any]], context: Any, *,
    pointers: Sequence[str], behaviour: str, source: str,
    early_issues: Sequence[Issue] = (),
) -> _Outcome:
    """Hash, de-duplicate and append validated events; one capture job records the outcome."""
    s = uow.session
    record_time = _record_time()
    prepared, issues = _prepare(events, context, record_time, pointers)
    issues = [*early_issues, *issues]
    # Duplicates: the same eventID with the same content is captured once (idempotent); the
    # same eventID for another content is an error.
    existing = store.events_by_ids(s, [p.event_id for p in prepared if p is not None])
    seen: dict[str, str] = {}
    to_store: list[store.PreparedEvent] = []
    duplicates = 0
    for item, pointer in zip(prepared, pointers, strict=True):
        if item is None:
            continue
        known = existing.get(item.event_id)
        previous = seen.get(item.event_id) or (known[1] if known else None)
        if previous is None:
            seen[item.event_id] = item.content_hash
            to_store.append(item)
        elif previous == item.content_hash:
            duplicates += 1
        else:
            issues.append(Issue(
                f"{pointer}/eventID",
                f"eventID «{item.event_id}» đã dùng cho một sự kiện khác.",
                f"The eventID '{item.event_id}' already identifies a different event.",
            ))
    if issues and behaviour == "rollback":
        raise epcis.validation_error(issues)
    job = CaptureJob(
        id=secrets.token_hex(12), created_at=record_time, finished_at=record_time,
        running=False, success=not issues, error_behaviour=behaviour,
        errors=[{"type": "epcisException:ValidationException", "title": "Invalid event",
                 "status": 400, "pointer": i.pointer, "detail": i.message_en,
                 "detail_vi": i.message_vi} for i in issues],
        captured=len(to_store), duplicates=duplicates, user_id=uow.principal.user_id,
        source=source,
    )
    s.add(job)
    s.flush()
    store.append(s, to_store, job.id, store.log_key(get_settings()), record_time)
    return _Outcome(job, [p.event_id for p in to_store])


def _record(uow: UnitOfWork, events: Sequence[dict[str, Any]], source: str) -> list[str]:
    """Capture events the platform itself produces (validated like any client's)."""
    pointers = [f"/epcisBody/eventList/{n}" for n in range(len(events))]
    issues = [i for n, e in enumerate(events) for i in epcis.validate_event(e, pointers[n])]
    if issues:  # a bug of ours, never the user's input
        raise epcis.validation_error(issues)
    outcome = _store_events(uow, events, CONTEXT, pointers=pointers, behaviour="rollback",
                            source=source)
    return outcome.event_ids


def _job_public(session: Session, job: CaptureJob) -> CaptureJobPublic:
    ids = list(session.scalars(select(EpcisEvent.event_id).where(
        EpcisEvent.capture_id == job.id).order_by(EpcisEvent.id)))
    return CaptureJobPublic(
        captureID=job.id, createdAt=job.created_at, finishedAt=job.finished_at,
        running=job.running, success=job.success, captureErrorBehaviour=job.error_behaviour,
        errors=list(job.errors), eventIDs=ids, captured=job.captured,
        duplicates=job.duplicates,
    )


def _check_tenancy(uow: UnitOfWork, events: Sequence[Any], pointers: Sequence[str]) -> None:
    """Refuse (403) a capture naming another organisation's lots or places (see
    ``_tenancy``: own lots and lots received only)."""
    described = []
    for event, pointer in zip(events, pointers, strict=True):
        indexed = epcis.index_event(event)
        where = [v for v in (indexed.read_point, indexed.biz_location) if v]
        described.append((pointer, [(f, v) for f, v, _ in indexed.refs], where))
    refusals = capture_refusals(uow, described)
    if refusals:
        raise refused(refusals)


def capture(
    uow: UnitOfWork, document: Any, *, behaviour: str = "rollback", source: str = "api",
) -> CaptureJobPublic:
    """``POST /epcis/capture``: all events stored, or none (``rollback``) / the valid ones
    (``proceed``), in one transaction with their Merkle log leaves and a signed checkpoint."""
    require_role(uow.principal, *CAPTURE_ROLES)
    if behaviour not in ("rollback", "proceed"):
        raise EpcisError("ValidationException", 400,
                         "GS1-Capture-Error-Behaviour phải là rollback hoặc proceed.",
                         "GS1-Capture-Error-Behaviour must be rollback or proceed.")
    events = epcis.document_events(document)
    limit = get_settings().trace_capture_limit
    if len(events) > limit:
        raise EpcisError("CaptureLimitExceededException", 413,
                         f"Mỗi lần gửi tối đa {limit} sự kiện; tài liệu có {len(events)}.",
                         f"At most {limit} events per capture; the document has {len(events)}.")
    if not events:
        raise epcis.validation_error([Issue("/epcisBody/eventList", "Danh sách sự kiện rỗng.",
                                            "The event list is empty.")])
    base = epcis.event_list_pointer(document)
    pointers = [base if base.endswith("/event") else f"{base}/{n}" for n in range(len(events))]
    context = document.get("@context")
    issues: list[Issue] = []
    if context is None:
        issues.append(Issue("/@context", "Thiếu @context (ngữ cảnh JSON-LD của EPCIS 2.0).",
                            "@context (the EPCIS 2.0 JSON-LD context) is missing."))
    valid: list[Any] = []
    valid_pointers: list[str] = []
    for event, pointer in zip(events, pointers, strict=True):
        found = epcis.validate_event(event, pointer)
        if found:
            issues.extend(found)
        else:
            valid.append(event)
            valid_pointers.append(pointer)
    if issues and (behaviour == "rollback" or not valid or context is None):
        raise epcis.validation_error(issues)
    with uow:
        _check_tenancy(uow, valid, valid_pointers)
        outcome = _store_events(uow, valid, context, pointers=valid_pointers,
                                behaviour=behaviour, source=source, early_issues=issues)
        audit.record(uow.session, "capture", "trace_capture_jobs", outcome.job.id,
                     {"events": outcome.job.captured, "duplicates": outcome.job.duplicates,
                      "errors": len(outcome.job.errors)})
        uow.commit()
        return _job_public(uow.session, outcome.job)


def capture_event(uow: UnitOfWork, event: Any) -> str:
    """``POST /epcis/events``: one event, captured synchronously; returns its eventID."""
    if not isinstance(event, Mapping):
        raise epcis.validation_error([Issue("", "Sự kiện phải là một đối tượng JSON.",
                                            "The event must be a JSON object.")])
    context = event.get("@context", [epcis.EPCIS_CONTEXT])
    body = {k: v for k, v in event.items() if k != "@context"}
    job = capture(uow, {"@context": context, "type": "EPCISDocument", "schemaVersion": "2.0",
                        "creationDate": _time_text(clock.now()),
                        "epcisBody": {"eventList": [body]}})
    if job.eventIDs:
        return job.eventIDs[0]
    # Captured before: the same content (idempotent) — report the stored event's id.
    with uow:
        prepared, _ = _prepare([body], context, _record_time(), ["/"])
        assert prepared[0] is not None
        return prepared[0].event_id


def get_capture_job(uow: UnitOfWork, capture_id: str) -> CaptureJobPublic:
    require_role(uow.principal, *CAPTURE_ROLES, *READ_ROLES)
    with uow:
        job = uow.session.get(CaptureJob, capture_id)
        p = uow.principal
        if job is None or (not p.is_admin and p.role not in ("province_officer", "inspector")
                           and job.user_id != p.user_id):
            raise EpcisError("NoSuchNameException", 404,
                             f"Không có lần ghi nhận «{capture_id}».",
                             f"There is no capture job '{capture_id}'.")
        return _job_public(uow.session, job)


def list_capture_jobs(uow: UnitOfWork, per_page: int = 30,
                      offset: int = 0) -> list[CaptureJobPublic]:
    require_role(uow.principal, *CAPTURE_ROLES, *READ_ROLES)
    with uow:
        stmt = select(CaptureJob)
        p = uow.principal
        if not p.is_admin and p.role not in ("province_officer", "inspector"):
            stmt = stmt.where(CaptureJob.user_id == p.user_id)
        jobs = uow.session.scalars(stmt.order_by(CaptureJob.created_at.desc(),
                                                 CaptureJob.id.desc())
                                   .limit(per_page).offset(offset)).all()
        return [CaptureJobPublic(
            captureID=j.id, createdAt=j.created_at, finishedAt=j.finished_at,
            running=j.running, success=j.success, captureErrorBehaviour=j.error_behaviour,
            errors=list(j.errors), eventIDs=[], captured=j.captured, duplicates=j.duplicates,
        ) for j in jobs]
