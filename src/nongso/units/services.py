"""Use cases of administrative units: load the shipped data, search, get, validate codes."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from importlib import resources
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from nongso.core.db import analyze
from nongso.core.errors import FieldError, ValidationFailed, not_found
from nongso.core.i18n import fold
from nongso.core.pagination import Page, PageRequest
from nongso.core.uow import UnitOfWork
from nongso.units.models import CURRENT, LEGACY, REFORM_DATE, AdminUnit, UnitLineage
from nongso.units.schemas import LineageLink, LineagePair, UnitDetail, UnitPublic

LEGACY_END = REFORM_DATE - dt.timedelta(days=1)


def _rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files("nongso.units").joinpath("data", name).open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


def _float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _province_areas(s: Session) -> None:
    """Each current province's area as the sum of its communes' areas, where it is missing."""
    missing = s.scalars(select(AdminUnit).where(
        AdminUnit.generation == CURRENT, AdminUnit.level == "province",
        AdminUnit.area_km2.is_(None))).all()
    if not missing:
        return
    sums = dict(s.execute(select(AdminUnit.province_code, func.sum(AdminUnit.area_km2)).where(
        AdminUnit.generation == CURRENT, AdminUnit.level == "commune")
        .group_by(AdminUnit.province_code)).tuples().all())
    for province in missing:
        total = sums.get(province.code)
        if total:
            province.area_km2 = round(float(total), 2)


def load_reference_data(uow: UnitOfWork) -> int:
    """Load the shipped unit lists once; returns the number of units inserted (0 if present)."""
    with uow:
        s = uow.session
        if s.scalar(select(func.count()).select_from(AdminUnit)):
            _province_areas(s)  # a database loaded before provinces had their area
            return 0
        province_area: dict[str, float] = {}
        for r in _rows("communes.csv"):
            province_area[r["province_code"]] = (province_area.get(r["province_code"], 0.0)
                                                 + (_float(r["area_km2"]) or 0.0))
        units: list[dict[str, Any]] = []
        for r in _rows("provinces.csv"):
            units.append(dict(
                generation=CURRENT, level="province", code=r["code"], name=r["name"],
                short_name=r["short_name"], type=r["type"], parent_code=None,
                province_code=r["code"], lat=_float(r["lat"]), lon=_float(r["lon"]),
                area_km2=round(province_area[r["code"]], 2) if province_area.get(r["code"])
                else None,  # the sum of its communes' areas
                search_key=fold(r["name"]), valid_from=REFORM_DATE, valid_to=None,
            ))
        for r in _rows("communes.csv"):
            units.append(dict(
                generation=CURRENT, level="commune", code=r["code"], name=r["name"],
                short_name=r["short_name"], type=r["type"], parent_code=r["province_code"],
                province_code=r["province_code"], lat=_float(r["lat"]), lon=_float(r["lon"]),
                area_km2=_float(r["area_km2"]), search_key=fold(r["name"]),
                valid_from=REFORM_DATE, valid_to=None,
            ))
        legacy = list(_rows("legacy_units.csv"))
        by_code = {(r["level"], r["code"]): r for r in legacy}

        def legacy_province(r: dict[str, str]) -> str:
            while r["level"] != "province":
                parent_level = "district" if r["level"] == "commune" else "province"
                r = by_code[(parent_level, r["parent_code"])]
            return r["code"]

        for r in legacy:
            units.append(dict(
                generation=LEGACY, level=r["level"], code=r["code"], name=r["name"],
                short_name=r["short_name"], type=r["type"], parent_code=r["parent_code"] or None,
                province_code=legacy_province(r), lat=_float(r["lat"]), lon=_float(r["lon"]),
                area_km2=None, search_key=fold(r["name"]), valid_from=None, valid_to=LEGACY_END,
            ))
        s.execute(insert(AdminUnit), units)
        lineage: list[dict[str, Any]] = [
            dict(level="commune", old_code=r["old_commune_code"], new_code=r["new_commune_code"],
                 divided=r["divided"] == "1", is_default=r["is_default"] == "1")
            for r in _rows("lineage.csv")
        ]
        lineage += [
            dict(level="province", old_code=r["old_province_code"],
                 new_code=r["new_province_code"], divided=False, is_default=True)
            for r in _rows("province_lineage.csv")
        ]
        s.execute(insert(UnitLineage), lineage)
        # Statistics for the planner: the lineage joins (statistics by 2025 commune) are
        # nested loops of millions of probes on PostgreSQL without them.
        analyze(s, [AdminUnit.__tablename__, UnitLineage.__tablename__])
        uow.commit()
        return len(units)


def search_units(
    uow: UnitOfWork,
    page: PageRequest,
    q: str | None = None,
    level: str | None = None,
    province_code: str | None = None,
    parent_code: str | None = None,
    generation: str = CURRENT,
) -> Page[UnitPublic]:
    """Search units; the text matches names without accents ("dong thap") or a code."""
    if generation not in (CURRENT, LEGACY):
        raise ValidationFailed(
            "Thế hệ đơn vị phải là 2025 hoặc legacy.", "generation must be 2025 or legacy.",
            [FieldError("generation", "Giá trị không hợp lệ", "Invalid value")],
        )
    stmt = select(AdminUnit).where(AdminUnit.generation == generation)
    if q:
        folded = fold(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(AdminUnit.search_key.like(f"%{folded}%", escape="\\"), AdminUnit.code == q.strip())
        )
    if level:
        stmt = stmt.where(AdminUnit.level == level)
    if province_code:
        stmt = stmt.where(AdminUnit.province_code == province_code)
    if parent_code:
        stmt = stmt.where(AdminUnit.parent_code == parent_code)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(
            stmt.order_by(AdminUnit.level, AdminUnit.code).limit(page.limit).offset(page.offset)
        ).all()
        return Page(
            items=[UnitPublic.model_validate(r) for r in rows], total=total,
            limit=page.limit, offset=page.offset,
        )


def _get(uow: UnitOfWork, code: str, generation: str) -> AdminUnit:
    level = {2: "province", 3: "district"}.get(len(code), "commune")
    unit = uow.session.scalar(
        select(AdminUnit).where(
            AdminUnit.generation == generation, AdminUnit.level == level, AdminUnit.code == code
        )
    )
    if unit is None:
        raise not_found("đơn vị hành chính", "administrative unit", code)
    return unit


def get_unit(uow: UnitOfWork, code: str, generation: str = CURRENT) -> UnitDetail:
    """A unit with its children and its lineage (predecessors or successors)."""
    with uow:
        s = uow.session
        unit = _get(uow, code, generation)
        children = s.scalars(
            select(AdminUnit)
            .where(AdminUnit.generation == generation, AdminUnit.parent_code == code,
                   AdminUnit.level != unit.level)
            .order_by(AdminUnit.code)
        ).all()
        predecessors: list[LineageLink] = []
        successors: list[LineageLink] = []
        lineage_level = "province" if unit.level == "province" else "commune"
        if generation == CURRENT and unit.level != "district":
            links = s.execute(
                select(UnitLineage, AdminUnit)
                .join(AdminUnit, (AdminUnit.code == UnitLineage.old_code)
                      & (AdminUnit.generation == LEGACY) & (AdminUnit.level == lineage_level))
                .where(UnitLineage.level == lineage_level, UnitLineage.new_code == code)
                .order_by(AdminUnit.code)
            ).all()
            predecessors = [
                LineageLink(unit=UnitPublic.model_validate(u), divided=lk.divided,
                            is_default=lk.is_default)
                for lk, u in links
            ]
        elif generation == LEGACY and unit.level != "district":
            links = s.execute(
                select(UnitLineage, AdminUnit)
                .join(AdminUnit, (AdminUnit.code == UnitLineage.new_code)
                      & (AdminUnit.generation == CURRENT) & (AdminUnit.level == lineage_level))
                .where(UnitLineage.level == lineage_level, UnitLineage.old_code == code)
                .order_by(AdminUnit.code)
            ).all()
            successors = [
                LineageLink(unit=UnitPublic.model_validate(u), divided=lk.divided,
                            is_default=lk.is_default)
                for lk, u in links
            ]
        return UnitDetail(
            **UnitPublic.model_validate(unit).model_dump(),
            children=[UnitPublic.model_validate(c) for c in children],
            predecessors=predecessors,
            successors=successors,
        )


def require_commune(uow: UnitOfWork, code: str, field: str = "commune_code") -> UnitPublic:
    """The current commune with that code, or a validation error naming the field."""
    with uow:
        unit = uow.session.scalar(
            select(AdminUnit).where(
                AdminUnit.generation == CURRENT, AdminUnit.level == "commune",
                AdminUnit.code == code,
            )
        )
        if unit is None:
            raise ValidationFailed(
                f"Mã xã/phường «{code}» không tồn tại.", f"Unknown commune code '{code}'.",
                [FieldError(field, "Mã đơn vị không tồn tại", "Unknown unit code")],
            )
        return UnitPublic.model_validate(unit)


def require_scope_unit(uow: UnitOfWork, code: str, field: str = "unit_code") -> UnitPublic:
    """A current province or commune (the scope of a role), or a validation error."""
    with uow:
        level = "province" if len(code) == 2 else "commune"
        unit = uow.session.scalar(
            select(AdminUnit).where(
                AdminUnit.generation == CURRENT, AdminUnit.level == level, AdminUnit.code == code
            )
        )
        if unit is None:
            raise ValidationFailed(
                f"Mã đơn vị hành chính «{code}» không tồn tại.", f"Unknown unit code '{code}'.",
                [FieldError(field, "Mã đơn vị không tồn tại", "Unknown unit code")],
            )
        return UnitPublic.model_validate(unit)


def communes_of_province(uow: UnitOfWork, province_code: str) -> list[UnitPublic]:
    with uow:
        rows = uow.session.scalars(
            select(AdminUnit)
            .where(AdminUnit.generation == CURRENT, AdminUnit.level == "commune",
                   AdminUnit.province_code == province_code)
            .order_by(AdminUnit.code)
        ).all()
        return [UnitPublic.model_validate(r) for r in rows]


def lineage_of_province(uow: UnitOfWork, province_code: str) -> list[LineagePair]:
    """Every legacy commune -> 2025 commune link whose new commune is in the province."""
    from sqlalchemy.orm import aliased

    old, new, district = aliased(AdminUnit), aliased(AdminUnit), aliased(AdminUnit)
    with uow:
        rows = uow.session.execute(
            select(UnitLineage, old.name, district.name, new.name, new.area_km2)
            .join(new, (new.code == UnitLineage.new_code) & (new.generation == CURRENT)
                  & (new.level == "commune"))
            .join(old, (old.code == UnitLineage.old_code) & (old.generation == LEGACY)
                  & (old.level == "commune"))
            .outerjoin(district, (district.code == old.parent_code)
                       & (district.generation == LEGACY) & (district.level == "district"))
            .where(UnitLineage.level == "commune", new.province_code == province_code)
            .order_by(UnitLineage.old_code, UnitLineage.new_code)
        ).all()
        return [LineagePair(old_code=lk.old_code, old_name=old_name, old_district=district_name,
                            new_code=lk.new_code, new_name=new_name, new_area_km2=area,
                            divided=lk.divided, is_default=lk.is_default)
                for lk, old_name, district_name, new_name, area in rows]
