"""Rendering server-side pages: templates with the user's language, CSRF and principal."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from nongso.core import i18n
from nongso.core.errors import AppError
from nongso.core.http import page_language, static_url
from nongso.core.permissions import ANONYMOUS, ROLE_LABELS, Principal
from nongso.web.nav import visible

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["date"] = i18n.format_date
templates.env.filters["datetime"] = i18n.format_datetime
STATIC_DIR = Path(__file__).parent / "static"
# static('js/trace.js') -> /static/js/trace.js?v=<content hash>: cached for a year, a new
# version is a new URL.
templates.env.globals["static"] = lambda path: static_url(STATIC_DIR, path)


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise AppError(i18n.translate("error.csrf", "vi"), i18n.translate("error.csrf", "en"))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    lang = page_language(request)
    if principal is None:
        principal = getattr(request.state, "principal", None) or ANONYMOUS

    def t(key: str) -> str:
        return i18n.translate(key, lang)

    def num(value: float | int | None, digits: int = 0, trim: bool = False) -> str:
        return i18n.format_number(value, lang, digits, trim)

    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "_": t,
        "num": num,
        "principal": principal,
        "role_label": ROLE_LABELS.get(principal.role, (principal.role, principal.role))[
            0 if lang == "vi" else 1
        ],
        "nav": visible(principal.role),
        "csrf": csrf_token(request),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status)
