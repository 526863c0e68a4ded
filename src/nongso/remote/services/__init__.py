"""Use cases of remote sensing (one module per use case; this package re-exports them).

Stable for other domains: ``accepted_values`` (the statistics' automatic source: rice area
sown per commune and season, once checked) and ``field_remote`` (a field's curves).
"""

from nongso.remote.services.phenology import compute_phenology, detect_all
from nongso.remote.services.reconciliation import (
    accepted_values,
    decide,
    list_discrepancies,
    reconcile_province,
)
from nongso.remote.services.reduce import reduce_new_scenes, zonal_for_polygons
from nongso.remote.services.scenes import get_scene, ingest, list_scenes
from nongso.remote.services.views import commune_fields, commune_rice, field_remote

__all__ = [
    "accepted_values",
    "commune_fields",
    "commune_rice",
    "compute_phenology",
    "decide",
    "detect_all",
    "field_remote",
    "get_scene",
    "ingest",
    "list_discrepancies",
    "list_scenes",
    "reconcile_province",
    "reduce_new_scenes",
    "zonal_for_polygons",
]
