"""Use cases of accounts: log in (throttled), tokens, users, devices, the audit log."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from nongso.accounts.models import ApiToken, Device, LoginAttempt, User, UserSession
from nongso.accounts.schemas import (
    AuditEntryPublic,
    DeviceCreate,
    DevicePublic,
    DeviceWithKey,
    TokenInfo,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from nongso.core import audit, security
from nongso.core.audit import AuditEntry
from nongso.core.db import utcnow
from nongso.core.errors import (
    Conflict,
    FieldError,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    not_found,
)
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import ANONYMOUS, Principal, deny, require_login, require_role
from nongso.core.references import ensure_unreferenced
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.registry import services as registry
from nongso.units import services as units

_BAD_LOGIN = Unauthorized(
    "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."
)


def principal_of(user: User, session_id: int | None = None,
                 token_id: int | None = None) -> Principal:
    return Principal(
        role=user.role, user_id=user.id, username=user.username, unit_code=user.unit_code,
        province_code=user.province_code, organisation_id=user.organisation_id,
        farmer_id=user.farmer_id, session_id=session_id, token_id=token_id,
    )


# --- logging in -------------------------------------------------------------------------------

def _refusal(uow: UnitOfWork, username: str, ip: str) -> int | None:
    """Seconds this address must wait before guessing this account's password again (None:
    it may try now). Counts the failures still in the window, this attempt's own row among
    them: each attempt is committed before it is counted, so that of parallel guesses at
    most ``login_max_failures`` are ever checked against the password. The owner logging in
    from another address is not held up by somebody else's guesses."""
    s = get_settings()
    now = utcnow()
    window = dt.timedelta(seconds=s.login_window_seconds)
    since = now - window
    last_success = uow.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip,
            LoginAttempt.success.is_(True))
    )
    pair_since = max(since, last_success) if last_success else since
    pair_count, pair_oldest = uow.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip,
            LoginAttempt.success.is_(False), LoginAttempt.at > pair_since)
    ).one()
    ip_count, ip_oldest = uow.session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > since)
    ).one()
    oldest = None
    if pair_count > s.login_max_failures:
        oldest = pair_oldest
    elif ip_count > 4 * s.login_max_failures:
        oldest = ip_oldest
    if oldest is None:
        return None
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def _audit_login(uow: UnitOfWork, action: str, username: str, user: User | None,
                 ip: str) -> None:
    uow.session.add(AuditEntry(
        actor_user_id=user.id if user is not None else None,
        actor=f"{username} ({user.role})" if user is not None else username,
        action=action, entity="users",
        entity_id=str(user.id) if user is not None else username[:100],
        before=None, after={"ip": ip},
    ))


def login(uow: UnitOfWork, username: str, password: str, ip: str, *,
          audit_success: bool = True) -> Principal:
    """Check a password (throttled per account and address, and per address); the attempt,
    and the log-in or the failure, are recorded (the latter in the audit log; a successful
    log-in too unless ``audit_success`` is false: HTTP Basic, which logs in on every
    request)."""
    username = username.strip().lower()[:64]
    ip = ip[:64]
    with uow:
        attempt = LoginAttempt(username=username, ip=ip, success=False)
        uow.session.add(attempt)
        uow.commit()
        attempt_id = attempt.id
    with uow:
        wait = _refusal(uow, username, ip)
        if wait is not None:
            uow.session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
            uow.commit()
    if wait is not None:
        minutes = math.ceil(wait / 60)
        raise TooManyRequests(
            f"Đăng nhập sai quá nhiều lần từ địa chỉ này. Vui lòng thử lại sau {minutes} phút.",
            f"Too many failed log-ins from this address. Try again in {minutes} minutes.",
            extra={"retry_after": wait},
        )
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            security.verify_password(security.dummy_hash(), password)
            ok = False
        else:
            ok = user.is_active and security.verify_password(user.password_hash, password)
        if ok:
            uow.session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id)
                                .values(success=True))
        if not ok or audit_success:
            _audit_login(uow, "login" if ok else "login_failed", username, user, ip)
        uow.commit()
        principal = principal_of(user) if ok and user is not None else None
    if principal is None:
        raise _BAD_LOGIN
    return principal


