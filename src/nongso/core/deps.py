"""Typed FastAPI dependencies shared by every router (the adapters' toolkit)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from nongso.core.errors import AppError, PermissionDenied
from nongso.core.fields import MAX_ID
from nongso.core.http import request_language
from nongso.core.pagination import PageRequest
from nongso.core.permissions import ANONYMOUS, Principal, require_login
from nongso.core.platform import Platform
from nongso.core.uow import UnitOfWork

Authenticator = Callable[[UnitOfWork, str | None, str | None, str | None], Principal]
"""``(uow, bearer token, device key, web-session id) -> principal``: who is calling."""

SESSION_KEY = "sid"
"""The key of the web session's id in the signed session cookie."""
CSRF_HEADER = "X-CSRF-Token"

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
    sid = request.session.get(SESSION_KEY) if "session" in request.scope else None
    principal = _authenticator(platform.uow(ANONYMOUS), bearer, api_key,
                               sid if isinstance(sid, str) else None)
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


def csrf_error(request: Request, principal: Principal) -> AppError | None:
    """A write authenticated by the web session's cookie alone must carry the session's CSRF
    token in the X-CSRF-Token header (the pages' scripts send it); a page of another site or
    another port of this host cannot read it. Bearer tokens, device keys and HTTP Basic are
    not sent by a browser on its own and need none."""
    if principal.session_id is None or request.method not in UNSAFE_METHODS:
        return None
    if request.headers.get("authorization") or request.headers.get("x-api-key"):
        return None
    expected = request.session.get("csrf") if "session" in request.scope else None
    sent = request.headers.get(CSRF_HEADER)
    if isinstance(expected, str) and sent and secrets.compare_digest(expected, sent):
        return None
    return PermissionDenied(
        "Thiếu mã chống giả mạo (CSRF) của phiên đăng nhập: hãy tải lại trang rồi thử lại. "
        "Ứng dụng dùng mã truy cập (Bearer) thay cho cookie.",
        "The session's anti-forgery (CSRF) token is missing or wrong: reload the page and "
        "try again. Applications use a bearer token instead of the cookie.")


def csrf_for_cookie_writes(request: Request,
                           principal: Annotated[Principal, Depends(get_principal)]) -> None:
    """A router dependency for routers outside ``/api/v1`` that take writes from signed-in
    callers (EPCIS capture): the session cookie alone does not do, the CSRF token must come
    with it (see :func:`csrf_error`)."""
    if (refused := csrf_error(request, principal)) is not None:
        raise refused


def login_for_writes_with(principal_of: PrincipalOf) -> Callable[..., None]:
    """The router dependency that refuses anonymous writes (401) and cookie writes without the
    CSRF token (403), for a router that finds its caller with ``principal_of`` (SensorThings
    clients also log in with HTTP Basic); :data:`login_for_writes` is the usual one."""

    def check(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> None:
        if _write_needs_login(request):
            principal = principal_of(request, platform)
            require_login(principal)
            if (refused := csrf_error(request, principal)) is not None:
                raise refused

    return check


login_for_writes = login_for_writes_with(get_principal)
"""A router dependency: an anonymous write is refused with 401 before anything else (the
body and the parameters are validated after it, the records looked up after that); a write
with the session cookie needs the CSRF token (403)."""


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
            principal = principal_of(request, get_platform(request))
            require_login(principal)
        except AppError as exc:
            return exc
        return csrf_error(request, principal)

    return login_error


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
PageDep = Annotated[PageRequest, Depends(get_page)]
LangDep = Annotated[str, Depends(request_language)]
