"""Errors and limits of the OGC query parameters and CQL2 filters (HTTP 400)."""

from __future__ import annotations

from typing import Any, Final

from nongso.core.errors import AppError

MAX_FILTER_LENGTH: Final = 20_000
MAX_DEPTH: Final = 100
"""Deepest nesting of NOT / parenthesised groups compiled (deeper is refused, not crashed)."""


class FilterError(AppError, ValueError):
    """A ``filter`` that cannot be parsed or compiled (HTTP 400, OGC InvalidParameterValue).

    ``position`` is the 1-based column of a syntax error, ``queryable`` the property concerned,
    ``operator`` the unsupported operator, when known.
    """

    status = 400
    code = "invalid-filter"
    title_vi = "Bộ lọc không hợp lệ"
    title_en = "Invalid filter"

    def __init__(
        self,
        message_vi: str,
        message_en: str,
        *,
        position: int | None = None,
        queryable: str | None = None,
        operator: str | None = None,
    ) -> None:
        extra: dict[str, Any] = {}
        if position is not None:
            extra["position"] = position
        if queryable is not None:
            extra["queryable"] = queryable
        if operator is not None:
            extra["operator"] = operator
        super().__init__(message_vi, message_en, extra=extra)
        self.position = position
        self.queryable = queryable
        self.operator = operator


class ParameterError(AppError, ValueError):
    """A wrong ``bbox`` or ``datetime`` query parameter (HTTP 400)."""

    status = 400
    code = "invalid-parameter"
    title_vi = "Tham số không hợp lệ"
    title_en = "Invalid parameter"

    def __init__(self, message_vi: str, message_en: str, *, parameter: str) -> None:
        super().__init__(message_vi, message_en, extra={"parameter": parameter})
        self.parameter = parameter
