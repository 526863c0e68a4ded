"""Use cases of the farm diary, one module each; this package re-exports them all, so callers
(the API, the CLI, the web pages, other domains, the demo) import only
``nongso.diary.services``.

| module | use case |
|---|---|
| ``plots`` | plots (on a registry production unit or not) and the trees of an orchard |
| ``seasons`` | seasons of a plot (crop years across two years), crop templates applied |
| ``inputs`` | the inputs catalogue (shared or a co-operative's own) |
| ``purchases`` | inputs bought from a registered dealer, with their lot |
| ``activities`` | record, read, edit, confirm or delete one activity: the checks it passes |
| ``photos`` | photos of an activity |
| ``bulk`` | a co-operative records one activity on many member plots |
| ``sync`` | the phone's queue of offline changes, with conflicts |
| ``compliance`` | the rules, a season's compliance report, certification, flagged seasons |
| ``to_trace`` | the contract with traceability: events, the inputs a season used |
| ``views`` | the farmer's phone page, the co-operative's season, commune/province figures |
| ``downloads`` | record book (Excel, PDF), co-op sheets; written by the pure ``diary.exports`` |
| ``imports`` | the Excel import (read by the pure ``diary.excel``) |
| ``figures`` | a season's figures and flags, recomputed from its activities on every write |
| ``_common`` | what the use cases share: scope and permission checks, errors, time, paging |

Permissions (checked in each use case, on the scope columns every diary row carries):
- a farmer reads and writes his own plots' diary;
- a co-operative manager reads and writes the diary of his co-operative's member plots, and
  records one activity on many plots at once (farmers then confirm or edit);
- a commune officer reads his commune, a province officer or an inspector the province;
- everyone else sees aggregates only (the commune/province views).
"""

from nongso.diary.services._common import UUID_NS, VN, UnsupportedMedia
from nongso.diary.services.activities import (
    BUYER_KINDS,
    confirm_activity,
    create_activity,
    delete_activity,
    get_activity,
    list_activities,
    update_activity,
)
from nongso.diary.services.bulk import bulk_record
from nongso.diary.services.compliance import (
    certify_season,
    flagged_seasons,
    list_rules,
    season_report,
)
from nongso.diary.services.downloads import (
    coop_harvest_xlsx,
    coop_input_use_xlsx,
    season_record_book,
)

# (a test recomputes a season's figures with it to compare them with the stored ones)
from nongso.diary.services.figures import _refresh_seasons as _refresh_seasons
from nongso.diary.services.figures import rules_base_unit
from nongso.diary.services.imports import (
    MAX_IMPORT_BYTES,
    import_activities,
    import_template,
    principal_named,
)
from nongso.diary.services.inputs import (
    create_input,
    delete_input,
    farmer_inputs,
    get_input,
    list_inputs,
    update_input,
)
from nongso.diary.services.lake import ACTIVITY_ROW_COLUMNS, activity_rows
from nongso.diary.services.photos import MAX_PHOTO_BYTES, add_photo, get_photo
from nongso.diary.services.plots import (
    add_tree,
    create_plot,
    delete_plot,
    get_plot,
    list_plots,
    list_trees,
    update_plot,
)
from nongso.diary.services.purchases import create_purchase, input_dealers, list_purchases
from nongso.diary.services.seasons import (
    create_season,
    get_season,
    list_seasons,
    list_templates,
    update_season,
)
from nongso.diary.services.statistics import season_figures
from nongso.diary.services.sync import sync
from nongso.diary.services.to_trace import publish_recorded_events, season_input_uses
from nongso.diary.services.views import (
    activity_kind_labels,
    area_aggregate,
    coop_summary,
    farmer_home,
    season_keys,
)

__all__ = [
    "ACTIVITY_ROW_COLUMNS",
    "BUYER_KINDS",
    "MAX_IMPORT_BYTES",
    "MAX_PHOTO_BYTES",
    "UUID_NS",
    "VN",
    "UnsupportedMedia",
    "activity_kind_labels",
    "activity_rows",
    "add_photo",
    "add_tree",
    "area_aggregate",
    "bulk_record",
    "certify_season",
    "confirm_activity",
    "coop_harvest_xlsx",
    "coop_input_use_xlsx",
    "coop_summary",
    "create_activity",
    "create_input",
    "create_plot",
    "create_purchase",
    "create_season",
    "delete_activity",
    "delete_input",
    "delete_plot",
    "farmer_home",
    "farmer_inputs",
    "flagged_seasons",
    "get_activity",
    "get_input",
    "get_photo",
    "get_plot",
    "get_season",
    "import_activities",
    "import_template",
    "input_dealers",
    "list_activities",
    "list_inputs",
    "list_plots",
    "list_purchases",
    "list_rules",
    "list_seasons",
    "list_templates",
    "list_trees",
    "principal_named",
    "publish_recorded_events",
    "rules_base_unit",
    "season_figures",
    "season_input_uses",
    "season_keys",
    "season_record_book",
    "season_report",
    "sync",
    "update_activity",
    "update_input",
    "update_plot",
    "update_season",
]
