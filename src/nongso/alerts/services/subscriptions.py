"""Subscriptions: create (a user's own, or a role's), give a user one, list, delete."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select, update

from nongso.accounts import services as accounts
from nongso.alerts import channels
from nongso.alerts.models import Delivery, Subscription
from nongso.alerts.schemas import SubscriptionCreate, SubscriptionCreated, SubscriptionPublic
from nongso.alerts.services._common import _fernet
from nongso.core.errors import FieldError, PermissionDenied, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import Principal, require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.units import services as units

_ADDRESS = {
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "Địa chỉ e-mail không hợp lệ.",
              "Invalid e-mail address."),
    "sms": (r"^\+?[0-9 ]{8,20}$", "Số điện thoại không hợp lệ.", "Invalid phone number."),
    "webhook": (r"^https?://[^\s]+$", "URL webhook phải bắt đầu bằng http:// hoặc https://.",
                "A webhook URL must start with http:// or https://."),
}


def create_subscription(uow: UnitOfWork, data: SubscriptionCreate) -> SubscriptionCreated:
    import re

    p = uow.principal
    require_login(p)
    if p.role == "device":
        raise PermissionDenied("Thiết bị không đăng ký nhận cảnh báo.",
                               "Devices do not subscribe to alerts.")
    if data.role is not None:
        require_role(p, "province_officer")
        if data.channel == "webhook":
            raise ValidationFailed("Đăng ký theo vai trò không dùng webhook.",
                                   "A role subscription cannot use a webhook.",
                                   [FieldError("channel", "Không hợp lệ", "Not allowed")])
    address = data.address
    if data.role is None and data.channel in _ADDRESS:
        if address is None and data.channel in ("email", "sms") and p.user_id is not None:
            user = accounts.get_user(uow, p.user_id)
            address = user.email if data.channel == "email" else user.phone
        pattern, vi, en = _ADDRESS[data.channel]
        if not address or not re.match(pattern, address):
            raise ValidationFailed(vi, en, [FieldError("address", vi, en)])
        if data.channel == "webhook" and channels.webhook_refusal(
                address, channels.alert_settings().webhook_allow_private) is not None:
            vi = ("Webhook không được gửi tới địa chỉ nội bộ (loopback, mạng riêng, "
                  "link-local); quản trị viên có thể cho phép bằng "
                  "NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE.")
            en = ("A webhook may not target an internal address (loopback, private, "
                  "link-local); an administrator may allow it with "
                  "NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE.")
            raise ValidationFailed(vi, en, [FieldError("address", vi, en)])
    elif data.channel == "inapp":
        address = None
    if data.commune_code:
        units.require_commune(uow, data.commune_code)
    secret = secrets.token_urlsafe(32) if data.channel == "webhook" else None
    with uow:
        sub = Subscription(
            user_id=None if data.role else p.user_id, role=data.role, channel=data.channel,
            address=address if data.role is None else None,
            secret=_fernet().encrypt(secret.encode()).decode() if secret else None,
            commune_code=data.commune_code, crop=data.crop, rule_prefix=data.rule_prefix,
            min_severity=data.min_severity, language=data.language, created_by=p.user_id,
        )
        uow.session.add(sub)
        uow.commit()
        return SubscriptionCreated(**SubscriptionPublic.model_validate(sub).model_dump(),
                                   secret=secret)


def subscribe_user(uow: UnitOfWork, user_id: int, data: SubscriptionCreate) -> int:
    """Give a user an in-app subscription unless they have one (administrators; the demo)."""
    require_role(uow.principal, "admin")
    with uow:
        found = uow.session.scalar(select(Subscription.id).where(
            Subscription.user_id == user_id, Subscription.channel == data.channel))
        if found is not None:
            return int(found)
        sub = Subscription(user_id=user_id, channel=data.channel, address=data.address,
                           commune_code=data.commune_code, crop=data.crop,
                           rule_prefix=data.rule_prefix, min_severity=data.min_severity,
                           language=data.language, created_by=uow.principal.user_id)
        uow.session.add(sub)
        uow.commit()
        return sub.id


def _my_subscriptions(p: Principal) -> Any:
    stmt = select(Subscription)
    if p.is_admin:
        return stmt
    if p.role == "province_officer":
        return stmt.where((Subscription.user_id == p.user_id)
                          | (Subscription.created_by == p.user_id))
    return stmt.where(Subscription.user_id == p.user_id)


def list_subscriptions(uow: UnitOfWork, page: PageRequest) -> Page[SubscriptionPublic]:
    require_login(uow.principal)
    with uow:
        stmt = _my_subscriptions(uow.principal)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Subscription.id).limit(page.limit)
                                   .offset(page.offset)).all()
        return Page(items=[SubscriptionPublic.model_validate(r) for r in rows], total=total,
                    limit=page.limit, offset=page.offset)


def delete_subscription(uow: UnitOfWork, subscription_id: int) -> None:
    require_login(uow.principal)
    with uow:
        sub = uow.session.scalar(_my_subscriptions(uow.principal).where(
            Subscription.id == subscription_id))
        if sub is None:
            raise not_found("đăng ký nhận tin", "subscription", subscription_id)
        uow.session.delete(sub)
        uow.commit()


def forget_addresses(uow: UnitOfWork, user_ids: tuple[int, ...]) -> None:
    """A person's data was erased: their e-mail and SMS subscriptions stop and lose their
    address, and the addresses copied into their deliveries are blanked (the delivery rows,
    counts and times stay)."""
    if not user_ids:
        return
    with uow:
        s = uow.session
        subs = list(s.scalars(select(Subscription.id).where(
            Subscription.user_id.in_(user_ids))).all())
        s.execute(update(Subscription).where(Subscription.user_id.in_(user_ids),
                                             Subscription.channel.in_(("email", "sms")))
                  .values(address=None, is_active=False))
        s.execute(update(Delivery).where(
            Delivery.user_id.in_(user_ids) | Delivery.subscription_id.in_(subs))
            .values(address=None))
