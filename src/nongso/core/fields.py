"""Bounded field types shared by every domain's schemas, path and query parameters.

Every id and number a client sends has bounds, so that an out-of-range value is a 422 that
names the field, never a database overflow (SQLite and PostgreSQL integers stop at 2^63 - 1)
nor a date the calendar code cannot handle:

- :data:`Id`: a database id, 1 … 2^63 - 1 (``id: Id``, ``unit_id: Id`` in a path,
  ``organisation_id: Id | None = None`` in a body or a query);
- :data:`Count`: a count or an offset, 0 … 2^63 - 1; :data:`BigInt` and :data:`FiniteFloat`:
  free numbers (attributes) a database can store; quantities are bounded where they are
  declared, with ``Field(ge=…, le=…)`` in sane ranges for what they measure;
- :data:`SaneDate` and :data:`SaneDateTime`: years 1900 … 2100;
- :data:`NotNull`: an optional field of an *Update* schema that may be left out but not sent
  as an explicit ``null`` (the stored value cannot be emptied). Left out, it keeps its
  default ``None`` ("not given"); sent as ``null``, it is a 422 ``null_not_allowed`` error.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

MAX_ID: Final = 2**63 - 1
"""The largest id (and integer) both databases store."""

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A database id: 1 … 2^63 - 1."""

Count = Annotated[int, Field(ge=0, le=MAX_ID)]
"""A count or an offset: 0 … 2^63 - 1."""


BigInt = Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)]
"""Any integer a database column (or a JSON value stored in one) holds: -2^63 … 2^63 - 1."""

FiniteFloat = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
"""A finite number of a free value (an attribute): no NaN, no infinity, |x| ≤ 10^15."""


def _sane_date(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "date_out_of_range", "Date must be between {min_year} and {max_year}",
            {"min_year": MIN_YEAR, "max_year": MAX_YEAR},
        )
    return value


SaneDate = Annotated[dt.date, AfterValidator(_sane_date),
                     Field(json_schema_extra={"x-year-range": [MIN_YEAR, MAX_YEAR]})]
"""A date in the years 1900 … 2100."""

SaneDateTime = Annotated[dt.datetime, AfterValidator(_sane_date),
                         Field(json_schema_extra={"x-year-range": [MIN_YEAR, MAX_YEAR]})]
"""A date-time in the years 1900 … 2100."""


def _not_null(value: Any) -> Any:
    # Only an explicit null reaches the validator: a left-out field keeps its default (None)
    # without validation.
    if value is None:
        raise PydanticCustomError("null_not_allowed", "This field cannot be null")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    """The JSON schema of a NotNull field: its type without the ``null`` alternative."""
    any_of = schema.get("anyOf")
    if isinstance(any_of, list):
        rest = [s for s in any_of if s != {"type": "null"}]
        if len(rest) == 1 and isinstance(rest[0], dict):
            del schema["anyOf"]
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
    if "default" in schema and schema["default"] is None:
        del schema["default"]


T = TypeVar("T")

NotNull = Annotated[T | None, BeforeValidator(_not_null), Field(json_schema_extra=_without_null)]
"""``name: NotNull[str] = None``: may be left out of a PATCH, may not be sent as ``null``.

Constraints go in ``Field(...)`` as usual (``NotNull[str] = Field(default=None,
max_length=300)``) or in the inner type (``NotNull[Id] = None``).
"""
