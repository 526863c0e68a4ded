"""Fresh and dry weights of a harvest (pure, no I/O).

Paddy is weighed fresh at harvest, at 20–27 % moisture; the statistics count rice output and
yield as dry paddy at the standard moisture of 14 % (`shared/reference/agronomy.md`: "yields
in official statistics are of dry paddy (moisture about 14 %)"). The diary keeps what was
weighed and the moisture measured; reports convert with the mass balance of the dry matter::

    dry = fresh × (100 − m) / (100 − 14)

A harvest recorded without a moisture, and crops without a standard moisture (fruit), count
as weighed.
"""

from __future__ import annotations

from collections.abc import Iterable

STANDARD_MOISTURE_PCT: dict[str, float] = {"rice": 14.0}
"""The moisture at which the statistics count a crop's output, by crop (% of wet mass)."""

MAX_MOISTURE_PCT = 60.0
"""The highest moisture the diary accepts (grain and fruit at harvest stay well below)."""


def dry_weight(fresh_kg: float, moisture_pct: float, standard_pct: float = 14.0) -> float:
    """The weight at ``standard_pct`` moisture of ``fresh_kg`` weighed at ``moisture_pct``.

    >>> round(dry_weight(1000, 25), 1)
    872.1
    """
    if not 0 <= moisture_pct < 100 or not 0 <= standard_pct < 100:
        raise ValueError("moisture must be 0 to 100 % (excluded)")
    return fresh_kg * (100.0 - moisture_pct) / (100.0 - standard_pct)


def standard_weight(crop: str | None, kg: float, moisture_pct: float | None) -> float:
    """The weight the statistics count: rice as dry paddy at 14 % when its moisture is known,
    anything else as weighed."""
    standard = STANDARD_MOISTURE_PCT.get(crop or "")
    if standard is None or moisture_pct is None:
        return kg
    return dry_weight(kg, moisture_pct, standard)


def standard_total(crop: str | None, harvests: Iterable[tuple[float | None, float | None]]
                   ) -> float:
    """The sum of :func:`standard_weight` over ``(kg, moisture_pct)`` pairs (``None`` kg
    counts 0)."""
    return sum(standard_weight(crop, kg or 0.0, m) for kg, m in harvests)


def is_converted(crop: str | None) -> bool:
    """Whether this crop's output is reported at a standard moisture (rice: yes)."""
    return (crop or "") in STANDARD_MOISTURE_PCT
