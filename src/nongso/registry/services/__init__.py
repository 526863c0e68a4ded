"""Use cases of the registry, one module per use case; this package re-exports the public
functions (other domains import only ``nongso.registry.services``).

=======================  ====================================================================
module                   use cases
=======================  ====================================================================
``organisations``        co-operatives, groups, clubs, businesses; their history
``farmers``              farming households (personal data, scoped)
``summary``              the province's registry in figures
``writer``               the one writer of map features (create, update, delete, history)
``production_units``     production units (planting-area codes…), their overlaps
``infrastructure``       pumping stations, sluices, dykes, monitoring stations; linked sensors
``soil_units``           soil map units
``area_rules``           minimum sizes of planting-area codes
``queries``              one feature, a page of a collection, extents, near a point, in a commune
``lookups``              names, references and fields for other domains
``imports``              map features from a file
``exports``              GeoJSON / CSV / Excel, the planting-area-code list
``persons``              a farmer's personal data: export, erasure (Decree 13/2023)
``boundaries``           administrative boundaries (synthetic, imported) and the basemap
``map``                  what the map page shows
``ogc``                  the registry's collections as OGC API – Features providers
=======================  ====================================================================

Functions other domains rely on (stable): ``organisation_scope``, ``farmer_scope``,
``production_unit_scope``, ``get_production_unit``, ``get_infrastructure``, ``get_station``,
``get_feature``, ``features_near``, ``features_in_commune``, ``communes_near``,
``production_units_near``, ``production_units_by_id``, ``existing_production_units``,
``production_units_of``, ``infrastructure_by_id``, ``register_sensor_finder``,
``linked_sensors``, the look-ups ``organisation_ref``, ``organisation_names``,
``farmer_ref``, ``farmer_names``, ``farmer_organisation``, ``count_members``,
``production_unit_ref``, and ``register_provider`` with ``FunctionProvider``, ``ItemsQuery``,
``FeaturePage``, ``FeatureRecord``, ``Queryable`` (another domain's OGC API collection,
registered by :mod:`nongso.wiring`).
"""

from __future__ import annotations

from nongso.registry.providers import (
    CollectionProvider,
    FeaturePage,
    FeatureRecord,
    FunctionProvider,
    ItemsQuery,
    Queryable,
    register_provider,
)
from nongso.registry.services import ogc as _ogc  # noqa: F401  (publishes the collections)
from nongso.registry.services._common import (
    VN,
    can_manage_unit,
    can_see_farmer,
    can_write_unit,
)
from nongso.registry.services.area_rules import area_rules, list_area_rules, set_area_rule
from nongso.registry.services.boundaries import (
    boundaries_geojson,
    import_boundaries,
    synthesize_boundaries,
)
from nongso.registry.services.exports import (
    EXPORT_LIMIT,
    export_features,
    export_planting_areas,
)
from nongso.registry.services.farmers import (
    create_farmer,
    delete_farmer,
    farmer_scope,
    get_farmer,
    list_farmers,
    update_farmer,
)
from nongso.registry.services.imports import ImportRefused, import_features
from nongso.registry.services.infrastructure import (
    LinkFinder,
    create_infrastructure,
    delete_infrastructure,
    get_infrastructure,
    get_infrastructure_detail,
    get_station,
    infrastructure_detail,
    infrastructure_history,
    linked_sensors,
    list_infrastructure,
    register_sensor_finder,
    update_infrastructure,
)
from nongso.registry.services.lookups import (
    count_members,
    existing_production_units,
    farmer_names,
    farmer_organisation,
    farmer_ref,
    field_geometries,
    infrastructure_by_id,
    organisation_ids_in_unit,
    organisation_names,
    organisation_ref,
    production_unit_ref,
    production_units_by_id,
    production_units_near,
    production_units_of,
)
from nongso.registry.services.map import (
    MAP_FEATURE_LIMIT,
    MAP_LAYER_KINDS,
    MAP_LAYERS,
    MAP_POLYGON_ZOOM,
    map_data,
)
from nongso.registry.services.organisations import (
    create_organisation,
    delete_organisation,
    get_organisation,
    list_organisations,
    organisation_history,
    organisation_scope,
    update_organisation,
)
from nongso.registry.services.persons import (
    anonymise_farmer,
    erased_name,
    farmer_personal_data,
)
from nongso.registry.services.production_units import (
    create_production_unit,
    delete_production_unit,
    get_production_unit,
    list_production_units,
    production_unit_history,
    production_unit_scope,
    update_production_unit,
)
from nongso.registry.services.queries import (
    collection_extent,
    communes_near,
    features_in_commune,
    features_near,
    get_feature,
    open_features,
    query_features,
)
from nongso.registry.services.soil_units import (
    create_soil_unit,
    delete_soil_unit,
    get_soil_unit,
    list_soil_units,
    soil_unit_history,
    update_soil_unit,
)
from nongso.registry.services.summary import commune_unit_totals, province_summary

