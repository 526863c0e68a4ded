"""Pagination of list endpoints with a hard maximum page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.settings import get_settings

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int

    @classmethod
    def of(cls, limit: int | None, offset: int | None) -> PageRequest:
        s = get_settings()
        limit = s.page_size if limit is None else limit
        offset = 0 if offset is None else offset
        errors = []
        if not 1 <= limit <= s.max_page_size:
            errors.append(
                FieldError(
                    "limit",
                    f"limit phải từ 1 đến {s.max_page_size}.",
                    f"limit must be between 1 and {s.max_page_size}.",
                )
            )
        if offset < 0:
            errors.append(FieldError("offset", "offset không được âm.", "offset must be ≥ 0."))
        if errors:
            raise ValidationFailed("Tham số phân trang không hợp lệ.", "Invalid paging.", errors)
        return cls(limit, offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
