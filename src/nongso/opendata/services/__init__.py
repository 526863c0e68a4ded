"""Open data: the public use cases (one module per use case, re-exported here)."""

from nongso.opendata.services.lakes import (
    commune_season_report,
    export_lake,
    lake_files,
    lake_root,
    use_lake_root,
)
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
    "commune_season_report",
    "dataset",
    "distribution",
    "download",
    "export_lake",
    "forget_changes",
    "get_settings_public",
    "lake_files",
    "lake_root",
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
    "use_lake_root",
    "use_root",
]
