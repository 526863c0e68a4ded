"""Use cases of the statistics, one module per use case; the public functions are here."""

from nongso.stats.services.analytics import analytics
from nongso.stats.services.refresh import (
    RECENT,
    dry_tonnes,
    enqueue,
    rebuild,
    refresh,
    season_key_of,
)

__all__ = [
    "RECENT",
    "analytics",
    "dry_tonnes",
    "enqueue",
    "rebuild",
    "refresh",
    "season_key_of",
]
