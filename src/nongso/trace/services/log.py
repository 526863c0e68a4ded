"""Use case: the tamper-evident Merkle log — signed checkpoints, the public key, inclusion and
consistency proofs, and the full verification an inspector runs.
"""

from __future__ import annotations

import datetime as dt

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

    Checks, in log order: every leaf hash against the stored event text, the indexed columns
    against the text, every stored perfect-subtree hash, every checkpoint's root against the
    recomputed tree of its size and its Ed25519 signature, and the log head.
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
            for pk, event_id, event_type, event_time, biz_step, document, leaf in batch:
                if pk != expected:
                    return _problem("gap", f"Thiếu sự kiện ở vị trí {expected} của nhật ký.",
                                    f"The event at log position {expected} is missing.",
                                    report, expected)
                recomputed = merkle.leaf_hash(document.encode())
                if recomputed != bytes(leaf):
                    return _problem(
                        "leaf-hash", f"Nội dung sự kiện ở vị trí {pk} đã bị sửa: mã băm không "
                        "khớp với nhật ký.", f"The event at log position {pk} was altered: its "
                        "text no longer matches its leaf hash.", report, pk, event_id)
                problem = _column_mismatch(document, event_id, event_type, event_time, biz_step)
                if problem is not None:
                    return _problem("index", f"Dữ liệu chỉ mục của sự kiện ở vị trí {pk} khác "
                                    f"với nội dung đã ký ({problem}).",
                                    f"The indexed fields of the event at position {pk} differ "
                                    f"from its signed text ({problem}).", report, pk, event_id)
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
        return report


def _column_mismatch(document: str, event_id: str, event_type: str, event_time: dt.datetime,
                     biz_step: str | None) -> str | None:
    event = epcis_json_loads(document)
    if event.get("eventID") != event_id:
        return "eventID"
    if event.get("type") != event_type:
        return "type"
    parsed = epcis.parse_time(event.get("eventTime"))
    if parsed is None or abs(parsed.astimezone(dt.UTC) - event_time) > dt.timedelta(
        milliseconds=1
    ):
        return "eventTime"
    step = epcis.cbv_short(event["bizStep"], "BizStep") if "bizStep" in event else None
    if step != biz_step:
        return "bizStep"
    return None


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
