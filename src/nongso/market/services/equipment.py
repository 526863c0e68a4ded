"""Shared equipment: machines, search by distance from a field, bookings of adjacent fields,
maintenance blocks by hour meter, jobs (hours, fuel, cost, the diary activity they served).

No double booking, ever. PostgreSQL: an exclusion constraint over (machine, time range) of the
active slots refuses the second of two overlapping bookings whatever the timing (the overlap
check before it only words the answer). SQLite: the booking's transaction starts with
``BEGIN IMMEDIATE`` (the database's write lock) before its overlap check, so two bookings are
checked and written one after the other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed, not_found
from nongso.core.i18n import format_number
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.market import booking, catalogue
from nongso.market.models import SLOT_ACTIVE, Equipment, Job, Slot
from nongso.market.schemas import (
    BookingCreate,
    EquipmentCreate,
    EquipmentPublic,
    JobCreate,
    JobPublic,
    MaintenanceCreate,
    SlotPublic,
)
from nongso.market.services.common import acting_organisation, invalid, place_of, province_code
from nongso.registry import services as registry

OWNER_ROLES = ("coop_manager", "province_officer", "commune_officer")
BOOKER_ROLES = ("farmer", "coop_manager")


def _equipment_public(e: Equipment, names: dict[int, str], p: Principal, lang: str,
                      distance: float | None = None) -> EquipmentPublic:
    kind_vi, kind_en = catalogue.EQUIPMENT_KINDS.get(e.kind, (e.kind, e.kind))
    signed_in = p.is_authenticated
    return EquipmentPublic(
        id=e.id, kind=e.kind, kind_name=kind_vi if lang == "vi" else kind_en, name=e.name,
        organisation_id=e.organisation_id, organisation_name=names.get(e.organisation_id, ""),
        operator_name=e.operator_name if signed_in else None,
        operator_phone=e.operator_phone if signed_in else None, rate_vnd=e.rate_vnd,
        rate_unit=e.rate_unit, work_rate_ha_per_h=e.work_rate_ha_per_h, lon=e.lon, lat=e.lat,
        commune_code=e.commune_code, working_radius_km=e.working_radius_km,
        hour_meter=e.hour_meter, service_interval_h=e.service_interval_h,
        hours_to_service=round(e.service_interval_h - (e.hour_meter - e.hours_at_service), 1),
        maintenance_due=booking.maintenance_due(e.hour_meter, e.hours_at_service,
                                                e.service_interval_h),
        distance_km=distance)


def create_equipment(uow: UnitOfWork, data: EquipmentCreate, lang: str = "vi"
                     ) -> EquipmentPublic:
    require_role(uow.principal, *OWNER_ROLES)
    with uow:
        org = acting_organisation(uow, data.organisation_id, OWNER_ROLES)
        place = place_of(uow, data.commune_code or org.commune_code, "commune_code")
        if data.hours_at_service > data.hour_meter:
            raise invalid("hours_at_service", "Giờ máy lúc bảo dưỡng không thể lớn hơn giờ máy "
                          "hiện tại.", "The hours at the last service cannot exceed the hour "
                          "meter.")
        row = Equipment(
            organisation_id=org.id, kind=data.kind, name=data.name,
            operator_name=data.operator_name, operator_phone=data.operator_phone,
            rate_vnd=data.rate_vnd, rate_unit=data.rate_unit,
            work_rate_ha_per_h=data.work_rate_ha_per_h, lon=data.lon, lat=data.lat,
            commune_code=place.code, province_code=place.province_code,
            working_radius_km=data.working_radius_km, hour_meter=data.hour_meter,
            service_interval_h=data.service_interval_h, hours_at_service=data.hours_at_service,
            service_duration_h=data.service_duration_h)
        uow.session.add(row)
        uow.commit()
        return _equipment_public(row, {org.id: org.name}, uow.principal, lang)


def _load(s: Session, equipment_id: int) -> Equipment:
    row = s.get(Equipment, equipment_id)
    if row is None:
        raise not_found("máy", "equipment", equipment_id)
    return row


def get_equipment(uow: UnitOfWork, equipment_id: int, lang: str = "vi") -> EquipmentPublic:
    with uow:
        e = _load(uow.session, equipment_id)
        return _equipment_public(e, registry.organisation_names(uow, [e.organisation_id]),
                                 uow.principal, lang)


def list_equipment(uow: UnitOfWork, page: PageRequest, kind: str | None = None,
                   organisation_id: int | None = None, lang: str = "vi"
                   ) -> Page[EquipmentPublic]:
    with uow:
        s = uow.session
        stmt = select(Equipment).where(Equipment.province_code == province_code(),
                                       Equipment.status == "active")
        if kind:
            stmt = stmt.where(Equipment.kind == kind)
        if organisation_id is not None:
            stmt = stmt.where(Equipment.organisation_id == organisation_id)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(Equipment.kind, Equipment.id).limit(page.limit)
                              .offset(page.offset)))
        names = registry.organisation_names(uow, [r.organisation_id for r in rows])
        return Page(items=[_equipment_public(r, names, uow.principal, lang) for r in rows],
                    total=total, limit=page.limit, offset=page.offset)


def _field(uow: UnitOfWork, field_id: int, loc: str) -> tuple[Any, dict[str, Any]]:
    ref = registry.production_unit_ref(uow, field_id)
    if ref is None or ref.status == "deleted":
        raise invalid(loc, f"Thửa #{field_id} không có trong sổ đăng ký.",
                      f"Field #{field_id} is not in the registry.")
    feature = registry.get_feature(uow, "production_units", field_id)
    if feature.geometry is None:
        raise invalid(loc, f"Thửa #{field_id} chưa có ranh giới trên bản đồ.",
                      f"Field #{field_id} has no shape on the map.")
    return ref, dict(feature.geometry)


def search(uow: UnitOfWork, field_id: int, radius_km: float, kind: str | None = None,
           lang: str = "vi") -> list[EquipmentPublic]:
    """Machines within 5, 20 or 50 km of a field whose working area reaches it, nearest
    first."""
    if radius_km not in booking.RADII_KM:
        raise invalid("radius_km", "Bán kính tìm là 5, 20 hoặc 50 km.",
                      "The search radius is 5, 20 or 50 km.")
    with uow:
        _, geometry = _field(uow, field_id, "field_id")
        lon, lat = booking.centroid(geometry)
        stmt = select(Equipment).where(Equipment.status == "active",
                                       Equipment.province_code == province_code())
        if kind:
            stmt = stmt.where(Equipment.kind == kind)
        rows = {e.id: e for e in uow.session.scalars(stmt)}
        found = booking.within([booking.Machine(e.id, e.lon, e.lat, e.working_radius_km)
                                for e in rows.values()], lon, lat, radius_km)
        names = registry.organisation_names(uow, [e.organisation_id for e in rows.values()])
        return [_equipment_public(rows[r.id], names, uow.principal, lang, r.distance_km)
                for r in found]


def _slot_public(slot: Slot, assumed: bool = False, cost: float | None = None,
                 show_fields: bool = True) -> SlotPublic:
    return SlotPublic(
        id=slot.id, equipment_id=slot.equipment_id, kind=slot.kind, status=slot.status,
        starts_at=slot.starts_at, ends_at=slot.ends_at,
        starts_local=booking.local_text(slot.starts_at),
        ends_local=booking.local_text(slot.ends_at), assumed_zone=assumed,
        field_ids=list(slot.field_ids) if show_fields else [],
        area_ha=slot.area_ha if show_fields else None, estimated_cost_vnd=cost,
        note=slot.note if show_fields else None, created_at=slot.created_at)


def _times(starts: dt.datetime, ends: dt.datetime, allow_past: bool = False
           ) -> tuple[dt.datetime, dt.datetime, bool]:
    start, end = booking.to_utc(starts), booking.to_utc(ends)
    now = clock.now()
    problems = booking.check_window(start.utc, end.utc, now, catalogue.settings().booking_max_days)
    if allow_past:
        problems = [p for p in problems if p.code != "in_past"]
    if problems:
        zone = (" Giờ không ghi múi giờ được hiểu là giờ Việt Nam (Asia/Ho_Chi_Minh).",
                " Times without a zone are read as Vietnam time (Asia/Ho_Chi_Minh).") \
            if start.assumed_zone or end.assumed_zone else ("", "")
        raise ValidationFailed(
            "Khung giờ đặt không hợp lệ." + zone[0], "The booking window is not valid." + zone[1],
            [FieldError(p.field, p.message_vi, p.message_en) for p in problems])
    return start.utc, end.utc, start.assumed_zone or end.assumed_zone


def _lock(s: Session) -> None:
    """SQLite: take the write lock now (BEGIN IMMEDIATE), before the overlap check."""
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _conflict(s: Session, equipment_id: int, start: dt.datetime, end: dt.datetime,
              ignore: int | None = None) -> Slot | None:
    stmt = select(Slot).where(Slot.equipment_id == equipment_id, Slot.status.in_(SLOT_ACTIVE),
                              Slot.starts_at < end, Slot.ends_at > start)
    if ignore is not None:
        stmt = stmt.where(Slot.id != ignore)
    return s.scalars(stmt.order_by(Slot.starts_at).limit(1)).first()


def _taken(slot: Slot) -> Conflict:
    when_vi = f"{booking.local_text(slot.starts_at)} – {booking.local_text(slot.ends_at)}"
    if slot.kind == "maintenance":
        return Conflict(f"Máy đang bảo dưỡng trong khoảng {when_vi}: chọn giờ khác.",
                        f"The machine is under maintenance {when_vi}: choose another time.",
                        extra={"conflict": "maintenance", "slot_id": slot.id})
    return Conflict(f"Máy đã được đặt trong khoảng {when_vi}: chọn giờ khác.",
                    f"The machine is already booked {when_vi}: choose another time.",
                    extra={"conflict": "booking", "slot_id": slot.id})


def _insert(s: Session, slot: Slot) -> None:
    s.add(slot)
    try:
        s.flush()
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a concurrent booking
        if getattr(exc.orig, "sqlstate", None) == "23P01":
            raise Conflict(
                "Máy vừa được đặt trùng khung giờ này: chọn giờ khác.",
                "The machine was just booked for an overlapping time: choose another time.",
                extra={"conflict": "booking"}) from exc
        raise


def _may_book(uow: UnitOfWork, refs: list[Any]) -> tuple[int | None, int | None]:
    p = uow.principal
    if p.is_admin:
        return refs[0].organisation_id, refs[0].farmer_id
    for n, ref in enumerate(refs):
        own = (p.role == "farmer" and ref.farmer_id == p.farmer_id and p.farmer_id is not None)
        if p.role == "coop_manager" and p.organisation_id is not None:
            own = ref.organisation_id == p.organisation_id or (
                ref.farmer_id is not None
                and registry.farmer_organisation(uow, ref.farmer_id) == p.organisation_id)
        if not own:
            raise PermissionDenied(f"Bạn không đặt máy được cho thửa #{ref.id} (field_ids/{n}).",
                                   f"You may not book for field #{ref.id} (field_ids/{n}).")
    return p.organisation_id, p.farmer_id


def book(uow: UnitOfWork, data: BookingCreate) -> SlotPublic:
    """Book a machine for one field or several adjacent fields in a time window."""
    require_role(uow.principal, *BOOKER_ROLES)
    start, end, assumed = _times(data.starts_at, data.ends_at)
    if len(set(data.field_ids)) != len(data.field_ids):
        raise invalid("field_ids", "Một thửa được ghi hai lần.", "A field is listed twice.")
    if data.area_ha is not None and data.area_ha <= 0:
        raise invalid("area_ha", "Diện tích công việc phải lớn hơn 0 ha.",
                      "The job's area must be more than 0 ha.")
    with uow:
        s = uow.session
        e = _load(s, data.equipment_id)
        if e.status != "active":
            raise Conflict(f"Máy «{e.name}» không hoạt động.", f"'{e.name}' is not in service.")
        found = [_field(uow, fid, f"field_ids/{n}") for n, fid in enumerate(data.field_ids)]
        refs = [ref for ref, _ in found]
        org_id, farmer_id = _may_book(uow, refs)
        gap = catalogue.settings().booking_adjacent_gap_m
        groups = booking.adjacent_groups([(r.id, g) for r, g in found], gap)
        if len(groups) > 1:
            listed = "; ".join("[" + ", ".join(f"#{i}" for i in g) + "]" for g in groups)
            raise invalid("field_ids", f"Các thửa không liền kề (cách nhau hơn {gap:g} m): "
                          f"{listed}. Đặt riêng từng nhóm.",
                          f"The fields are not adjacent (more than {gap:g} m apart): {listed}. "
                          "Book each group separately.")
        lon, lat = booking.centroid(found[0][1])
        distance = booking.distance_km(e.lon, e.lat, lon, lat)
        if distance > e.working_radius_km:
            raise invalid("field_ids/0", f"Thửa cách máy {format_number(distance, 'vi', 1)} km, "
                          f"ngoài bán kính làm việc {format_number(e.working_radius_km, 'vi')} "
                          "km.", f"The field is {format_number(distance, 'en', 1)} km from the "
                          f"machine, outside its {format_number(e.working_radius_km, 'en')} km "
                          "working radius.")
        area = data.area_ha if data.area_ha is not None else sum(r.area_ha or 0 for r in refs)
        if not area or area <= 0:
            raise invalid("area_ha", "Diện tích công việc bằng 0 ha: ghi diện tích cần làm.",
                          "The job's area is 0 ha: give the area to work.")
        _lock(s)
        s.refresh(e)
        if booking.maintenance_due(e.hour_meter, e.hours_at_service, e.service_interval_h):
            block = s.scalars(select(Slot).where(
                Slot.equipment_id == e.id, Slot.kind == "maintenance",
                Slot.status == "confirmed", Slot.ends_at <= start)).first()
            if block is None:
                raise Conflict(
                    f"Máy đã chạy {format_number(e.hour_meter - e.hours_at_service, 'vi')} giờ "
                    f"từ lần bảo dưỡng trước (định kỳ {format_number(e.service_interval_h, 'vi')}"
                    " giờ): cần lịch bảo dưỡng trước khi nhận đặt mới.",
                    f"The machine has run {format_number(e.hour_meter - e.hours_at_service, 'en')}"
                    f" hours since its last service (every "
                    f"{format_number(e.service_interval_h, 'en')} h): it needs a maintenance "
                    "block before new bookings.", extra={"conflict": "maintenance_due"})
        clash = _conflict(s, e.id, start, end)
        if clash is not None:
            raise _taken(clash)
        slot = Slot(equipment_id=e.id, kind="booking", status="confirmed", starts_at=start,
                    ends_at=end, field_ids=list(data.field_ids), area_ha=round(area, 4),
                    organisation_id=org_id, farmer_id=farmer_id,
                    booked_by=uow.principal.user_id, note=data.note)
        _insert(s, slot)
        hours = booking.hours_needed(area, e.work_rate_ha_per_h) or \
            (end - start).total_seconds() / 3600
        cost = booking.job_cost(e.rate_vnd, e.rate_unit, area, hours)
        uow.commit()
        return _slot_public(slot, assumed, cost)


def _load_slot(uow: UnitOfWork, slot_id: int) -> tuple[Slot, Equipment]:
    s = uow.session
    slot = s.get(Slot, slot_id)
    if slot is None:
        raise not_found("lịch đặt máy", "booking", slot_id)
    e = s.get(Equipment, slot.equipment_id)
    assert e is not None
    return slot, e


def _owner(uow: UnitOfWork, e: Equipment) -> bool:
    p = uow.principal
    return p.is_admin or (p.role == "coop_manager" and p.organisation_id == e.organisation_id) \
        or (p.role in ("province_officer", "commune_officer")
            and p.covers_unit(e.commune_code, e.province_code))


def _booker(uow: UnitOfWork, slot: Slot) -> bool:
    p = uow.principal
    return p.user_id is not None and slot.booked_by == p.user_id


def cancel(uow: UnitOfWork, slot_id: int) -> SlotPublic:
    """Cancel a booking before its work starts."""
    require_role(uow.principal, *BOOKER_ROLES, *OWNER_ROLES)
    with uow:
        slot, e = _load_slot(uow, slot_id)
        if not (_owner(uow, e) or _booker(uow, slot)):
            raise not_found("lịch đặt máy", "booking", slot_id)
        if slot.status in ("started", "done"):
            raise Conflict("Máy đã bắt đầu làm: không huỷ được lịch này.",
                           "The work has started: this booking cannot be cancelled.")
        if slot.status == "cancelled":
            raise Conflict("Lịch này đã huỷ.", "This booking is already cancelled.")
        if slot.kind == "booking" and clock.now() >= slot.starts_at:
            raise Conflict(
                f"Lịch bắt đầu lúc {booking.local_text(slot.starts_at)}: đã đến giờ làm, không "
                "huỷ được.", f"The booking started at {booking.local_text(slot.starts_at)}: it "
                "cannot be cancelled any more.")
        slot.status, slot.cancelled_at = "cancelled", clock.now()
        uow.commit()
        return _slot_public(slot)


def start(uow: UnitOfWork, slot_id: int) -> SlotPublic:
    """The operator starts the work of a booking."""
    require_role(uow.principal, *OWNER_ROLES)
    with uow:
        slot, e = _load_slot(uow, slot_id)
        if not _owner(uow, e):
            raise not_found("lịch đặt máy", "booking", slot_id)
        if slot.kind != "booking" or slot.status != "confirmed":
            raise Conflict(f"Không bắt đầu được lịch ở trạng thái «{slot.status}».",
                           f"A booking that is '{slot.status}' cannot be started.")
        slot.status = "started"
        uow.commit()
        return _slot_public(slot)


def _free_from(s: Session, e: Equipment, after: dt.datetime, hours: float) -> dt.datetime:
    """The first time from ``after`` when the machine is free for ``hours``."""
    at = after
    span = dt.timedelta(hours=hours)
    for slot in s.scalars(select(Slot).where(Slot.equipment_id == e.id,
                                             Slot.status.in_(SLOT_ACTIVE),
                                             Slot.ends_at > after).order_by(Slot.starts_at)):
        if slot.starts_at >= at + span:
            break
        at = max(at, slot.ends_at)
    return at


def record_job(uow: UnitOfWork, slot_id: int, data: JobCreate) -> JobPublic:
    """What the work took: the hour meter at the end, the area, the fuel; the cost follows from
    the rate. A machine that reaches its service interval gets a maintenance block."""
    require_role(uow.principal, *OWNER_ROLES)
    with uow:
        s = uow.session
        _lock(s)
        slot, e = _load_slot(uow, slot_id)
        if not _owner(uow, e):
            raise not_found("lịch đặt máy", "booking", slot_id)
        if slot.kind != "booking" or slot.status not in ("confirmed", "started"):
            raise Conflict(f"Không ghi công việc cho lịch ở trạng thái «{slot.status}».",
                           f"No job can be recorded for a booking that is '{slot.status}'.")
        if data.hour_meter_end < e.hour_meter:
            raise invalid("hour_meter_end",
                          "Đồng hồ giờ máy không thể lùi: đang "
                          f"{format_number(e.hour_meter, 'vi', 1)} giờ, nhập "
                          f"{format_number(data.hour_meter_end, 'vi', 1)}.",
                          f"The hour meter cannot go backwards: it reads "
                          f"{format_number(e.hour_meter, 'en', 1)} h, "
                          f"{format_number(data.hour_meter_end, 'en', 1)} was given.")
        if data.area_ha <= 0:
            raise invalid("area_ha", "Công việc 0 ha: ghi diện tích đã làm.",
                          "A job of 0 ha: give the area worked.")
        if data.diary_activity_id is not None:
            diary.get_activity(uow, data.diary_activity_id)
        hours = round(data.hour_meter_end - e.hour_meter, 2)
        job = Job(slot_id=slot.id, hour_meter_start=e.hour_meter,
                  hour_meter_end=data.hour_meter_end, area_ha=data.area_ha, fuel_l=data.fuel_l,
                  cost_vnd=booking.job_cost(e.rate_vnd, e.rate_unit, data.area_ha, hours),
                  diary_activity_id=data.diary_activity_id, recorded_by=uow.principal.user_id)
        s.add(job)
        e.hour_meter = data.hour_meter_end
        slot.status = "done"
        s.flush()
        block = None
        if booking.maintenance_due(e.hour_meter, e.hours_at_service, e.service_interval_h):
            begins = _free_from(s, e, max(clock.now(), slot.ends_at), e.service_duration_h)
            block = Slot(equipment_id=e.id, kind="maintenance", status="confirmed",
                         starts_at=begins,
                         ends_at=begins + dt.timedelta(hours=e.service_duration_h),
                         field_ids=[], note="Bảo dưỡng định kỳ theo giờ máy / service due")
            _insert(s, block)
        uow.commit()
        return JobPublic(id=job.id, slot_id=slot.id, hour_meter_start=job.hour_meter_start,
                         hour_meter_end=job.hour_meter_end, hours=hours, area_ha=job.area_ha,
                         fuel_l=job.fuel_l, cost_vnd=job.cost_vnd,
                         diary_activity_id=job.diary_activity_id,
                         maintenance_block=_slot_public(block) if block else None)


def add_maintenance(uow: UnitOfWork, equipment_id: int, data: MaintenanceCreate) -> SlotPublic:
    """Block a machine for maintenance (refused over a booking)."""
    require_role(uow.principal, *OWNER_ROLES)
    start_at, end_at, assumed = _times(data.starts_at, data.ends_at)
    with uow:
        s = uow.session
        _lock(s)
        e = _load(s, equipment_id)
        if not _owner(uow, e):
            raise not_found("máy", "equipment", equipment_id)
        clash = _conflict(s, e.id, start_at, end_at)
        if clash is not None:
            raise _taken(clash)
        slot = Slot(equipment_id=e.id, kind="maintenance", status="confirmed",
                    starts_at=start_at, ends_at=end_at, field_ids=[], note=data.note)
        _insert(s, slot)
        uow.commit()
        return _slot_public(slot, assumed)


def complete_maintenance(uow: UnitOfWork, slot_id: int) -> SlotPublic:
    """Maintenance done: the service counter starts again from the hour meter."""
    require_role(uow.principal, *OWNER_ROLES)
    with uow:
        slot, e = _load_slot(uow, slot_id)
        if not _owner(uow, e):
            raise not_found("lịch bảo dưỡng", "maintenance", slot_id)
        if slot.kind != "maintenance" or slot.status != "confirmed":
            raise Conflict("Chỉ hoàn thành được lịch bảo dưỡng đang chờ.",
                           "Only a pending maintenance block can be completed.")
        slot.status = "done"
        e.hours_at_service = e.hour_meter
        uow.commit()
        return _slot_public(slot)


def slots(uow: UnitOfWork, equipment_id: int, since: dt.datetime | None = None
          ) -> list[SlotPublic]:
    """A machine's calendar from ``since`` (default: today): everyone sees when it is busy;
    the fields and notes only its owner and the bookers."""
    with uow:
        s = uow.session
        e = _load(s, equipment_id)
        owner = _owner(uow, e)
        since = since or clock.now() - dt.timedelta(days=1)
        rows = s.scalars(select(Slot).where(Slot.equipment_id == e.id,
                                            Slot.status != "cancelled", Slot.ends_at >= since)
                         .order_by(Slot.starts_at).limit(500))
        return [_slot_public(r, show_fields=owner or _booker(uow, r)) for r in rows]