__all__ = [
    "EXPORT_LIMIT",
    "MAP_FEATURE_LIMIT",
    "MAP_LAYERS",
    "MAP_LAYER_KINDS",
    "MAP_POLYGON_ZOOM",
    "VN",
    "CollectionProvider",
    "FeaturePage",
    "FeatureRecord",
    "FunctionProvider",
    "ImportRefused",
    "ItemsQuery",
    "LinkFinder",
    "Queryable",
    "anonymise_farmer",
    "area_rules",
    "boundaries_geojson",
    "can_manage_unit",
    "can_see_farmer",
    "can_write_unit",
    "collection_extent",
    "commune_unit_totals",
    "communes_near",
    "count_members",
    "create_farmer",
    "create_infrastructure",
    "create_organisation",
    "create_production_unit",
    "create_soil_unit",
    "delete_farmer",
    "delete_infrastructure",
    "delete_organisation",
    "delete_production_unit",
    "delete_soil_unit",
    "erased_name",
    "existing_production_units",
    "export_features",
    "export_planting_areas",
    "farmer_names",
    "farmer_organisation",
    "farmer_personal_data",
    "farmer_ref",
    "farmer_scope",
    "features_in_commune",
    "features_near",
    "field_geometries",
    "get_farmer",
    "get_feature",
    "get_infrastructure",
    "get_infrastructure_detail",
    "get_organisation",
    "get_production_unit",
    "get_soil_unit",
    "get_station",
    "import_boundaries",
    "import_features",
    "infrastructure_by_id",
    "infrastructure_detail",
    "infrastructure_history",
    "linked_sensors",
    "list_area_rules",
    "list_farmers",
    "list_infrastructure",
    "list_organisations",
    "list_production_units",
    "list_soil_units",
    "map_data",
    "open_features",
    "organisation_history",
    "organisation_ids_in_unit",
    "organisation_names",
    "organisation_ref",
    "organisation_scope",
    "production_unit_history",
    "production_unit_ref",
    "production_unit_scope",
    "production_units_by_id",
    "production_units_near",
    "production_units_of",
    "province_summary",
    "query_features",
    "register_provider",
    "register_sensor_finder",
    "set_area_rule",
    "soil_unit_history",
    "synthesize_boundaries",
    "update_farmer",
    "update_infrastructure",
    "update_organisation",
    "update_production_unit",
    "update_soil_unit",
]

# The registry's pure vocabulary that the pages and other domains use: the import contracts
# (pyproject.toml) let them import only this package and ``schemas``.
from nongso.registry.collections import COLLECTIONS as COLLECTIONS
from nongso.registry.collections import get_collection as get_collection
from nongso.registry.geo import parse_geojson_geometry as parse_geojson_geometry
from nongso.registry.kinds import BUSINESS_KINDS as BUSINESS_KINDS
from nongso.registry.kinds import INFRASTRUCTURE_KINDS as INFRASTRUCTURE_KINDS
from nongso.registry.kinds import (
    PRODUCER_ORGANISATION_KINDS as PRODUCER_ORGANISATION_KINDS,
)
from nongso.registry.kinds import SOIL_TYPES as SOIL_TYPES
from nongso.registry.kinds import UNIT_KINDS as UNIT_KINDS
from nongso.registry.messages import CROP_LABELS as CROP_LABELS
from nongso.registry.messages import FLAG_LABELS as FLAG_LABELS
from nongso.registry.messages import KIND_LABELS as KIND_LABELS
from nongso.registry.messages import SALINITY_LABELS as SALINITY_LABELS
from nongso.registry.messages import STATION_LABELS as STATION_LABELS
from nongso.registry.messages import STATUS_LABELS as STATUS_LABELS
from nongso.registry.messages import label as label
from nongso.registry.messages import property_rows as property_rows
