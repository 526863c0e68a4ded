"""Reports and their approval: the commune approves (and, for two-step datasets, the
province accepts or returns it with a comment); the province approves its own level only
when every commune below is final. Approved values are locked; every step is audited (the
report rows are audited tables). Completeness and timeliness come from the reports expected
of each commune, derived from the registry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.db import utcnow
from nongso.core.errors import Conflict
from nongso.core.permissions import require_login
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.stats import periods
from nongso.stats.models import DataValue, Report
from nongso.stats.schemas import ApprovalAction, ApprovalOverview, ReportPublic
from nongso.stats.services import _store, quality
from nongso.stats.services._common import (
    DatasetMeta,
    Meta,
    commune,
    commune_names,
    invalid,
    meta,
    parse_period,
    province_name,
    require_commune_writer,
    require_province_officer,
)

LOCKING = ("approved", "accepted")


def due_date(d: DatasetMeta, p: periods.Period) -> dt.date:
    return p.end + dt.timedelta(days=d.due_days)


def expected_communes(uow: UnitOfWork, d: DatasetMeta, p: periods.Period, province: str
                      ) -> set[str]:
    """The communes that must send this report: from the registry (a commune with rice
    fields reports the rice seasons; one with livestock farms, livestock…)."""
    if d.season_kinds and p.kind not in d.season_kinds:
        return set()
    kind, _, value = d.expected_when.partition(":")
    out = set()
    for t in registry.commune_unit_totals(uow, province):
        if (kind == "crop" and t.crop == value) or (kind == "kind" and t.kind == value):
            out.add(t.commune_code)
    return out


def _row(s: Session, dataset: str, period: str, org_unit: str) -> Report | None:
    return s.scalar(select(Report).where(Report.dataset == dataset, Report.period == period,
                                         Report.org_unit == org_unit))


def is_locked(s: Session, dataset: str, period: str, org_unit: str) -> bool:
    row = _row(s, dataset, period, org_unit)
    return row is not None and row.status in LOCKING


def locked_error(org_name: str, period_label: str) -> Conflict:
    return Conflict(
        f"Số liệu của {org_name}, {period_label} đã được phê duyệt: không sửa được. Cần trả "
        "lại (tỉnh) hoặc hủy phê duyệt (xã) trước.",
        f"The figures of {org_name}, {period_label} are approved and locked. The province "
        "must return them (or the commune unapprove) first.")


def _public(d: DatasetMeta, p: periods.Period, code: str, name: str, level: str,
            row: Report | None, expected: bool) -> ReportPublic:
    status = row.status if row is not None else "open"
    return ReportPublic(
        dataset=d.code, period=p.id, org_unit=code, org_unit_name=name, level=level,
        status=status, expected=expected, received=status in LOCKING,
        completed_at=row.completed_at if row is not None and status in LOCKING else None,
        on_time=row.on_time if row is not None and status in LOCKING else None,
        approved_at=row.approved_at if row is not None else None,
        accepted_at=row.accepted_at if row is not None else None,
        comment=row.comment if row is not None else None, due=due_date(d, p))


def report_of(uow: UnitOfWork, m: Meta, d: DatasetMeta, p: periods.Period, org_unit: str,
              name: str) -> ReportPublic:
    s = uow.session
    province = org_unit if len(org_unit) == 2 else None
    expected = False if province else org_unit in expected_communes(
        uow, d, p, get_settings().province_code)
    return _public(d, p, org_unit, name, "province" if province else "commune",
                   _row(s, d.code, p.id, org_unit), expected)


def overview(uow: UnitOfWork, dataset: str, period: str, province_code: str | None = None,
             lang: str = "vi") -> ApprovalOverview:
    """Every commune's report of a dataset for a period, with completeness and timeliness."""
    require_login(uow.principal)
    province = province_code or get_settings().province_code
    with uow:
        s = uow.session
        m = meta(s)
        d = m.dataset(dataset)
        p = parse_period(m, period, province)
        communes = commune_names(uow, province)
        expected = expected_communes(uow, d, p, province)
        rows = {r.org_unit: r for r in s.scalars(select(Report).where(
            Report.dataset == d.code, Report.period == p.id,
            Report.province_code == province))}
        with_data = set(s.scalars(select(DataValue.org_unit).distinct().where(
            DataValue.province_code == province, DataValue.period == p.id,
            DataValue.data_element.in_(d.elements), DataValue.generation == "2025")))
        shown = sorted((expected | with_data | {c for c in rows if c in communes})
                       & set(communes))
        reports = [_public(d, p, c, communes[c].name, "commune", rows.get(c), c in expected)
                   for c in shown]
        final = _store.final_statuses(d.approval_steps)
        received = [r for r in reports if r.expected and r.received]
        return ApprovalOverview(
            dataset=d.code, dataset_name=d.name(lang), period=p.id, period_label=p.label(lang),
            province_code=province,
            province=_public(d, p, province, province_name(uow, province), "province",
                             rows.get(province), False),
            communes=reports, expected=len(expected), received=len(received),
            on_time=sum(1 for r in received if r.on_time),
            approved=sum(1 for r in reports if r.status in final),
            completeness_pct=round(100 * len(received) / len(expected), 1) if expected
            else None,
            timeliness_pct=round(100 * sum(1 for r in received if r.on_time) / len(expected),
                                 1) if expected else None)