def start_session(uow: UnitOfWork, principal: Principal, ip: str) -> str:
    """A web session for a user who just logged in: the secret for the cookie (only its hash
    is stored). Expired sessions of everybody are removed on the way."""
    assert principal.user_id is not None
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with uow:
        uow.session.execute(delete(UserSession).where(UserSession.expires_at < now))
        uow.session.add(UserSession(
            user_id=principal.user_id, sid_hash=security.sha256_hex(sid), ip=ip[:64],
            expires_at=now + dt.timedelta(hours=get_settings().session_ttl_hours)))
        uow.commit()
    return sid


def end_session(uow: UnitOfWork, sid: str) -> None:
    """Log out: the session ends on the server (a copy of the cookie no longer works)."""
    with uow:
        row = uow.session.scalar(
            select(UserSession).where(UserSession.sid_hash == security.sha256_hex(sid)))
        if row is None:
            return
        user = uow.session.get(User, row.user_id)
        uow.session.delete(row)
        if user is not None:
            _audit_login(uow, "logout", user.username, user, row.ip)
        uow.commit()


def issue_token(uow: UnitOfWork, username: str, password: str, ip: str,
                name: str = "api") -> TokenPublic:
    principal = login(uow, username, password, ip)
    token = security.new_token()
    expires = utcnow() + dt.timedelta(hours=get_settings().token_ttl_hours)
    with uow:
        assert principal.user_id is not None
        row = ApiToken(user_id=principal.user_id, token_hash=security.sha256_hex(token),
                       name=name, expires_at=expires)
        uow.session.add(row)
        uow.commit()
        token_id = row.id
    return TokenPublic(access_token=token, expires_at=expires, id=token_id)


def revoke_token(uow: UnitOfWork, token: str) -> None:
    with uow:
        row = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == security.sha256_hex(token))
        )
        if row is not None:
            row.revoked = True
            uow.commit()


def list_tokens(uow: UnitOfWork) -> list[TokenInfo]:
    """The caller's own API tokens, newest first (revoked and expired ones included)."""
    require_login(uow.principal)
    with uow:
        rows = uow.session.scalars(
            select(ApiToken).where(ApiToken.user_id == uow.principal.user_id)
            .order_by(ApiToken.id.desc()).limit(500)).all()
        return [TokenInfo.model_validate(r) for r in rows]


def revoke_token_by_id(uow: UnitOfWork, token_id: int) -> None:
    """Revoke one of the caller's own tokens (an administrator: anybody's)."""
    require_login(uow.principal)
    with uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None or (row.user_id != uow.principal.user_id
                           and not uow.principal.is_admin):
            raise not_found("mã truy cập", "token", token_id)
        if not row.revoked:
            row.revoked = True
            audit.record(uow.session, "token_revoke", "api_tokens", str(row.id))
        uow.commit()


def _end_credentials(uow: UnitOfWork, user_id: int) -> None:
    """A password change: every token and web session of the user ends, except the one this
    very request came with (when the user changes their own password)."""
    p = uow.principal
    own = p.user_id == user_id
    tokens = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
    if own and p.token_id is not None:
        tokens = tokens.where(ApiToken.id != p.token_id)
    uow.session.execute(tokens.values(revoked=True))
    sessions = delete(UserSession).where(UserSession.user_id == user_id)
    if own and p.session_id is not None:
        sessions = sessions.where(UserSession.id != p.session_id)
    uow.session.execute(sessions)
    audit.record(uow.session, "password", "users", str(user_id))


