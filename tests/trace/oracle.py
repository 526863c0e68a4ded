"""The reference implementation of the CBV 2.0 event hash (``epcis-event-hash-generator``,
MIT) as a test oracle, run offline.

The reference expands JSON-LD with pyld and would fetch remote contexts. The test machine has
no internet, so its document loader is given the EPCIS 2.0 context it ships (for both of the
context URLs GS1 publishes) and an empty context for any other URL, which is what our module
documents doing with contexts it does not know.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

from epcis_event_hash_generator import hash_generator, json_to_py  # installs its loader
from pyld import jsonld

_EPCIS_2 = "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
_KNOWN = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": _EPCIS_2,
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld": _EPCIS_2,
    "https://gs1.github.io/EPCIS/epcis-context.jsonld":
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld",
}


def _offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    if url in _KNOWN:
        with importlib.resources.open_text("epcis_event_hash_generator", _KNOWN[url]) as f:
            document = json.load(f)
    else:
        document = {"@context": {}}
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": document}


def reference_hashes(document: dict[str, Any]) -> list[str]:
    """The event hashes the reference implementation computes for a JSON(-LD) document."""
    jsonld.set_document_loader(_offline_loader)
    # The reference gathers namespace prefixes in a module-level dict across documents; one
    # document's prefixes must not leak into the next one's hashes.
    json_to_py._namespaces.clear()
    events = json_to_py.event_list_from_epcis_document_json(json.loads(json.dumps(document)))
    hashes: list[str] = hash_generator.epcis_hashes_from_events(events)
    return hashes
