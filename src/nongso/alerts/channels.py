"""Notification channels: a small interface and a named registry (one real implementation each,
and fakes for what is outside the machine).

- ``inapp``: the delivery row is the notification (the user's inbox in the app);
- ``webhook``: HTTP POST of the alert as CAP-JSON, signed with HMAC-SHA256 (headers
  ``X-Nongso-Timestamp`` and ``X-Nongso-Signature: sha256=<hex of HMAC(secret,
  timestamp + "." + body)>``), like GitHub's and Stripe's webhooks;
- ``email``: SMTP (``NONGSO_ALERTS_SMTP_*``), tested against a real SMTP server;
- ``sms``: through an :class:`SmsGateway` chosen by name (``http``: a provider's HTTP API;
  ``fake``: kept in memory for tests and the demo; ``none``: not configured).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NONGSO_ALERTS_", extra="ignore")

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "canh-bao@nongso.local"
    sms_gateway: str = "none"
    sms_url: str = ""
    sms_api_key: str = ""
    webhook_timeout_s: float = 10.0
    # Webhooks may target loopback, private, link-local and other internal addresses only
    # when an administrator allows it (receivers on the installation's own network).
    webhook_allow_private: bool = False
    # An alert that cleared stays cleared this long before the same rule and place may raise
    # it again (unless worse); and one recipient gets at most one message about the same
    # alert (rule and place) in this interval, except a clear, an escalation and a worse
    # situation.
    min_clear_s: float = 600.0
    delivery_min_interval_s: float = 600.0
    # The background worker: periodic rules (silence, escalation) and sending.
    worker_interval_s: float = 30.0
    max_attempts: int = 6


@lru_cache
def alert_settings() -> AlertSettings:
    return AlertSettings()


class DeliveryError(Exception):
    """The channel could not deliver; ``permanent`` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Notification:
    alert_id: int
    event: str
    language: str
    address: str | None
    subject: str
    text: str  # plain text (e-mail body)
    short: str  # an SMS (≤ 320 characters)
    payload: Mapping[str, Any]  # the alert as CAP-JSON (webhooks)
    secret: str | None = None


class Channel(Protocol):
    name: str

    def send(self, n: Notification) -> None:
        """Deliver or raise :class:`DeliveryError`."""
        ...


class InAppChannel:
    name = "inapp"

    def send(self, n: Notification) -> None:
        return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: hex HMAC-SHA256 of ``timestamp + "." + body``."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                    hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Check an ``X-Nongso-Signature`` header (for receivers; constant time)."""
    expected = "sha256=" + sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def webhook_refusal(url: str, allow_private: bool = False,
                    resolve: Callable[[str], list[str]] | None = None) -> str | None:
    """Why a webhook may not be sent to this URL (None: it may): its host is, or resolves to,
    a loopback, private, link-local or otherwise internal address, and the administrator has
    not allowed those (``NONGSO_ALERTS_WEBHOOK_ALLOW_PRIVATE``). A host that does not resolve
    is not refused here (sending will fail and be retried)."""
    if allow_private:
        return None
    host = urlsplit(url).hostname
    if not host:
        return "no host"
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = (resolve or _resolve)(host)
        except OSError:
            return None
    for address in addresses:
        try:
            if _internal(address):
                return f"{host} is an internal address ({address})"
        except ValueError:
            return f"{host} resolves to an unusable address"
    return None


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