def authenticate(
    uow: UnitOfWork, bearer: str | None = None, api_key: str | None = None,
    session_id: str | None = None,
) -> Principal:
    """The principal behind a bearer token, a device key or a web session (else anonymous).

    A credential that is given but wrong is an error, never a silent anonymous request. A web
    session that ended (log-out, password change, expiry) is anonymous.
    """
    with uow:
        s = uow.session
        if bearer and bearer.startswith(security.DEVICE_KEY_PREFIX):
            api_key, bearer = bearer, None
        if bearer:
            row = s.execute(
                select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == security.sha256_hex(bearer))
            ).first()
            if row is None or row[0].revoked or row[0].expires_at < utcnow() \
                    or not row[1].is_active:
                raise Unauthorized("Mã truy cập không hợp lệ hoặc đã hết hạn.",
                                   "Invalid or expired access token.")
            return principal_of(row[1], token_id=row[0].id)
        if api_key:
            prefix = api_key[:12]
            device = s.scalar(select(Device).where(Device.key_prefix == prefix))
            if device is None or not device.is_active or not security.constant_time_equal(
                device.key_hash, security.sha256_hex(api_key)
            ):
                raise Unauthorized("Khoá thiết bị không hợp lệ.", "Invalid device key.")
            return Principal(
                role="device", username=f"device:{device.name}", device_id=device.id,
                unit_code=device.unit_code, province_code=device.province_code,
                organisation_id=device.organisation_id,
            )
        if session_id:
            found = s.execute(
                select(UserSession, User).join(User, User.id == UserSession.user_id)
                .where(UserSession.sid_hash == security.sha256_hex(session_id))
            ).first()
            if found is not None and found[0].expires_at > utcnow() and found[1].is_active:
                return principal_of(found[1], session_id=found[0].id)
        return ANONYMOUS


# --- users ------------------------------------------------------------------------------------

def _scope(uow: UnitOfWork, role: str, unit_code: str | None, organisation_id: int | None,
           farmer_id: int | None) -> tuple[str | None, str | None, int | None, int | None]:
    """Validate a role's scope; returns (unit_code, province_code, organisation_id, farmer_id)."""
    def need(field: str, vi: str, en: str) -> ValidationFailed:
        return ValidationFailed(vi, en, [FieldError(field, vi, en)])

    if role == "admin":
        return None, None, None, None
    if role in ("province_officer", "inspector"):
        if not unit_code or len(unit_code) != 2:
            raise need("unit_code", "Vai trò này cần mã tỉnh (2 chữ số).",
                       "This role needs a province code (2 digits).")
        units.require_scope_unit(uow, unit_code)
        return unit_code, unit_code, None, None
    if role == "commune_officer":
        if not unit_code or len(unit_code) != 5:
            raise need("unit_code", "Vai trò này cần mã xã/phường (5 chữ số).",
                       "This role needs a commune code (5 digits).")
        commune = units.require_commune(uow, unit_code, "unit_code")
        return unit_code, commune.province_code, None, None
    if role in ("coop_manager", "buyer"):
        if organisation_id is None:
            raise need("organisation_id", "Vai trò này cần một tổ chức.",
                       "This role needs an organisation.")
        org = registry.organisation_scope(uow, organisation_id)
        return org.commune_code, org.province_code, organisation_id, None
    if role == "farmer":
        if farmer_id is None:
            raise need("farmer_id", "Tài khoản nông dân cần gắn với một nông hộ.",
                       "A farmer account needs a farmer record.")
        farmer = registry.farmer_scope(uow, farmer_id)
        return farmer.commune_code, farmer.province_code, farmer.organisation_id, farmer_id
    raise need("role", "Vai trò không hợp lệ.", "Invalid role.")


def _require_manager(principal: Principal, province_code: str | None, role: str) -> None:
    """Admins manage every account; a province officer manages its province's local roles."""
    require_login(principal)
    if principal.is_admin:
        return
    if principal.role == "province_officer" and role not in ("admin", "province_officer") \
            and province_code == principal.unit_code:
        return
    raise deny()


