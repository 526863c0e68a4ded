"""The registry's vocabularies (kinds of organisations, units, infrastructure, soils; statuses).

Pure constants, importable by other domains and the web pages without touching the tables.
"""

ORGANISATION_KINDS = (
    "cooperative",
    "coop_group",
    "farmer_club",
    "company",
    "input_dealer",
    "processor",
    "buyer",
    "exporter",
)
PRODUCER_ORGANISATION_KINDS = ("cooperative", "coop_group", "farmer_club", "company")
BUSINESS_KINDS = ("input_dealer", "processor", "buyer", "exporter")

UNIT_KINDS = (
    "field_block",
    "dyke_ring",
    "plot",
    "planting_area",
    "orchard",
    "livestock_farm",
    "aquaculture",
    "raw_material_area",
)

INFRASTRUCTURE_KINDS = ("pumping_station", "sluice", "dyke_segment", "monitoring_station")
STATION_TYPES = ("salinity", "hydrological", "weather", "water_quality", "light_trap")

SOIL_TYPES = ("alluvial", "acid_sulphate", "saline", "sandy_ridge", "peat")
SALINITY_CLASSES = ("non_saline", "slight", "moderate", "strong")

STATUSES = ("active", "suspended", "revoked", "retired")