def _context(uow: UnitOfWork, dataset: str, period: str, org_unit: str
             ) -> tuple[Meta, DatasetMeta, periods.Period, str]:
    s = uow.session
    m = meta(s)
    d = m.dataset(dataset)
    province = get_settings().province_code if len(org_unit) == 5 else org_unit
    p = parse_period(m, period, province)
    if p.type != d.period_type:
        raise invalid("period", f"Biểu «{d.name_vi}» báo cáo theo kỳ loại «{d.period_type}».",
                      f"Dataset '{d.name_en}' is reported by '{d.period_type}'.")
    return m, d, p, province


def _ensure_row(s: Session, d: DatasetMeta, p: periods.Period, org_unit: str, level: str,
                province: str) -> Report:
    row = _row(s, d.code, p.id, org_unit)
    if row is None:
        row = Report(dataset=d.code, period=p.id, org_unit=org_unit, level=level,
                     province_code=province, status="open", updated_at=utcnow())
        s.add(row)
    return row


def _province_approved(s: Session, d: DatasetMeta, p: periods.Period, province: str) -> bool:
    row = _row(s, d.code, p.id, province)
    return row is not None and row.status == "approved"


def approve(uow: UnitOfWork, dataset: str, period: str, org_unit: str,
            action: ApprovalAction | None = None) -> ReportPublic:
    """A commune approves its report (values valid, at least one value); a province approves
    its level when every commune is final."""
    p_ = uow.principal
    with uow:
        s = uow.session
        m, d, p, province = _context(uow, dataset, period, org_unit)
        if len(org_unit) == 2:
            return _approve_province(uow, m, d, p, org_unit, action)
        unit = commune(uow, org_unit)
        require_commune_writer(p_, unit)
        row = _ensure_row(s, d, p, unit.code, "commune", province)
        if row.status in LOCKING:
            raise Conflict("Báo cáo đã được phê duyệt.", "The report is already approved.")
        has_values = s.scalar(select(func.count()).select_from(DataValue).where(
            DataValue.org_unit == unit.code, DataValue.period == p.id,
            DataValue.generation == "2025", DataValue.data_element.in_(d.elements)))
        if not has_values:
            raise invalid("org_unit", "Chưa có số liệu nào để phê duyệt.",
                          "There are no figures to approve.")
        cube = _store.load_cube(uow, s, m, province, quality.rule_elements(m, d.code), [p],
                                communes={unit.code})
        resolve = quality.resolver(cube, p.id, unit)
        quality.refuse_violations(quality.check_rules(m, d.code, resolve, "vi"),
                                  quality.check_rules(m, d.code, resolve, "en"))
        now = clock.now()
        row.status, row.comment = "approved", (action.comment if action else None)
        row.approved_by, row.approved_at = p_.user_id, now
        row.completed_at = now
        row.on_time = (now + dt.timedelta(hours=7)).date() <= due_date(d, p)
        row.updated_at = now
        uow.commit()
        return _public(d, p, unit.code, unit.name, "commune", row,
                       unit.code in expected_communes(uow, d, p, province))


def _approve_province(uow: UnitOfWork, m: Meta, d: DatasetMeta, p: periods.Period,
                      province: str, action: ApprovalAction | None) -> ReportPublic:
    s = uow.session
    require_province_officer(uow.principal, province)
    expected = expected_communes(uow, d, p, province)
    final = _store.final_statuses(d.approval_steps)
    rows = {r.org_unit: r for r in s.scalars(select(Report).where(
        Report.dataset == d.code, Report.period == p.id, Report.level == "commune",
        Report.province_code == province))}
    waiting = sorted(c for c in expected | {c for c, r in rows.items() if r.status != "open"}
                     if c not in rows or rows[c].status not in final)
    if waiting or not any(r.status in final for r in rows.values()):
        shown = ", ".join(waiting[:10]) + ("…" if len(waiting) > 10 else "")
        raise Conflict(
            f"Chưa phê duyệt được cấp tỉnh: {len(waiting)} xã chưa được duyệt xong ({shown}).",
            f"The province cannot approve yet: {len(waiting)} communes are not final "
            f"({shown}).", extra={"waiting": waiting})
    row = _ensure_row(s, d, p, province, "province", province)
    if row.status == "approved":
        raise Conflict("Cấp tỉnh đã phê duyệt.", "The province has already approved.")
    now = clock.now()
    row.status, row.approved_by, row.approved_at = "approved", uow.principal.user_id, now
    row.comment = action.comment if action else None
    row.completed_at, row.on_time = now, (now + dt.timedelta(hours=7)).date() <= due_date(d, p)
    row.updated_at = now
    uow.commit()
    return _public(d, p, province, province_name(uow, province), "province", row, False)