def create_user(uow: UnitOfWork, data: UserCreate) -> UserPublic:
    with uow:
        unit_code, province_code, org_id, farmer_id = _scope(
            uow, data.role, data.unit_code, data.organisation_id, data.farmer_id
        )
        _require_manager(uow.principal, province_code, data.role)
        username = data.username.lower()
        if uow.session.scalar(select(User.id).where(User.username == username)):
            raise Conflict(
                f"Tên đăng nhập «{username}» đã được dùng.",
                f"Username '{username}' is already taken.",
                [FieldError("username", "Đã tồn tại", "Already exists")],
            )
        user = User(
            username=username, full_name=data.full_name.strip(), email=data.email,
            phone=data.phone, password_hash=security.hash_password(data.password),
            role=data.role, unit_code=unit_code, province_code=province_code,
            organisation_id=org_id, farmer_id=farmer_id, language=data.language,
        )
        uow.session.add(user)
        try:
            uow.commit()
        except IntegrityError as exc:  # a concurrent create of the same name
            raise Conflict("Tên đăng nhập đã được dùng.", "Username already taken.") from exc
        return UserPublic.model_validate(user)


def _load_user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise not_found("người dùng", "user", user_id)
    return user


def _can_see_user(principal: Principal, user: User) -> bool:
    return principal.is_admin or principal.user_id == user.id or (
        principal.role == "province_officer" and user.province_code == principal.unit_code
    )


def list_users(uow: UnitOfWork, page: PageRequest, q: str | None = None) -> Page[UserPublic]:
    require_role(uow.principal, "province_officer")
    stmt = select(User)
    if not uow.principal.is_admin:
        stmt = stmt.where(User.province_code == uow.principal.unit_code)
    if q:
        stmt = stmt.where(User.username.contains(q.lower()))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(User.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[UserPublic.model_validate(u) for u in rows], total=total,
                    limit=page.limit, offset=page.offset)


def get_user(uow: UnitOfWork, user_id: int) -> UserPublic:
    require_login(uow.principal)
    with uow:
        user = _load_user(uow, user_id)
        if not _can_see_user(uow.principal, user):
            raise not_found("người dùng", "user", user_id)
        return UserPublic.model_validate(user)


def update_user(uow: UnitOfWork, user_id: int, data: UserUpdate) -> UserPublic:
    with uow:
        user = _load_user(uow, user_id)
        principal = uow.principal
        own_fields = {"full_name", "password", "email", "phone", "language"}
        changes = data.model_dump(exclude_unset=True)
        if principal.user_id == user.id and set(changes) <= own_fields:
            pass
        else:
            _require_manager(principal, user.province_code, user.role)
        if "role" in changes or "unit_code" in changes or "organisation_id" in changes:
            role = changes.get("role") or user.role
            scope = _scope(uow, role, changes.get("unit_code", user.unit_code),
                           changes.get("organisation_id", user.organisation_id), user.farmer_id)
            _require_manager(principal, scope[1], role)
            user.role = role
            user.unit_code, user.province_code, user.organisation_id, user.farmer_id = scope
        for key in ("full_name", "email", "phone", "language", "is_active"):
            if key in changes and changes[key] is not None:
                setattr(user, key, changes[key])
        if changes.get("password"):
            user.password_hash = security.hash_password(changes["password"])
            _end_credentials(uow, user.id)
        uow.commit()
        return UserPublic.model_validate(user)


def delete_user(uow: UnitOfWork, user_id: int) -> None:
    with uow:
        user = _load_user(uow, user_id)
        _require_manager(uow.principal, user.province_code, user.role)
        if user.id == uow.principal.user_id:
            raise Conflict("Không thể tự xoá tài khoản của mình.", "You cannot delete yourself.")
        uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        uow.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        ensure_unreferenced(uow.session, user, "người dùng", "user")
        uow.session.delete(user)
        uow.commit()


