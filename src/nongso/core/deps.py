"""Typed FastAPI dependencies shared by every router (the adapters' toolkit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query, Request

from nongso.core.http import request_language
from nongso.core.pagination import PageRequest
from nongso.core.permissions import ANONYMOUS, Principal
from nongso.core.platform import Platform
from nongso.core.uow import UnitOfWork

Authenticator = Callable[[UnitOfWork, str | None, str | None, int | None], Principal]
"""``(uow, bearer token, device key, web-session user id) -> principal``: who is calling."""

_authenticator: Authenticator | None = None


def register_authenticator(authenticate: Authenticator) -> None:
    """Install the function that turns credentials into a principal (the accounts domain's,
    registered by ``nongso.wiring``: core knows no domain)."""
    global _authenticator
    _authenticator = authenticate


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_principal(
    request: Request, platform: Annotated[Platform, Depends(get_platform)]
) -> Principal:
    """Who is calling: a bearer token, a device key (X-API-Key) or the web session."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if _authenticator is None:
        raise RuntimeError("no authenticator registered: call nongso.wiring.register_handlers()")
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    api_key = request.headers.get("x-api-key")
    session_user = request.session.get("user_id") if "session" in request.scope else None
    principal = _authenticator(platform.uow(ANONYMOUS), bearer, api_key, session_user)
    request.state.principal = principal
    return principal


def get_uow(
    platform: Annotated[Platform, Depends(get_platform)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> UnitOfWork:
    return platform.uow(principal)


def get_page(
    limit: Annotated[int | None, Query(description="Page size (max 500)")] = None,
    offset: Annotated[int | None, Query(description="Items to skip")] = None,
) -> PageRequest:
    return PageRequest.of(limit, offset)


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
PageDep = Annotated[PageRequest, Depends(get_page)]
LangDep = Annotated[str, Depends(request_language)]
