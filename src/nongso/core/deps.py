"""Typed FastAPI dependencies shared by every router (the adapters' toolkit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from nongso.core.errors import AppError
from nongso.core.fields import MAX_ID
from nongso.core.http import request_language
from nongso.core.pagination import PageRequest
from nongso.core.permissions import ANONYMOUS, Principal, require_login
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
    limit: Annotated[int | None, Query(description="Page size (max 500)", le=MAX_ID)] = None,
    offset: Annotated[int | None, Query(description="Items to skip", le=MAX_ID)] = None,
) -> PageRequest:
    return PageRequest.of(limit, offset)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., Any])


def public_write(endpoint: F) -> F:
    """Mark a route that anonymous callers may write to (logging in), on a router that
    otherwise checks :func:`login_for_writes`."""
    endpoint.__dict__["nongso_public_write"] = True
    return endpoint


PrincipalOf = Callable[[Request, Platform], Principal]
"""``(request, platform) -> principal``: how a router finds out who is calling."""


def login_for_writes(request: Request, principal: Annotated[Principal, Depends(get_principal)],
                     ) -> None:
    """A router dependency: an anonymous write is refused with 401 before anything else (the
    body and the parameters are validated after it, the records looked up after that)."""
    if _write_needs_login(request):
        require_login(principal)


def login_for_writes_with(principal_of: PrincipalOf) -> Callable[..., None]:
    """:func:`login_for_writes` for a router that finds its caller with ``principal_of``
    (SensorThings clients also log in with HTTP Basic)."""

    def check(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> None:
        if _write_needs_login(request):
            require_login(principal_of(request, platform))

    return check


def _write_needs_login(request: Request) -> bool:
    if request.method not in UNSAFE_METHODS:
        return False
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return not getattr(endpoint, "nongso_public_write", False)


def login_error_on(prefixes: tuple[str, ...], principal_of: PrincipalOf = get_principal,
                   ) -> Callable[[Request], AppError | None]:
    """The check for errors found before the dependencies run (a malformed JSON body): on
    paths under ``prefixes`` (those whose routers depend on :func:`login_for_writes`), the
    401 an anonymous write gets, else None."""

    def login_error(request: Request) -> AppError | None:
        if not request.url.path.startswith(prefixes) or not _write_needs_login(request):
            return None
        try:
            require_login(principal_of(request, get_platform(request)))
        except AppError as exc:
            return exc
        return None

    return login_error


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
PageDep = Annotated[PageRequest, Depends(get_page)]
LangDep = Annotated[str, Depends(request_language)]