def ensure_user(uow: UnitOfWork, data: UserCreate) -> UserPublic:
    """Create the user unless the name exists (used by the demo and first start)."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == data.username.lower()))
        if user is not None:
            return UserPublic.model_validate(user)
        return create_user(uow, data)


# --- devices ----------------------------------------------------------------------------------

def create_device(uow: UnitOfWork, data: DeviceCreate) -> DeviceWithKey:
    require_role(uow.principal, "province_officer", "commune_officer")
    with uow:
        unit_code = province_code = None
        if data.unit_code:
            unit = units.require_scope_unit(uow, data.unit_code)
            unit_code, province_code = unit.code, unit.province_code
        if not uow.principal.is_admin and not uow.principal.covers_unit(unit_code, province_code):
            raise deny()
        if uow.session.scalar(select(Device.id).where(Device.name == data.name)):
            raise Conflict(f"Thiết bị «{data.name}» đã tồn tại.",
                           f"Device '{data.name}' already exists.")
        key = security.new_device_key()
        device = Device(
            name=data.name, key_prefix=key[:12], key_hash=security.sha256_hex(key),
            unit_code=unit_code, province_code=province_code,
            organisation_id=data.organisation_id,
        )
        uow.session.add(device)
        uow.commit()
        return DeviceWithKey(**DevicePublic.model_validate(device).model_dump(), api_key=key)


def list_devices(uow: UnitOfWork, page: PageRequest) -> Page[DevicePublic]:
    require_role(uow.principal, "province_officer", "commune_officer")
    stmt = select(Device)
    p = uow.principal
    if not p.is_admin:
        col = Device.province_code if p.role == "province_officer" else Device.unit_code
        stmt = stmt.where(col == p.unit_code)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Device.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[DevicePublic.model_validate(d) for d in rows], total=total,
                    limit=page.limit, offset=page.offset)


def devices_by_name(uow: UnitOfWork, names: Iterable[str]) -> dict[str, DevicePublic]:
    """Devices by name (the MQTT bridge finds the device of a topic); administrators only."""
    require_role(uow.principal, "admin")
    wanted = sorted(set(names))
    with uow:
        rows = uow.session.scalars(select(Device).where(Device.name.in_(wanted))).all()
        return {d.name: DevicePublic.model_validate(d) for d in rows}


def all_devices(uow: UnitOfWork) -> list[DevicePublic]:
    """Every device (administrators only; e.g. to write the MQTT broker's configuration)."""
    require_role(uow.principal, "admin")
    with uow:
        rows = uow.session.scalars(select(Device).order_by(Device.id)).all()
        return [DevicePublic.model_validate(d) for d in rows]


def users_with_roles(uow: UnitOfWork, roles: Iterable[str]) -> list[UserPublic]:
    """Active users of these roles (administrators only; e.g. to notify them of an alert)."""
    require_role(uow.principal, "admin")
    with uow:
        rows = uow.session.scalars(
            select(User).where(User.role.in_(sorted(set(roles))), User.is_active.is_(True))
            .order_by(User.id)).all()
        return [UserPublic.model_validate(u) for u in rows]


def user_ids_of_organisations(uow: UnitOfWork, organisation_ids: Iterable[int]) -> list[int]:
    """The ids of the users acting for these organisations (a look-up for other domains'
    scoping: no permission check, no personal data)."""
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return []
    with uow:
        return list(uow.session.scalars(select(User.id).where(
            User.organisation_id.in_(wanted)).order_by(User.id)))


def principal_by_name(uow: UnitOfWork, username: str) -> Principal | None:
    """The principal of an active user account, for trusted local use (``--user`` options of
    the command line); None when there is no such active account."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower(),
                                                     User.is_active.is_(True)))
        return principal_of(user) if user is not None else None


# --- audit log --------------------------------------------------------------------------------

def list_audit(
    uow: UnitOfWork, page: PageRequest, entity: str | None = None, entity_id: str | None = None,
    actor_user_id: int | None = None,
) -> Page[AuditEntryPublic]:
    """The audit log, newest first (admins only)."""
    require_role(uow.principal, "admin")
    stmt = select(AuditEntry)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor_user_id is not None:
        stmt = stmt.where(AuditEntry.actor_user_id == actor_user_id)
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(
            stmt.order_by(AuditEntry.id.desc()).limit(page.limit).offset(page.offset)
        ).all()
        return Page(items=[AuditEntryPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def record_event(uow: UnitOfWork, action: str, entity: str, entity_id: str) -> None:
    with uow:
        audit.record(uow.session, action, entity, entity_id)
        uow.commit()
