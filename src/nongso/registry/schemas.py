"""Pydantic models of the registry."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OrganisationKind = Literal[
    "cooperative", "coop_group", "farmer_club", "company", "input_dealer", "processor",
    "buyer", "exporter",
]
COMMUNE_CODE = r"^\d{5}$"


class Scope(BaseModel):
    """Where a record lies: used by other domains to check permissions."""

    commune_code: str
    province_code: str
    organisation_id: int | None = None


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OrganisationKind
    name: str = Field(min_length=1, max_length=300)
    code: str | None = Field(default=None, max_length=50)
    commune_code: str = Field(pattern=COMMUNE_CODE)
    parent_id: int | None = None
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    tax_code: str | None = Field(default=None, pattern=r"^\d{10}(-\d{3})?$")
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    tax_code: str | None = Field(default=None, pattern=r"^\d{10}(-\d{3})?$")
    lat: float | None = Field(default=None, ge=8.0, le=24.0)
    lon: float | None = Field(default=None, ge=102.0, le=118.0)


class OrganisationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    code: str | None
    commune_code: str
    province_code: str
    parent_id: int | None
    address: str | None
    phone: str | None
    tax_code: str | None
    lat: float | None
    lon: float | None
    created_at: dt.datetime


class FarmerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    national_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    commune_code: str = Field(pattern=COMMUNE_CODE)
    organisation_id: int | None = None


class FarmerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    national_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    organisation_id: int | None = None


class FarmerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    phone: str | None
    national_id: str | None
    commune_code: str
    province_code: str
    organisation_id: int | None
    created_at: dt.datetime


class ProvinceSummary(BaseModel):
    province_code: str
    communes: int
    cooperatives: int
    coop_groups: int
    farmers: int
    fields: int
    area_ha: float
    by_commune: list[dict[str, Any]]
