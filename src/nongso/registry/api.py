"""HTTP adapter of the registry: organisations and farmers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from nongso.core.deps import PageDep, UowDep
from nongso.core.pagination import Page
from nongso.registry import services
from nongso.registry.schemas import (
    FarmerCreate,
    FarmerPublic,
    FarmerUpdate,
    OrganisationCreate,
    OrganisationKind,
    OrganisationPublic,
    OrganisationUpdate,
    ProvinceSummary,
)

router = APIRouter(tags=["registry"])
CommuneQuery = Annotated[str | None, Query(pattern=r"^\d{5}$")]


@router.get("/organisations", response_model=Page[OrganisationPublic])
def list_organisations(
    uow: UowDep, page: PageDep, kind: OrganisationKind | None = None,
    commune_code: CommuneQuery = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OrganisationPublic]:
    return services.list_organisations(uow, page, kind, commune_code, province_code, q)


@router.post("/organisations", response_model=OrganisationPublic,
             status_code=status.HTTP_201_CREATED)
def create_organisation(body: OrganisationCreate, uow: UowDep,
                        response: Response) -> OrganisationPublic:
    org = services.create_organisation(uow, body)
    response.headers["Location"] = f"/api/v1/organisations/{org.id}"
    return org


@router.get("/organisations/{org_id}", response_model=OrganisationPublic)
def get_organisation(org_id: int, uow: UowDep) -> OrganisationPublic:
    return services.get_organisation(uow, org_id)


@router.patch("/organisations/{org_id}", response_model=OrganisationPublic)
def update_organisation(org_id: int, body: OrganisationUpdate, uow: UowDep) -> OrganisationPublic:
    return services.update_organisation(uow, org_id, body)


@router.delete("/organisations/{org_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_organisation(org_id: int, uow: UowDep) -> Response:
    services.delete_organisation(uow, org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/farmers", response_model=Page[FarmerPublic])
def list_farmers(
    uow: UowDep, page: PageDep, commune_code: CommuneQuery = None,
    organisation_id: int | None = None,
) -> Page[FarmerPublic]:
    """Farmers visible to the caller (their unit, their co-operative, or themselves)."""
    return services.list_farmers(uow, page, commune_code, organisation_id)


@router.post("/farmers", response_model=FarmerPublic, status_code=status.HTTP_201_CREATED)
def create_farmer(body: FarmerCreate, uow: UowDep, response: Response) -> FarmerPublic:
    farmer = services.create_farmer(uow, body)
    response.headers["Location"] = f"/api/v1/farmers/{farmer.id}"
    return farmer


@router.get("/farmers/{farmer_id}", response_model=FarmerPublic)
def get_farmer(farmer_id: int, uow: UowDep) -> FarmerPublic:
    return services.get_farmer(uow, farmer_id)


@router.patch("/farmers/{farmer_id}", response_model=FarmerPublic)
def update_farmer(farmer_id: int, body: FarmerUpdate, uow: UowDep) -> FarmerPublic:
    return services.update_farmer(uow, farmer_id, body)


@router.delete("/farmers/{farmer_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_farmer(farmer_id: int, uow: UowDep) -> Response:
    services.delete_farmer(uow, farmer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/provinces/{province_code}/summary", response_model=ProvinceSummary)
def province_summary(province_code: str, uow: UowDep) -> ProvinceSummary:
    """Public counts of a province: communes, co-operatives, farmers, fields, area."""
    return services.province_summary(uow, province_code)
