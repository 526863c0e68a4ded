"""The navigation: each capability registers its pages here when it has them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    path: str
    label_key: str  # an i18n catalogue key
    roles: frozenset[str] | None = None  # None: everyone


NAV: list[NavItem] = [
    NavItem("/", "nav.home"),
    NavItem("/units", "nav.units"),
    NavItem("/audit", "nav.audit", frozenset({"admin"})),
    NavItem("/api/v1/docs", "nav.api"),
]


def register(item: NavItem, before: str | None = "/api/v1/docs") -> None:
    """Add a capability's page to the menu (before the API link by default)."""
    if any(i.path == item.path for i in NAV):
        return
    index = next((n for n, i in enumerate(NAV) if i.path == before), len(NAV))
    NAV.insert(index, item)


def visible(role: str) -> list[NavItem]:
    return [i for i in NAV if i.roles is None or role in i.roles]
