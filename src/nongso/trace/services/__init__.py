"""Use cases of traceability, one module per use case:

=================  ==========================================================================
``identifiers``    GS1 company prefixes; GTINs, GLNs, SSCCs allocated; Digital Link URIs
``products``       products (trade items) — public master data
``locations``      locations (GLNs): fields, facilities, shops; organisations as parties
``lots``           lots and serialised items: commissioning, status (recall, withdrawal)
``from_diary``     the farm diary's harvests, processing, sales become lots and EPCIS events
``epcis_capture``  the EPCIS 2.0 capture interface and capture jobs
``epcis_query``    the EPCIS 2.0 query interface
``log``            the Merkle log: checkpoints, proofs, verification
``resolver``       the Digital Link resolver and the consumer page (journey, linkset)
``labels``         QR codes and printable label sheets
``recall``         forward and backward traces of a lot, an input batch or a farm
``ocop``           OCOP products and the export for the national traceability portal
``dashboard``      the staff's overview and a lot's page
``lineage``        read paths the resolver and recall share (lineage graph, known ids)
``_common``        small helpers several use cases share (roles, permissions, event times)
=================  ==========================================================================

Every public function opens the unit of work (``with uow:``) and is the only place that
commits; functions whose name starts with an underscore run inside a caller's unit of work
(the domain event handlers use them, in the diary's transaction). File writers (PDF labels,
Excel and CSV exports) are pure functions in ``trace/exports.py``.

This package re-exports the public functions: other domains, the routes, the CLI and the
handlers use ``from nongso.trace import services`` and ``services.<function>``.
"""

from __future__ import annotations

from nongso.trace.services._common import (
    CAPTURE_ROLES,
    CONTEXT,
    MANAGE_ROLES,
    NAMESPACE,
    READ_ROLES,
    VN_TIME,
    epcis_json_loads,
)
from nongso.trace.services.dashboard import Overview, lot_journey, overview
from nongso.trace.services.epcis_capture import (
    capture,
    capture_event,
    get_capture_job,
    list_capture_jobs,
)
from nongso.trace.services.epcis_query import (
    event_types,
    get_event,
    query_events,
    vocabulary_values,
)
from nongso.trace.services.from_diary import (
    commission_harvest,
    correct_harvest,
    hold_for_violations,
    record_processing,
    record_sale,
    withdraw_deleted,
)
from nongso.trace.services.identifiers import digital_link, parse_gs1_code, set_company_prefix
from nongso.trace.services.labels import item_qr, label_sheet, lot_qr
from nongso.trace.services.lake import EVENT_ROW_COLUMNS, event_rows
from nongso.trace.services.lineage import step_label
from nongso.trace.services.locations import create_location, get_location, list_locations
from nongso.trace.services.log import (
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
    log_public_key,
    verify_log,
)
from nongso.trace.services.lots import (
    commission_lot,
    create_item,
    get_lot,
    list_items,
    list_lots,
    set_lot_status,
)
from nongso.trace.services.ocop import (
    MAX_IMAGE_BYTES,
    OCOP_ROLES,
    create_ocop_product,
    delete_ocop_product,
    get_ocop_product,
    list_ocop_products,
    ocop_export,
    ocop_export_rows,
    ocop_image,
    ocop_portal_fields,
    set_ocop_image,
    update_ocop_product,
)
from nongso.trace.services.products import (
    create_product,
    delete_product,
    get_product,
    list_products,
    update_product,
)
from nongso.trace.services.recall import RECALL_ROLES, recall_trace
from nongso.trace.services.resolver import LINK_TYPES, Withdrawn, consumer_view, linkset
from nongso.trace.services.statistics import lots_by_organisation

__all__ = [
    "CAPTURE_ROLES",
    "CONTEXT",
    "EVENT_ROW_COLUMNS",
    "LINK_TYPES",
    "MANAGE_ROLES",
    "MAX_IMAGE_BYTES",
    "NAMESPACE",
    "OCOP_ROLES",
    "READ_ROLES",
    "RECALL_ROLES",
    "VN_TIME",
    "Overview",
    "Withdrawn",
    "capture",
    "capture_event",
    "commission_harvest",
    "commission_lot",
    "consistency_proof",
    "consumer_view",
    "correct_harvest",
    "create_item",
    "create_location",
    "create_ocop_product",
    "create_product",
    "delete_ocop_product",
    "delete_product",
    "digital_link",
    "epcis_json_loads",
    "event_rows",
    "event_types",
    "get_capture_job",
    "get_event",
    "get_location",
    "get_lot",
    "get_ocop_product",
    "get_product",
    "hold_for_violations",
    "inclusion_proof",
    "item_qr",
    "label_sheet",
    "latest_checkpoint",
    "linkset",
    "list_capture_jobs",
    "list_items",
    "list_locations",
    "list_lots",
    "list_ocop_products",
    "list_products",
    "log_public_key",
    "lot_journey",
    "lot_qr",
    "lots_by_organisation",
    "ocop_export",
    "ocop_export_rows",
    "ocop_image",
    "ocop_portal_fields",
    "overview",
    "parse_gs1_code",
    "query_events",
    "recall_trace",
    "record_processing",
    "record_sale",
    "set_company_prefix",
    "set_lot_status",
    "set_ocop_image",
    "step_label",
    "update_ocop_product",
    "update_product",
    "verify_log",
    "vocabulary_values",
    "withdraw_deleted",
]
