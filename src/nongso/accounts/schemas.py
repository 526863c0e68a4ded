"""Pydantic models of accounts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nongso.core.fields import Id, NotNull
from nongso.core.permissions import ROLES

Role = Literal[
    "admin", "province_officer", "commune_officer", "coop_manager", "farmer", "buyer",
    "inspector",
]
assert set(Role.__args__) <= set(ROLES)  # type: ignore[attr-defined]

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    unit_code: str | None = Field(default=None, pattern=r"^\d{2}(\d{3})?$")
    organisation_id: Id | None = None
    farmer_id: Id | None = None
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    language: Literal["vi", "en"] = "vi"


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    password: NotNull[str] = Field(default=None, min_length=8, max_length=200)
    role: NotNull[Role] = None
    unit_code: str | None = Field(default=None, pattern=r"^\d{2}(\d{3})?$")
    organisation_id: Id | None = None
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
    language: NotNull[Literal["vi", "en"]] = None
    is_active: NotNull[bool] = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: str
    unit_code: str | None
    province_code: str | None
    organisation_id: int | None
    farmer_id: int | None
    email: str | None
    phone: str | None
    language: str
    is_active: bool
    created_at: dt.datetime


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    # A label to recognise the token by in the list of one's tokens.
    name: str = Field(default="api", min_length=1, max_length=100)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    id: int | None = None


class TokenInfo(BaseModel):
    """One of a user's own API tokens (never the token itself: only its hash is kept)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked: bool


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
    unit_code: str | None = Field(default=None, pattern=r"^\d{2}(\d{3})?$")
    organisation_id: Id | None = None


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    key_prefix: str
    unit_code: str | None
    organisation_id: int | None
    is_active: bool
    created_at: dt.datetime


class DeviceWithKey(DevicePublic):
    """Returned once at creation: the only time the key is shown."""

    api_key: str


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor_user_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None


class ErasureReport(BaseModel):
    """What an erasure changed (never the erased values)."""

    farmer_id: int
    accounts: list[int]
    fields: list[str]
    audit_entries_redacted: int
