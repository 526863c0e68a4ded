"""Open data: the public use cases (one module per use case, re-exported here)."""

from nongso.opendata.services.manage import (
    DATABASES,
    forget_changes,
    get_settings_public,
    last_build_time,
    note_change,
    note_deletion,
    pending_changes,
    published_share,
    rebuild_due,
    update_settings,
)
from nongso.opendata.services.publish import build_catalogue, load_settings, store, use_root
from nongso.opendata.services.read import (
    CATALOGUE_FORMATS,
    FileAnswer,
    catalogue,
    catalogue_document,
    catalogue_versions,
    dataset,
    distribution,
    download,
    unit,
)

__all__ = [
    "CATALOGUE_FORMATS",
    "DATABASES",
    "FileAnswer",
    "build_catalogue",
    "catalogue",
    "catalogue_document",
    "catalogue_versions",
    "dataset",
    "distribution",
    "download",
    "forget_changes",
    "get_settings_public",
    "last_build_time",
    "load_settings",
    "note_change",
    "note_deletion",
    "pending_changes",
    "published_share",
    "rebuild_due",
    "store",
    "unit",
    "update_settings",
    "use_root",
]
