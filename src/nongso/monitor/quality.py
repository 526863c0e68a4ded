"""Quality checks of sensor readings: physical ranges, EC to salinity, future timestamps.

Pure functions. A reading outside the physical range of its observed property is flagged
``"bad_range"`` (the sensor, not the river, is wrong) and rules leave it out. The ranges are
deliberately wide: they catch broken sensors and unit mix-ups, not unusual weather.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from nongso.core.errors import ValidationFailed

__all__ = [
    "EC_MS_PER_CM_PER_PER_MILLE",
    "EC_MS_PER_CM_PER_PER_MILLE_SOURCE",
    "FUTURE_TOLERANCE",
    "PHYSICAL_RANGES",
    "PhysicalRange",
    "QualityError",
    "QualityFlag",
    "ec_to_salinity",
    "is_future",
    "physical_range",
    "quality_flag",
    "salinity_to_ec",
]

QualityFlag = Literal["good", "bad_range"]


class QualityError(ValidationFailed, ValueError):
    """A quality check asked about something it cannot judge (unknown property, naive time)."""


@dataclass(frozen=True)
class PhysicalRange:
    """The values an observed property can physically take (bounds included)."""

    observed_property: str
    name_vi: str
    name_en: str
    unit: str
    minimum: float | None
    maximum: float | None
    integer: bool = False

    def contains(self, value: float) -> bool:
        if isinstance(value, bool) or not math.isfinite(value):
            return False
        if self.integer and value != int(value):
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return self.maximum is None or value <= self.maximum


PHYSICAL_RANGES: Final[Mapping[str, PhysicalRange]] = {
    r.observed_property: r
    for r in (
        PhysicalRange("salinity", "Độ mặn", "Salinity", "‰", 0, 50),
        PhysicalRange("water_level", "Mực nước", "Water level", "m", -5, 15),
        PhysicalRange("relative_humidity", "Độ ẩm không khí", "Relative humidity", "%", 0, 100),
        PhysicalRange("air_temperature", "Nhiệt độ không khí", "Air temperature", "°C", -10, 60),
        PhysicalRange("soil_moisture", "Độ ẩm đất", "Soil moisture", "%", 0, 100),
        PhysicalRange("ph", "Độ pH", "pH", "pH", 0, 14),
        PhysicalRange(
            "light_trap_count", "Số rầy vào đèn", "Light-trap count", "con", 0, None, integer=True
        ),
    )
}
"""Physical ranges by observed-property key. Water level is in metres on the national height
datum (Hòn Dấu); salinity in ‰ (g/L); a light-trap count is a whole number of insects."""


def physical_range(observed_property: str) -> PhysicalRange:
    """The range of ``observed_property``; :class:`QualityError` if it has none."""
    try:
        return PHYSICAL_RANGES[observed_property]
    except KeyError:
        known = ", ".join(PHYSICAL_RANGES)
        raise QualityError(
            f"Không có khoảng giá trị vật lý cho đại lượng «{observed_property}» (có: {known}).",
            f"No physical range for observed property '{observed_property}' (known: {known}).",
        ) from None


def quality_flag(observed_property: str, value: float) -> QualityFlag:
    """``"good"`` when ``value`` is finite and inside the property's physical range, else
    ``"bad_range"`` (also for NaN, infinities and, for counts, fractions)."""
    return "good" if physical_range(observed_property).contains(value) else "bad_range"


EC_MS_PER_CM_PER_PER_MILLE: Final = 1.56
"""Electrical conductivity of water with 1 ‰ (1 g/L) salinity, in mS/cm: 1 ‰ ≈ 1.56 mS/cm."""

EC_MS_PER_CM_PER_PER_MILLE_SOURCE: Final = (
    "Rule of thumb used in the Mekong Delta (1 ‰ = 1 g/L ≈ 1.56 mS/cm); "
    "primary document not yet cited"
)


def ec_to_salinity(ec_ms_per_cm: float) -> float:
    """Salinity in ‰ (g/L) from electrical conductivity in mS/cm (1 ‰ ≈ 1.56 mS/cm).

    An approximation for the delta's river and canal water; say which one a value is.
    """
    return ec_ms_per_cm / EC_MS_PER_CM_PER_PER_MILLE


def salinity_to_ec(salinity_per_mille: float) -> float:
    """Electrical conductivity in mS/cm from salinity in ‰ (the inverse of ec_to_salinity)."""
    return salinity_per_mille * EC_MS_PER_CM_PER_PER_MILLE


FUTURE_TOLERANCE: Final = timedelta(minutes=5)
"""How far ahead of the server's clock a reading's time may be (device clocks drift)."""


def is_future(
    phenomenon_time: datetime, now: datetime, tolerance: timedelta = FUTURE_TOLERANCE
) -> bool:
    """True when ``phenomenon_time`` is more than ``tolerance`` ahead of ``now``.

    Both times must carry a zone; a naive one raises :class:`QualityError`.
    """
    for name, moment in (("phenomenon_time", phenomenon_time), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise QualityError(
                f"Thời điểm «{name}» phải có múi giờ.",
                f"The time '{name}' must carry a time zone.",
            )
    return phenomenon_time - now > tolerance
