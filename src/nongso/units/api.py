"""HTTP adapter of administrative units."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from nongso.core.deps import PageDep, UowDep
from nongso.core.pagination import Page
from nongso.units import services
from nongso.units.schemas import UnitDetail, UnitPublic

router = APIRouter(prefix="/units", tags=["units"])

Generation = Literal["2025", "legacy"]


@router.get("", response_model=Page[UnitPublic])
def search_units(
    uow: UowDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Name (accents optional) or code")]
    = None,
    level: Literal["province", "district", "commune"] | None = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    parent_code: Annotated[str | None, Query(pattern=r"^\d{2,5}$")] = None,
    generation: Generation = "2025",
) -> Page[UnitPublic]:
    """Search the administrative units (since 2025-07-01 by default, or the legacy ones)."""
    return services.search_units(uow, page, q, level, province_code, parent_code, generation)


@router.get("/{code}", response_model=UnitDetail)
def get_unit(
    uow: UowDep,
    code: Annotated[str, Path(pattern=r"^\d{2,5}$")],
    generation: Generation = "2025",
) -> UnitDetail:
    """A unit with its children and predecessor (or successor) units."""
    return services.get_unit(uow, code, generation)
