"""Settings from environment variables with the ``NONGSO_`` prefix."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the platform; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="NONGSO_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    mqtt_url: str = ""
    default_language: str = "vi"
    # The province this installation serves (Đồng Tháp by default).
    province_code: str = "82"
    # Public base URL (for absolute links such as SensorThings selfLinks and QR codes).
    base_url: str = "http://127.0.0.1:8000"
    # Request bodies larger than this are refused with 413 before they are read whole.
    max_body_bytes: int = 10 * 1024 * 1024
    # Pagination: default and hard maximum page size of every list endpoint.
    page_size: int = 50
    max_page_size: int = 500
    # Login throttling: after this many failed passwords for one account from one address in
    # the window, that address waits (429 with Retry-After) until the oldest failure leaves the
    # window; the owner logging in from another address is not held up. One address gets
    # four times as many failures over all accounts.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Addresses or CIDR networks (comma separated) of the reverse proxies whose X-Forwarded-For
    # header is believed; by default none: the peer address is the client.
    trusted_proxies: str = ""
    # API token lifetime (a token is also ended by a password change or an explicit revoke).
    token_ttl_hours: int = 24
    # A web session's lifetime (it also ends at log-out and at a password change).
    session_ttl_hours: int = 12
    # argon2 parameters (RFC 9106 second recommended option by default).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    # The session cookie's Secure flag; unset: on when base_url is https.
    session_cookie_secure: bool | None = None
    sql_echo: bool = False
    # Traceability: the GS1 company prefix used when an organisation has none of its own. The
    # default is in 952, the range GS1 keeps for examples and demonstrations; an installation
    # sets the prefix GS1 Viet Nam assigned to the province's programme (893…).
    gs1_company_prefix: str = "9528200"
    # Most events one EPCIS capture call may hold (GS1-EPCIS-Capture-Limit).
    trace_capture_limit: int = 10000
    # The Ed25519 key that signs the checkpoints of the traceability log (made on first use).
    trace_log_key_file: Path | None = None
    demo_password: str = Field(default="nongso2026")
    # The map's basemap. None by default: the map draws the province and commune outlines and
    # works without Internet. Raster tiles (XYZ template with {z}, {x}, {y}, e.g. OpenStreetMap
    # or the national basemap) where the province has Internet, with their attribution text;
    # and/or an offline vector basemap: a PMTiles file (Protomaps basemap layers) the province
    # hosts, served by the app at /basemap/<file name> with HTTP range requests.
    basemap_url: str = ""
    basemap_attribution: str = ""
    basemap_pmtiles: Path | None = None

    @field_validator("basemap_url")
    @classmethod
    def _xyz_template(cls, value: str) -> str:
        value = value.strip()
        if value and not (re.match(r"^https?://[^/\s]+/", value)
                          and all(k in value for k in ("{z}", "{x}", "{y}"))):
            raise ValueError("NONGSO_BASEMAP_URL must be an http(s) URL with {z}, {x} and {y}")
        return value

    @field_validator("basemap_pmtiles")
    @classmethod
    def _pmtiles_file(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix != ".pmtiles":
            raise ValueError("NONGSO_BASEMAP_PMTILES must name a .pmtiles file")
        return value

    def cookie_secure(self) -> bool:
        """Whether the session cookie is sent over HTTPS only."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.base_url.lower().startswith("https://")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'nongso.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, else generated once under ``var/``."""
        if self.secret_key:
            return self.secret_key
        self.var_dir.mkdir(parents=True, exist_ok=True)
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        self.secret_key = path.read_text(encoding="utf-8").strip()
        return self.secret_key


@lru_cache
def get_settings() -> Settings:
    return Settings()


def served_base_url(settings: Settings, host: str, port: int) -> tuple[str, str | None]:
    """The base URL QR codes, labels and the signed log's origin use when the server listens
    on ``host:port``: the served address unless a base URL is configured (a public name behind
    a proxy). Returns it and, when a configured one disagrees with the served one, a warning
    (Vietnamese / English) for start-up to show."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    served = f"http://{shown}:{port}"
    if "base_url" not in settings.model_fields_set:
        return served, None
    configured = settings.base_url.rstrip("/")
    if configured == served:
        return configured, None
    return configured, (
        f"Cảnh báo: NONGSO_BASE_URL={configured} khác địa chỉ máy chủ đang chạy {served}; mã QR,"
        " nhãn và nhật ký ký số dùng địa chỉ đã đặt (đúng nếu có proxy phía trước). / Warning:"
        f" the configured base URL {configured} differs from the served {served}; QR codes, "
        "labels and the signed log use the configured one (right behind a proxy).")
