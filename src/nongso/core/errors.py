"""Application errors: each has an HTTP status, a stable code and a message in vi and en.

The API renders them as RFC 9457 problem+json; the web pages and the CLI show the message in
the user's language. Services raise them; adapters only translate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One wrong field: where (a JSON-pointer-like location or a row/column) and why."""

    loc: str
    message_vi: str
    message_en: str

    def as_dict(self, lang: str) -> dict[str, str]:
        return {"loc": self.loc, "message": self.message_vi if lang == "vi" else self.message_en}


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title_vi: ClassVar[str] = "Yêu cầu không hợp lệ"
    title_en: ClassVar[str] = "Bad request"

    def __init__(
        self,
        message_vi: str,
        message_en: str,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.errors = errors or []
        self.extra = extra or {}

    def message(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en


class ValidationFailed(AppError):
    status, code, title_vi, title_en = 422, "validation", "Dữ liệu không hợp lệ", "Invalid data"


class NotFound(AppError):
    status, code, title_vi, title_en = 404, "not-found", "Không tìm thấy", "Not found"


class PermissionDenied(AppError):
    status, code, title_vi, title_en = 403, "forbidden", "Không có quyền", "Forbidden"


class Unauthorized(AppError):
    status, code, title_vi, title_en = 401, "unauthorized", "Chưa đăng nhập", "Not authenticated"


class Conflict(AppError):
    status, code, title_vi, title_en = 409, "conflict", "Xung đột dữ liệu", "Conflict"


class TooLarge(AppError):
    status, code, title_vi, title_en = 413, "too-large", "Dữ liệu quá lớn", "Payload too large"


class TooManyRequests(AppError):
    status, code, title_vi, title_en = 429, "rate-limited", "Quá nhiều yêu cầu", "Too many requests"


class Unavailable(AppError):
    status, code = 503, "unavailable"
    title_vi, title_en = "Dịch vụ không sẵn sàng", "Service unavailable"


def not_found(what_vi: str, what_en: str, key: object) -> NotFound:
    """A NotFound error for ``what`` identified by ``key``."""
    return NotFound(f"Không tìm thấy {what_vi} «{key}».", f"{what_en} '{key}' was not found.")
