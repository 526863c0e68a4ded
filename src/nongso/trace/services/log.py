"""Use case: the tamper-evident Merkle log — signed checkpoints, the public key, inclusion and
consistency proofs, and the full verification an inspector runs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nongso.core.errors import FieldError, NotFound, ValidationFailed, not_found
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.trace import epcis, merkle, store
from nongso.trace.checkpoint import CheckpointError, verify_signed_note
from nongso.trace.models import Checkpoint, EpcisEvent
from nongso.trace.schemas import (
    CheckpointPublic,
    ConsistencyProofPublic,
    InclusionProofPublic,
    VerifyReport,
)
from nongso.trace.services._common import epcis_json_loads


def _checkpoint_public(cp: Checkpoint) -> CheckpointPublic:
    key = store.log_key(get_settings())
    return CheckpointPublic(tree_size=cp.tree_size, root_hash=bytes(cp.root_hash).hex(),
                            created_at=cp.created_at, note=cp.note, key_name=key.name,
                            verifier_key=key.verifier)


def latest_checkpoint(uow: UnitOfWork, tree_size: int | None = None) -> CheckpointPublic:
    """The newest signed checkpoint (or the one of ``tree_size``): public, hashes only."""
    with uow:
        cp = store.checkpoint_for(uow.session, tree_size)
        if cp is None:
            raise NotFound("Nhật ký chưa có điểm kiểm tra nào (chưa có sự kiện).",
                           "The log has no checkpoint yet (no event was captured).")
        return _checkpoint_public(cp)


def log_public_key() -> dict[str, str]:
    key = store.log_key(get_settings())
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    pem = key.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {"name": key.name, "key_id": key.key_id, "verifier_key": key.verifier,
            "public_key_pem": pem.decode(), "algorithm": "Ed25519"}


def inclusion_proof(
    uow: UnitOfWork, *, event_id: str | None = None, leaf_index: int | None = None,
    tree_size: int | None = None,
) -> InclusionProofPublic:
    """The audit path of an event (by eventID or leaf index) in a tree of ``tree_size``."""
    with uow:
        s = uow.session
        row = None
        if event_id is not None:
            row = s.execute(select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.leaf_hash)
                            .where(EpcisEvent.event_id == event_id)).first()
        elif leaf_index is not None:
            row = s.execute(select(EpcisEvent.id, EpcisEvent.event_id, EpcisEvent.leaf_hash)
                            .where(EpcisEvent.id == leaf_index)).first()
        if row is None:
            raise not_found("sự kiện", "event", event_id if event_id is not None else leaf_index)
        size = tree_size if tree_size is not None else store.log_size(s)
        if not row.id < size <= store.log_size(s):
            raise ValidationFailed(
                f"Kích thước cây phải lớn hơn {row.id} và không quá {store.log_size(s)}.",
                f"The tree size must be above {row.id} and at most {store.log_size(s)}.",
                [FieldError("tree_size", "Ngoài khoảng", "Out of range")])
        hasher = store.RangeHasher(s)
        path = merkle.inclusion_proof(row.id, size, hasher)
        root = hasher(0, size)
        cp = store.checkpoint_for(s, size)
        return InclusionProofPublic(
            event_id=row.event_id, leaf_index=row.id, tree_size=size,
            leaf_hash=bytes(row.leaf_hash).hex(), audit_path=[p.hex() for p in path],
            root_hash=root.hex(), checkpoint=cp.note if cp is not None else None,
        )


def consistency_proof(uow: UnitOfWork, first: int, second: int | None = None
                      ) -> ConsistencyProofPublic:
    with uow:
        s = uow.session
        size = store.log_size(s)
        second = size if second is None else second
        if not 0 < first <= second <= size:
            raise ValidationFailed(
                f"Cần 0 < first ≤ second ≤ {size}.", f"Need 0 < first ≤ second ≤ {size}.",
                [FieldError("first", "Ngoài khoảng", "Out of range")])
        hasher = store.RangeHasher(s)
        proof = merkle.consistency_proof(first, second, hasher)
        return ConsistencyProofPublic(first=first, second=second,
                                      first_root=hasher(0, first).hex(),
                                      second_root=hasher(0, second).hex(),
                                      proof=[p.hex() for p in proof])


def _problem(code: str, vi: str, en: str, report: VerifyReport, leaf: int | None = None,
             event_id: str | None = None) -> VerifyReport:
    report.ok = False
    report.problem_code, report.problem_vi, report.problem_en = code, vi, en
    report.leaf_index, report.event_id = leaf, event_id
    return report


def verify_log(uow: UnitOfWork, public_key: bytes | None = None) -> VerifyReport:
    """Recompute the whole log from the stored events and report the first inconsistency.

    Checks, in log order: every leaf hash against the stored event text; every column derived
    from the signed text (type, time, action, business step, disposition, read point,
    business location, transformation, error declaration), the event's rows in the query
    index (``trace_event_refs``) and in the lineage (``trace_lineage``) against what the
    signed text implies; every stored perfect-subtree hash; every checkpoint's root against
    the recomputed tree of its size and its Ed25519 signature; then the log head against the
    leaves and the checkpoints, and the checkpoints against the witness file kept outside the
    database. A malformed row is a finding, never a crash.
    """
    require_role(uow.principal, "inspector", "province_officer")
    key = store.log_key(get_settings())
    trusted = public_key or key.public
    with uow:
        s = uow.session
        head_size = store.log_size(s)
        checkpoints = {cp.tree_size: cp for cp in s.scalars(select(Checkpoint))}
        nodes = store.stored_nodes(s)
        report = VerifyReport(ok=True, tree_size=head_size, checkpoints_checked=0,
                              events_checked=0)
        frontier = merkle.Frontier()
        expected = 0
        for batch in store.iter_log(s):
            refs = store.refs_of(s, batch[0][0], batch[-1][0])
            edges = store.lineage_of(s, batch[0][0], batch[-1][0])
            for row in batch:
                pk, event_id, document, leaf = row[0], row[1], row[2], row[3]
                if pk != expected:
                    return _problem("gap", f"Thiếu sự kiện ở vị trí {expected} của nhật ký.",
                                    f"The event at log position {expected} is missing.",
                                    report, expected)
                if not isinstance(document, str) or not isinstance(leaf, bytes | memoryview):
                    return _malformed(report, pk, event_id, "document/leaf_hash")
                recomputed = merkle.leaf_hash(document.encode())
                if recomputed != bytes(leaf):
                    return _problem(
                        "leaf-hash", f"Nội dung sự kiện ở vị trí {pk} đã bị sửa: mã băm không "
                        "khớp với nhật ký.", f"The event at log position {pk} was altered: its "
                        "text no longer matches its leaf hash.", report, pk, event_id)
                try:
                    signed = epcis_json_loads(document)
                    indexed = epcis.index_event(signed)
                    implied_edges = epcis.lineage_edges(signed, event_id)
                except (ValueError, TypeError, KeyError, AttributeError, AssertionError):
                    return _malformed(report, pk, event_id, "document")
                problem = _column_mismatch(signed, indexed, event_id, row[4:])
                if problem is not None:
                    if problem.startswith("malformed:"):
                        return _malformed(report, pk, event_id, problem.split(":", 1)[1])
                    return _problem("index", f"Dữ liệu chỉ mục của sự kiện ở vị trí {pk} khác "
                                    f"với nội dung đã ký (cột {problem}).",
                                    f"The indexed fields of the event at position {pk} differ "
                                    f"from its signed text (column {problem}).", report, pk,
                                    event_id)
                wanted_refs = Counter(indexed.refs)
                stored_refs = Counter(tuple(r) for r in refs.get(pk, ()))
                if wanted_refs != stored_refs:
                    missing = sum((wanted_refs - stored_refs).values())
                    extra = sum((stored_refs - wanted_refs).values())
                    return _problem(
                        "refs", f"Chỉ mục truy vấn (trace_event_refs) của sự kiện ở vị trí {pk} "
                        f"khác với nội dung đã ký: thiếu {missing} dòng, thừa {extra} dòng.",
                        f"The query index (trace_event_refs) of the event at position {pk} "
                        f"differs from its signed text: {missing} rows missing, {extra} extra.",
                        report, pk, event_id)
                lineage = _lineage_mismatch(implied_edges, indexed.event_time,
                                            edges.get(pk, ()))
                if lineage is not None:
                    return _problem(
                        "lineage", f"Quan hệ nguồn gốc (trace_lineage) của sự kiện ở vị trí "
                        f"{pk} khác với nội dung đã ký ({lineage[0]}).",
                        f"The lineage rows (trace_lineage) of the event at position {pk} "
                        f"differ from its signed text ({lineage[1]}).", report, pk, event_id)
                for level, idx, value in frontier.append(recomputed):
                    if level % store.NODE_LEVEL_STEP == 0 and nodes.get((level, idx)) != value:
                        return _problem(
                            "node", f"Nút cây mức {level} số {idx} không khớp.",
                            f"The stored tree node at level {level}, index {idx} differs.",
                            report, pk, event_id)
                expected += 1
                report.events_checked += 1
                cp = checkpoints.get(frontier.size)
                if cp is not None:
                    failure = _check_checkpoint(cp, frontier.root(), key.name, trusted)
                    if failure is not None:
                        return _problem("checkpoint", failure[0], failure[1], report, pk,
                                        event_id)
                    report.checkpoints_checked += 1
        if expected != head_size:
            return _problem("head", f"Đầu nhật ký ghi {head_size} sự kiện nhưng có {expected}.",
                            f"The log head says {head_size} events but {expected} are stored.",
                            report)
        beyond = [size for size in checkpoints if size > expected]
        if beyond:
            return _problem("checkpoint", f"Có điểm kiểm tra cho {min(beyond)} sự kiện nhưng "
                            f"chỉ còn {expected} sự kiện: đã có sự kiện bị xoá.",
                            f"A checkpoint covers {min(beyond)} events but only {expected} are "
                            "stored: events were deleted.", report)
        if expected and expected not in checkpoints:
            return _problem("head", f"Không có điểm kiểm tra đã ký cho {expected} sự kiện của "
                            "đầu nhật ký.", f"No signed checkpoint covers the {expected} events "
                            "of the log head.", report)
        ref_pk, edge_pk = store.rows_beyond(s, expected)
        if ref_pk is not None or edge_pk is not None:
            table = "trace_event_refs" if ref_pk is not None else "trace_lineage"
            orphan = ref_pk if ref_pk is not None else edge_pk
            return _problem("refs" if ref_pk is not None else "lineage",
                            f"Bảng {table} có dòng của sự kiện {orphan} không có trong nhật ký.",
                            f"The table {table} has rows of event {orphan}, which is not in the "
                            "log.", report)
        return _check_witness(report, key.witness, checkpoints, key.name, trusted)


def _malformed(report: VerifyReport, pk: int, event_id: str | None, column: str
               ) -> VerifyReport:
    return _problem("malformed", f"Dòng trace_epcis_events id={pk} bị hỏng: giá trị cột "
                    f"{column} không đọc được.", f"The row trace_epcis_events id={pk} is "
                    f"malformed: its {column} value cannot be read.", report, pk,
                    event_id if isinstance(event_id, str) else None)


def _column_mismatch(signed: dict[str, Any], indexed: epcis.IndexedEvent, event_id: str,
                     raw: Sequence[Any]) -> str | None:
    """The first column whose stored value differs from the signed text ("malformed:<col>"
    when the stored value cannot be read)."""
    stored = dict(zip(store.INDEXED_COLUMNS, raw, strict=True))
    if signed.get("eventID") != event_id:
        return "event_id"
    try:
        event_time = store.raw_time(stored["event_time"])
    except (ValueError, TypeError):
        return "malformed:event_time"
    if abs(indexed.event_time - event_time) > dt.timedelta(milliseconds=1):
        return "event_time"
    flag = stored["has_error_declaration"]
    if not isinstance(flag, bool | int) or (isinstance(flag, int) and flag not in (0, 1)):
        return "malformed:has_error_declaration"
    if bool(flag) != indexed.has_error_declaration:
        return "has_error_declaration"
    for column in ("event_type", "action", "biz_step", "disposition", "read_point",
                   "biz_location", "transformation_id"):
        if stored[column] != getattr(indexed, column):
            return column
    return None


def _lineage_mismatch(implied: list[tuple[str, str, str]], event_time: dt.datetime,
                      rows: Iterable[tuple[Any, ...]]) -> tuple[str, str] | None:
    wanted = Counter(implied)
    stored: Counter[tuple[Any, ...]] = Counter()
    for src, dst, kind, time in rows:
        try:
            when = store.raw_time(time)
        except (ValueError, TypeError):
            return ("cột event_time không đọc được", "an unreadable event_time")
        if abs(when - event_time) > dt.timedelta(milliseconds=1):
            return ("thời điểm khác", "another event time")
        stored[(src, dst, kind)] += 1
    if wanted != stored:
        missing = sum((wanted - stored).values())
        extra = sum((stored - wanted).values())
        return (f"thiếu {missing} dòng, thừa {extra} dòng",
                f"{missing} rows missing, {extra} extra")
    return None


def _check_witness(report: VerifyReport, path: Path | None, checkpoints: dict[int, Checkpoint],
                   name: str, public_key: bytes) -> VerifyReport:
    """Every checkpoint in the witness file must still be in the database, unchanged."""
    entries = store.read_witness(path)
    if entries is None:
        return report
    for line, size, root, note in entries:
        if size < 0:
            return _problem("witness", f"Dòng {line} của tệp chứng kiến {path} bị hỏng.",
                            f"Line {line} of the witness file {path} is malformed.", report)
        cp = checkpoints.get(size)
        if cp is None:
            return _problem(
                "witness", f"Tệp chứng kiến {path} (dòng {line}) có điểm kiểm tra đã ký cho "
                f"{size} sự kiện mà cơ sở dữ liệu không còn (nhật ký có {report.tree_size}): "
                "nhật ký đã bị cắt bớt hoặc thay thế.",
                f"The witness file {path} (line {line}) holds a signed checkpoint of {size} "
                f"events that the database no longer has (the log has {report.tree_size}): the "
                "log was truncated or replaced.", report)
        if bytes(cp.root_hash) != root or cp.note != note:
            return _problem(
                "witness", f"Điểm kiểm tra {size} sự kiện trong cơ sở dữ liệu khác với tệp "
                f"chứng kiến {path} (dòng {line}).", f"The checkpoint of {size} events in the "
                f"database differs from the witness file {path} (line {line}).", report)
        if _check_checkpoint(cp, root, name, public_key) is not None:
            return _problem("witness", f"Chữ ký của dòng {line} trong tệp chứng kiến không hợp "
                            "lệ.", f"The signature on line {line} of the witness file is "
                            "invalid.", report)
        report.witnessed += 1
    return report


def _check_checkpoint(cp: Checkpoint, root: bytes, name: str, public_key: bytes
                      ) -> tuple[str, str] | None:
    if bytes(cp.root_hash) != root:
        return (f"Điểm kiểm tra {cp.tree_size} sự kiện có gốc khác với cây tính lại.",
                f"The checkpoint of {cp.tree_size} events has a root that differs from the "
                "recomputed tree.")
    try:
        signed = verify_signed_note(cp.note, name, public_key)
    except CheckpointError:
        # Checkpoints signed under an earlier origin name carry that name in their note.
        try:
            from nongso.trace.checkpoint import parse_signed_note

            _, signatures = parse_signed_note(cp.note)
            signed = verify_signed_note(cp.note, signatures[0][0], public_key)
        except (CheckpointError, IndexError):
            return (f"Chữ ký của điểm kiểm tra {cp.tree_size} sự kiện không hợp lệ.",
                    f"The signature of the checkpoint of {cp.tree_size} events is invalid.")
    if signed.size != cp.tree_size or signed.root != root:
        return (f"Điểm kiểm tra {cp.tree_size} sự kiện đã ký một cây khác.",
                f"The checkpoint of {cp.tree_size} events signs another tree.")
    return None
