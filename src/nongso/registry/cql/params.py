"""The ``bbox`` and ``datetime`` query parameters of the OGC API – Features."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final

from nongso.registry.cql.boxes import bbox_from_numbers
from nongso.registry.cql.errors import ParameterError
from nongso.registry.geo import BBox


def parse_bbox(text: str) -> BBox:
    """The ``bbox`` parameter: ``minx,miny,maxx,maxy`` or ``minx,miny,minz,maxx,maxy,maxz``.

    Longitudes −180…180, latitudes −90…90, ``miny ≤ maxy``; ``minx > maxx`` means the box
    crosses the antimeridian (OGC API – Features). Heights are dropped.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise ParameterError(
            f"bbox phải có 4 số (minx,miny,maxx,maxy) hoặc 6 số, nhận {len(parts)} giá trị.",
            f"bbox must have 4 numbers (minx,miny,maxx,maxy) or 6, got {len(parts)} values.",
            parameter="bbox",
        )
    numbers: list[float] = []
    for p in parts:
        try:
            n = float(p)
        except ValueError:
            n = math.nan
        if not math.isfinite(n):
            raise ParameterError(
                f"bbox: «{p}» không phải số.", f"bbox: '{p}' is not a number.", parameter="bbox"
            )
        numbers.append(n)
    return bbox_from_numbers(numbers, "bbox")





_RFC3339: Final = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?)?$"
)


def parse_datetime_interval(
    text: str, *, default_tz: dt.tzinfo = dt.UTC
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The ``datetime`` parameter → ``(start, end)``, aware, in UTC; ``None`` = open (``..``).

    An instant gives ``(t, t)``; a date alone stands for the whole day (``2025-01-01`` →
    00:00:00 to 23:59:59.999999). Times without an offset, and dates, are read in
    ``default_tz``. ``start > end`` is an error, and so is ``../..``.
    """
    value = text.strip()
    parts = value.split("/")
    if len(parts) == 1:
        if parts[0] in ("", ".."):
            raise _datetime_error(text, "thiếu thời điểm", "no instant given")
        return (
            _parse_instant(parts[0], default_tz, text, end_of_day=False),
            _parse_instant(parts[0], default_tz, text, end_of_day=True),
        )
    if len(parts) != 2:
        raise _datetime_error(text, "chỉ được có một dấu «/»", "there must be at most one '/'")
    raw_start, raw_end = (p.strip() for p in parts)
    start_open, end_open = raw_start in ("", ".."), raw_end in ("", "..")
    if start_open and end_open:
        raise _datetime_error(
            text, "khoảng thời gian phải có ít nhất một đầu", "an interval needs at least one end"
        )
    start = None if start_open else _parse_instant(raw_start, default_tz, text, end_of_day=False)
    end = None if end_open else _parse_instant(raw_end, default_tz, text, end_of_day=True)
    if start is not None and end is not None and start > end:
        raise _datetime_error(
            text, "thời điểm đầu sau thời điểm cuối", "the start is after the end"
        )
    return start, end


def _parse_instant(raw: str, default_tz: dt.tzinfo, text: str, *, end_of_day: bool) -> dt.datetime:
    m = _RFC3339.match(raw)
    if m is None:
        raise _datetime_error(
            text,
            f"«{raw[:40]}» không đúng RFC 3339 (ví dụ 2025-01-01T00:00:00Z)",
            f"'{raw[:40]}' is not RFC 3339 (e.g. 2025-01-01T00:00:00Z)",
        )
    try:
        day = dt.date.fromisoformat(m.group("date"))
        if m.group("time") is None:
            moment = dt.datetime.combine(day, dt.time(), tzinfo=default_tz)
            if end_of_day:
                moment += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
            return moment.astimezone(dt.UTC)
        clock = dt.time.fromisoformat(m.group("time"))
        fraction = (m.group("fraction") or ".0")[1:7].ljust(6, "0")
        zone = m.group("zone")
        tz: dt.tzinfo = default_tz
        if zone is not None and zone.upper() != "Z":
            sign = 1 if zone[0] == "+" else -1
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        elif zone is not None:
            tz = dt.UTC
        moment = dt.datetime.combine(day, clock.replace(microsecond=int(fraction)), tzinfo=tz)
    except ValueError as exc:
        raise _datetime_error(
            text, f"«{raw[:40]}» không phải ngày giờ có thật ({exc})", f"'{raw[:40]}': {exc}"
        ) from None
    return moment.astimezone(dt.UTC)


def _datetime_error(text: str, vi: str, en: str) -> ParameterError:
    return ParameterError(
        f"Tham số datetime «{text[:80]}» không hợp lệ: {vi}.",
        f"Invalid datetime parameter '{text[:80]}': {en}.",
        parameter="datetime",
    )