def accept(uow: UnitOfWork, dataset: str, period: str, org_unit: str,
           action: ApprovalAction | None = None) -> ReportPublic:
    """The province accepts a commune's approved report (second step)."""
    with uow:
        s = uow.session
        _m, d, p, province = _context(uow, dataset, period, org_unit)
        unit = commune(uow, org_unit)
        require_province_officer(uow.principal, unit.province_code)
        row = _row(s, d.code, p.id, unit.code)
        if d.approval_steps < 2:
            raise Conflict("Biểu này chỉ cần xã phê duyệt (một bước).",
                           "This dataset needs only the commune's approval (one step).")
        if row is None or row.status != "approved":
            raise Conflict("Chỉ tiếp nhận được báo cáo xã đã phê duyệt.",
                           "Only a report the commune has approved can be accepted.")
        now = clock.now()
        row.status, row.accepted_by, row.accepted_at = "accepted", uow.principal.user_id, now
        if action and action.comment:
            row.comment = action.comment
        row.updated_at = now
        uow.commit()
        return _public(d, p, unit.code, unit.name, "commune", row,
                       unit.code in expected_communes(uow, d, p, province))


def return_report(uow: UnitOfWork, dataset: str, period: str, org_unit: str,
                  action: ApprovalAction) -> ReportPublic:
    """The province returns a commune's report with a comment: the values unlock."""
    if not action.comment or not action.comment.strip():
        raise invalid("comment", "Trả lại báo cáo phải kèm lý do.",
                      "Returning a report needs a comment saying why.")
    with uow:
        s = uow.session
        _m, d, p, province = _context(uow, dataset, period, org_unit)
        unit = commune(uow, org_unit)
        require_province_officer(uow.principal, unit.province_code)
        row = _row(s, d.code, p.id, unit.code)
        if row is None or row.status not in LOCKING:
            raise Conflict("Chỉ trả lại được báo cáo đã phê duyệt.",
                           "Only an approved report can be returned.")
        if _province_approved(s, d, p, province):
            raise Conflict("Cấp tỉnh đã phê duyệt kỳ này: hủy phê duyệt cấp tỉnh trước.",
                           "The province has approved this period: unapprove it first.")
        row.status, row.comment, row.updated_at = "returned", action.comment.strip(), clock.now()
        uow.commit()
        return _public(d, p, unit.code, unit.name, "commune", row,
                       unit.code in expected_communes(uow, d, p, province))


def unapprove(uow: UnitOfWork, dataset: str, period: str, org_unit: str) -> ReportPublic:
    """Withdraw an approval: the commune its own (before the province accepted it), the
    province its level."""
    with uow:
        s = uow.session
        _m, d, p, province = _context(uow, dataset, period, org_unit)
        if len(org_unit) == 2:
            require_province_officer(uow.principal, org_unit)
            row = _row(s, d.code, p.id, org_unit)
            if row is None or row.status != "approved":
                raise Conflict("Cấp tỉnh chưa phê duyệt.", "The province has not approved.")
            row.status, row.updated_at = "open", clock.now()
            uow.commit()
            return _public(d, p, org_unit, province_name(uow, org_unit), "province", row, False)
        unit = commune(uow, org_unit)
        require_commune_writer(uow.principal, unit)
        row = _row(s, d.code, p.id, unit.code)
        if row is None or row.status != "approved":
            raise Conflict("Chỉ hủy được phê duyệt chưa được tỉnh tiếp nhận.",
                           "Only an approval the province has not accepted can be withdrawn.")
        if _province_approved(s, d, p, province):
            raise Conflict("Cấp tỉnh đã phê duyệt kỳ này.",
                           "The province has approved this period.")
        row.status, row.updated_at = "open", clock.now()
        uow.commit()
        return _public(d, p, unit.code, unit.name, "commune", row,
                       unit.code in expected_communes(uow, d, p, province))