class WebhookChannel:
    name = "webhook"

    def __init__(self, timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time, allow_private: bool = False) -> None:
        self.timeout = timeout
        self.transport = transport
        self.clock = clock
        self.allow_private = allow_private

    def send(self, n: Notification) -> None:
        if not n.address or not n.address.startswith(("http://", "https://")):
            raise DeliveryError("no webhook URL", permanent=True)
        refused = webhook_refusal(n.address, self.allow_private)
        if refused is not None:
            raise DeliveryError(f"webhook refused: {refused}", permanent=True)
        body = json.dumps(n.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "NongSo-Alerts/1", "X-Nongso-Event": n.event,
                   "X-Nongso-Timestamp": timestamp}
        if n.secret:
            headers["X-Nongso-Signature"] = "sha256=" + sign(n.secret, timestamp, body)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(n.address, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {exc.__class__.__name__}: {exc}") \
                from None
        if response.status_code >= 400:
            raise DeliveryError(f"webhook answered {response.status_code}",
                                permanent=_refused_for_good(response.status_code))


def _refused_for_good(status: int) -> bool:
    """A 4xx answer will not change by retrying (except 408 timeout and 429 too many)."""
    return 400 <= status < 500 and status not in (408, 429)


class EmailChannel:
    name = "email"

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings

    def send(self, n: Notification) -> None:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryError("e-mail is not configured (NONGSO_ALERTS_SMTP_HOST)",
                                permanent=True)
        if not n.address or "@" not in n.address:
            raise DeliveryError("no e-mail address", permanent=True)
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = n.address
        message["Subject"] = n.subject
        message["X-Nongso-Alert"] = str(n.alert_id)
        message.set_content(n.text)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP: {exc.__class__.__name__}: {exc}") from None


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class HttpSmsGateway:
    """A provider's HTTP API: POST ``{"to": ..., "text": ...}`` with an API key header
    (``Authorization: Bearer``). A 4xx answer (bad key, refused number) is a permanent
    failure; a 5xx, 408 or 429 answer, or no answer, is retried."""

    def __init__(self, url: str, api_key: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url, self.api_key, self.timeout, self.transport = url, api_key, timeout, transport

    def send(self, phone: str, text: str) -> None:
        if not self.url:
            raise DeliveryError("SMS gateway URL missing (NONGSO_ALERTS_SMS_URL)", permanent=True)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                r = client.post(self.url, json={"to": phone, "text": text},
                                headers={"Authorization": f"Bearer {self.api_key}"})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc}") from None
        if r.status_code >= 400:
            raise DeliveryError(f"SMS gateway answered {r.status_code}",
                                permanent=_refused_for_good(r.status_code))


@dataclass
class FakeSmsGateway:
    """Keeps the messages (tests; the demo shows them): nothing leaves the machine."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise DeliveryError("fake gateway failure")
            self.sent.append((phone, text))


class DisabledSms:
    def send(self, phone: str, text: str) -> None:
        raise DeliveryError("SMS is not configured (NONGSO_ALERTS_SMS_GATEWAY)", permanent=True)


FAKE_SMS = FakeSmsGateway()

SMS_GATEWAYS: dict[str, Callable[[AlertSettings], SmsGateway]] = {
    "http": lambda s: HttpSmsGateway(s.sms_url, s.sms_api_key),
    "fake": lambda s: FAKE_SMS,
    "none": lambda s: DisabledSms(),
}


class SmsChannel:
    name = "sms"

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, n: Notification) -> None:
        if not n.address:
            raise DeliveryError("no phone number", permanent=True)
        self.gateway.send(n.address, n.short)


def default_channels(settings: AlertSettings | None = None) -> dict[str, Channel]:
    s = settings or alert_settings()
    gateway = SMS_GATEWAYS.get(s.sms_gateway, SMS_GATEWAYS["none"])(s)
    return {
        "inapp": InAppChannel(),
        "webhook": WebhookChannel(s.webhook_timeout_s, allow_private=s.webhook_allow_private),
        "email": EmailChannel(s),
        "sms": SmsChannel(gateway),
    }


_registry: dict[str, Channel] | None = None
_lock = threading.Lock()


def registry() -> dict[str, Channel]:
    global _registry
    with _lock:
        if _registry is None:
            _registry = default_channels()
        return _registry


def use(channels: dict[str, Channel] | None) -> dict[str, Channel] | None:
    """Install channels (tests); returns the previous registry."""
    global _registry
    with _lock:
        previous, _registry = _registry, channels
        return previous
