"""Permissions and look-ups shared by the remote-sensing use cases."""

from __future__ import annotations

from nongso.core.permissions import Principal, deny, require_login, require_role
from nongso.core.settings import get_settings

RUN_ROLES = ("province_officer",)
READ_ROLES = ("province_officer", "commune_officer", "inspector")


def province_of(p: Principal, province_code: str | None) -> str:
    """The province a run is about: the caller's (a province officer), or the one given."""
    if province_code:
        return province_code
    if p.role == "province_officer" and p.unit_code:
        return p.unit_code
    return get_settings().province_code


def require_run(p: Principal, province_code: str) -> None:
    """Registering scenes and running the reductions: a province officer of that province
    (or an administrator)."""
    require_role(p, *RUN_ROLES)
    if not p.is_admin and p.unit_code != province_code:
        raise deny()


def require_read(p: Principal, commune_code: str, province_code: str) -> None:
    """Reading a commune's fields: officers and inspectors whose unit covers it."""
    require_role(p, *READ_ROLES)
    if not p.covers_unit(commune_code, province_code):
        raise deny()


def require_login_only(p: Principal) -> None:
    require_login(p)
