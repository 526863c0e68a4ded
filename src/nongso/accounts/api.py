"""HTTP adapter of accounts: tokens, users, devices, audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from nongso.accounts import persons, services
from nongso.accounts.schemas import (
    AuditEntryPublic,
    DeviceCreate,
    DevicePublic,
    DeviceWithKey,
    ErasureReport,
    TokenInfo,
    TokenPublic,
    TokenRequest,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from nongso.core.deps import PageDep, PrincipalDep, UowDep, get_platform, public_write
from nongso.core.fields import Id
from nongso.core.http import client_address
from nongso.core.pagination import Page

router = APIRouter(tags=["accounts"])


def client_ip(request: Request) -> str:
    return client_address(request, get_platform(request).settings.trusted_proxies)


@router.post("/auth/token", response_model=TokenPublic)
@public_write
def create_token(body: TokenRequest, request: Request, uow: UowDep) -> TokenPublic:
    """Exchange a username and password for a bearer token (it lives ``token_ttl_hours``; a
    password change or a revoke ends it sooner)."""
    return services.issue_token(uow, body.username, body.password, client_ip(request),
                                body.name)


@router.get("/auth/tokens", response_model=list[TokenInfo])
def list_tokens(uow: UowDep) -> list[TokenInfo]:
    """The caller's own API tokens (never the tokens themselves)."""
    return services.list_tokens(uow)


@router.delete("/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, uow: UowDep) -> Response:
    """Revoke one of the caller's own tokens (an administrator: anybody's)."""
    services.revoke_token_by_id(uow, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserPublic)
def me(uow: UowDep, principal: PrincipalDep) -> UserPublic:
    from nongso.core.permissions import require_login

    require_login(principal)
    assert principal.user_id is not None
    return services.get_user(uow, principal.user_id)


@router.get("/users", response_model=Page[UserPublic])
def list_users(uow: UowDep, page: PageDep, q: str | None = None) -> Page[UserPublic]:
    return services.list_users(uow, page, q)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, uow: UowDep, response: Response) -> UserPublic:
    user = services.create_user(uow, body)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return user


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(user_id: Id, uow: UowDep) -> UserPublic:
    return services.get_user(uow, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: Id, body: UserUpdate, uow: UowDep) -> UserPublic:
    return services.update_user(uow, user_id, body)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: Id, uow: UowDep) -> Response:
    services.delete_user(uow, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/devices", response_model=Page[DevicePublic])
def list_devices(uow: UowDep, page: PageDep) -> Page[DevicePublic]:
    return services.list_devices(uow, page)


@router.post("/devices", response_model=DeviceWithKey, status_code=status.HTTP_201_CREATED)
def create_device(body: DeviceCreate, uow: UowDep) -> DeviceWithKey:
    """Register a device; its API key is shown in this answer only."""
    return services.create_device(uow, body)


@router.get("/audit", response_model=Page[AuditEntryPublic])
def list_audit(
    uow: UowDep, page: PageDep, entity: str | None = None, entity_id: str | None = None,
    actor_user_id: Annotated[Id | None, Query()] = None,
) -> Page[AuditEntryPublic]:
    """The audit log (admins only), newest first."""
    return services.list_audit(uow, page, entity, entity_id, actor_user_id)


@router.get("/persons/{farmer_id}/export")
def export_person(farmer_id: Id, uow: UowDep) -> dict[str, Any]:
    """Everything held about a farmer (the register, production units, linked accounts, audit
    entries), as JSON; administrators only (Decree 13/2023/NĐ-CP). The export is audited."""
    return persons.export_person(uow, farmer_id)


@router.post("/persons/{farmer_id}/erase", response_model=ErasureReport)
def erase_person(farmer_id: Id, uow: UowDep) -> ErasureReport:
    """Anonymise a farmer and the accounts linked to it (name, phone, national ID, e-mail,
    user name); aggregates, lots and the audit trail stay, with the erased values replaced.
    Administrators only; the erasure is audited without the erased values."""
    return ErasureReport.model_validate(persons.erase_person(uow, farmer_id))
