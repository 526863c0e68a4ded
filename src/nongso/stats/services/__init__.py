"""Use cases of the statistics, one module per use case; the public functions are here."""

from nongso.stats.services.analytics import analytics
from nongso.stats.services.approval import accept, approve, overview, return_report, unapprove
from nongso.stats.services.dashboards import (
    CommunePage,
    Overview,
    commune_page,
    get_layout,
    save_layout,
    seasons_with_data,
)
from nongso.stats.services.dashboards import overview as dashboard
from nongso.stats.services.imports import import_file
from nongso.stats.services.imports import template as import_template
from nongso.stats.services.metadata import (
    create_data_element,
    create_indicator,
    delete_indicator,
    install_reference_data,
    list_allocations,
    list_calendars,
    list_data_elements,
    list_datasets,
    list_indicators,
    list_options,
    list_rules,
    set_allocation,
    set_calendar,
    store_default_allocations,
    update_indicator,
)
from nongso.stats.services.opendata import approved_values, targets_for_open_data
from nongso.stats.services.quality import outliers_scan, validate
from nongso.stats.services.refresh import (
    RECENT,
    dry_tonnes,
    enqueue,
    rebuild,
    refresh,
    season_key_of,
)
from nongso.stats.services.reports import season_report, season_report_file
from nongso.stats.services.targets import BUILTIN as BUILTIN_TARGET_PROVIDERS
from nongso.stats.services.targets import province_targets
from nongso.stats.services.values import get_form, save_form

__all__ = [
    "BUILTIN_TARGET_PROVIDERS",
    "RECENT",
    "CommunePage",
    "Overview",
    "accept",
    "analytics",
    "approve",
    "approved_values",
    "commune_page",
    "create_data_element",
    "create_indicator",
    "dashboard",
    "delete_indicator",
    "dry_tonnes",
    "enqueue",
    "get_form",
    "get_layout",
    "import_file",
    "import_template",
    "install_reference_data",
    "list_allocations",
    "list_calendars",
    "list_data_elements",
    "list_datasets",
    "list_indicators",
    "list_options",
    "list_rules",
    "outliers_scan",
    "overview",
    "province_targets",
    "rebuild",
    "refresh",
    "return_report",
    "save_form",
    "save_layout",
    "season_key_of",
    "season_report",
    "season_report_file",
    "seasons_with_data",
    "set_allocation",
    "set_calendar",
    "store_default_allocations",
    "targets_for_open_data",
    "unapprove",
    "update_indicator",
    "validate",
]
