"""Plots, on a production unit of the registry (which gives their farmer, area, crop and
planting-area code) or on their own, and the numbered trees of an orchard plot.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from nongso.core.errors import Conflict, FieldError, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import deny, require_role
from nongso.core.references import ensure_unreferenced
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Plot, Season, Tree
from nongso.diary.schemas import PlotCreate, PlotPublic, PlotUpdate, TreeCreate, TreePublic
from nongso.diary.services._common import (
    _can_write,
    _invalid,
    _page,
    _readable,
    _scope_clause,
    _writable,
)
from nongso.registry import services as registry


def _plot_public(plot: Plot) -> PlotPublic:
    return PlotPublic.model_validate(plot)


def _load_plot(uow: UnitOfWork, plot_id: int) -> Plot:
    plot = uow.session.get(Plot, plot_id)
    if plot is None:
        raise not_found("thửa", "plot", plot_id)
    _readable(uow.principal, plot, "thửa", "plot", plot_id)
    return plot


def _check_unit_in_use(unit_id: int, status: str, effective_status: str) -> None:
    """A new plot lies on a production unit still in the registry and in force."""
    if status == "deleted":
        raise _invalid("production_unit_id",
                       f"Vùng sản xuất #{unit_id} đã bị xoá khỏi sổ đăng ký; không thể tạo thửa "
                       "mới trên vùng này.",
                       f"Production unit #{unit_id} was deleted from the registry; no new plot "
                       "can be created on it.")
    if effective_status in ("retired", "expired"):
        raise _invalid("production_unit_id",
                       f"Vùng sản xuất #{unit_id} đã ngừng hoạt động hoặc hết hiệu lực; không thể "
                       "tạo thửa mới trên vùng này.",
                       f"Production unit #{unit_id} is retired or no longer valid; no new plot "
                       "can be created on it.")


def create_plot(uow: UnitOfWork, data: PlotCreate) -> PlotPublic:
    require_role(uow.principal, "farmer", "coop_manager")
    with uow:
        s, p = uow.session, uow.principal
        unit = None
        if data.production_unit_id is not None:
            unit = registry.production_unit_ref(uow, data.production_unit_id)
            if unit is None:
                raise _invalid("production_unit_id",
                               f"Vùng sản xuất #{data.production_unit_id} không tồn tại.",
                               f"Production unit #{data.production_unit_id} does not exist.")
            _check_unit_in_use(unit.id, unit.status, unit.effective_status)
            farmer_id = unit.farmer_id if data.farmer_id is None else data.farmer_id
        else:
            farmer_id = data.farmer_id if data.farmer_id is not None else p.farmer_id
        if farmer_id is None:
            raise _invalid("farmer_id", "Cần chỉ rõ nông hộ của thửa.",
                           "The plot's farmer is required.")
        farmer = registry.farmer_ref(uow, farmer_id)
        if farmer is None:
            raise _invalid("farmer_id", f"Nông hộ #{farmer_id} không tồn tại.",
                           f"Farmer #{farmer_id} does not exist.")
        if unit is not None and unit.farmer_id is not None and unit.farmer_id != farmer.id:
            raise _invalid("production_unit_id", "Vùng sản xuất này thuộc nông hộ khác.",
                           "This production unit belongs to another farmer.")
        if unit is not None and unit.organisation_id is not None \
                and unit.farmer_id != farmer.id \
                and unit.organisation_id != farmer.organisation_id:
            # Another co-operative's field block: its plots (and the lots harvested on them,
            # under that co-operative's name and GS1 prefix) are that co-operative's to make.
            raise deny()
        organisation_id = farmer.organisation_id if unit is None or unit.organisation_id is None \
            else unit.organisation_id
        scope = Plot(farmer_id=farmer.id, organisation_id=organisation_id,
                     commune_code=farmer.commune_code, province_code=farmer.province_code)
        if not _can_write(p, scope):
            raise deny()
        area = data.area_ha or (unit.area_ha if unit is not None else None)
        if not area:
            raise _invalid("area_ha", "Cần diện tích thửa (ha).", "The plot's area (ha) is "
                           "required.")
        code = data.code or (unit.code if unit is not None and unit.code else None) or (
            f"PU-{unit.id}" if unit is not None else f"F{farmer.id}-{uuid.uuid4().hex[:6]}")
        if s.scalar(select(Plot.id).where(Plot.code == code)):
            raise Conflict(f"Mã thửa «{code}» đã có.", f"Plot code '{code}' already exists.",
                           [FieldError("code", "Đã tồn tại", "Already exists")])
        attrs = unit.attributes if unit is not None else {}
        plot = Plot(
            production_unit_id=unit.id if unit is not None else None, farmer_id=farmer.id,
            organisation_id=organisation_id,
            commune_code=unit.commune_code if unit is not None else farmer.commune_code,
            province_code=unit.province_code if unit is not None else farmer.province_code,
            code=code, name=data.name or (unit.name if unit is not None else code),
            crop=data.crop or (unit.crop if unit is not None else None), area_ha=area,
            planting_area_code=data.planting_area_code or (
                str(attrs["planting_area_code"]) if attrs.get("planting_area_code") else None),
            certifications=data.certifications,
        )
        s.add(plot)
        uow.commit()
        return _plot_public(plot)


def list_plots(uow: UnitOfWork, page: PageRequest, farmer_id: int | None = None,
               organisation_id: int | None = None, commune_code: str | None = None,
               q: str | None = None) -> Page[PlotPublic]:
    with uow:
        stmt = select(Plot).where(_scope_clause(uow.principal, Plot))
        if farmer_id is not None:
            stmt = stmt.where(Plot.farmer_id == farmer_id)
        if organisation_id is not None:
            stmt = stmt.where(Plot.organisation_id == organisation_id)
        if commune_code:
            stmt = stmt.where(Plot.commune_code == commune_code)
        if q:
            stmt = stmt.where(func.lower(Plot.code).contains(q.lower())
                              | func.lower(Plot.name).contains(q.lower()))
        return _page(uow.session, stmt, (Plot.id,), page,
                     lambda rows: [_plot_public(r) for r in rows])


def get_plot(uow: UnitOfWork, plot_id: int) -> PlotPublic:
    with uow:
        return _plot_public(_load_plot(uow, plot_id))


def update_plot(uow: UnitOfWork, plot_id: int, data: PlotUpdate) -> PlotPublic:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        for key, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(plot, key, value)
        uow.commit()
        return _plot_public(plot)


def delete_plot(uow: UnitOfWork, plot_id: int) -> None:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        used = uow.session.scalar(select(func.count()).select_from(Season)
                                  .where(Season.plot_id == plot.id)) or 0
        if used:
            raise Conflict(f"Thửa còn {used} vụ trong nhật ký; không xoá được.",
                           f"The plot still has {used} seasons in the diary; not deleted.")
        ensure_unreferenced(uow.session, plot, "thửa", "plot")
        uow.session.delete(plot)
        uow.commit()


def add_tree(uow: UnitOfWork, plot_id: int, data: TreeCreate) -> TreePublic:
    with uow:
        plot = _load_plot(uow, plot_id)
        _writable(uow.principal, plot, "thửa", "plot", plot_id)
        if uow.session.scalar(select(Tree.id).where(Tree.plot_id == plot.id,
                                                    Tree.code == data.code)):
            raise Conflict(f"Cây «{data.code}» đã có trong thửa.",
                           f"Tree '{data.code}' already exists on the plot.",
                           [FieldError("code", "Đã tồn tại", "Already exists")])
        tree = Tree(plot_id=plot.id, **data.model_dump())
        uow.session.add(tree)
        uow.commit()
        return TreePublic.model_validate(tree)


def list_trees(uow: UnitOfWork, plot_id: int) -> list[TreePublic]:
    with uow:
        plot = _load_plot(uow, plot_id)
        rows = uow.session.scalars(select(Tree).where(Tree.plot_id == plot.id)
                                   .order_by(Tree.code)).all()
        return [TreePublic.model_validate(t) for t in rows]
