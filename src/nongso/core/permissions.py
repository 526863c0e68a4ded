"""Who is acting (the principal) and what that role may see, scoped to units/organisations.

Enforcement lives in the services: every service receives the principal through the unit of
work and calls these checks; the routes only authenticate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nongso.core.errors import PermissionDenied, Unauthorized

ROLES: tuple[str, ...] = (
    "admin",
    "province_officer",
    "commune_officer",
    "coop_manager",
    "farmer",
    "buyer",
    "inspector",
    "device",
    "public",
)

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("Quản trị hệ thống", "Administrator"),
    "province_officer": ("Cán bộ tỉnh", "Province officer"),
    "commune_officer": ("Cán bộ xã", "Commune officer"),
    "coop_manager": ("Quản lý hợp tác xã", "Co-operative manager"),
    "farmer": ("Nông dân", "Farmer"),
    "buyer": ("Doanh nghiệp thu mua", "Buyer"),
    "inspector": ("Thanh tra", "Inspector"),
    "device": ("Thiết bị", "Device"),
    "public": ("Khách", "Public"),
}

# Roles whose scope is an administrative unit (a province or a commune code).
UNIT_SCOPED = frozenset({"province_officer", "commune_officer", "inspector"})
# Roles whose scope is an organisation.
ORG_SCOPED = frozenset({"coop_manager", "buyer"})


@dataclass(frozen=True)
class Principal:
    """The actor of a request or command."""

    role: str = "public"
    user_id: int | None = None
    username: str = "public"
    # Scope: the province code (2 digits) or commune code (5 digits) of the role.
    unit_code: str | None = None
    # For a commune scope, its province (so province data can be checked quickly).
    province_code: str | None = None
    organisation_id: int | None = None
    farmer_id: int | None = None
    device_id: int | None = None
    # The credential of this request (a web session or an API token), so that a password
    # change can end every other one.
    session_id: int | None = field(default=None, compare=False)
    token_id: int | None = field(default=None, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.role != "public"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers_unit(self, commune_code: str | None, province_code: str | None) -> bool:
        """Whether this principal's unit scope covers a record in that commune/province."""
        if self.role == "admin":
            return True
        if self.role in ("province_officer", "inspector"):
            return self.unit_code is not None and self.unit_code == province_code
        if self.role == "commune_officer":
            return self.unit_code is not None and self.unit_code == commune_code
        return False

    def label(self) -> str:
        return f"{self.username} ({self.role})"


ANONYMOUS = Principal()
SYSTEM = Principal(role="admin", username="system")


def require_login(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthorized("Bạn cần đăng nhập.", "You need to log in.")


def require_role(principal: Principal, *roles: str) -> None:
    """Raise unless the principal has one of the roles (admin always passes)."""
    require_login(principal)
    if principal.role != "admin" and principal.role not in roles:
        raise PermissionDenied(
            "Vai trò của bạn không được phép thực hiện thao tác này.",
            "Your role may not do this.",
        )


def deny() -> PermissionDenied:
    return PermissionDenied(
        "Bạn không có quyền truy cập dữ liệu của đơn vị này.",
        "You may not access this unit's data.",
    )
