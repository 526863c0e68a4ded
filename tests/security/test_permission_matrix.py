"""Tenant isolation as a matrix: every role × every resource of three organisations (own unit,
another commune of the province, another province) × every action, on both databases.

The expected answer is computed from the rule (README "Security → Tenant isolation"), not
hand-picked: a role reaches the records of its organisation, an officer or inspector those of
its unit. An allowed action must succeed (2xx); a refused one must answer 401/403/404 and
change nothing. Every mismatch is collected and reported at once (0 leaks expected).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from nongso.core.permissions import SYSTEM
from nongso.registry import services as registry
from nongso.registry.schemas import OrganisationCreate
from nongso.trace import services as trace
from nongso.trace.schemas import LotCreate, ProductCreate
from nongso.units import services as units
from tests.helpers import Actors

ROLES = ("admin", "province", "other_province", "commune_a", "commune_b", "coop_a", "buyer",
         "inspector", "farmer_a", None)
OWNERS = ("A", "B", "P")  # co-op A (commune A), co-op B (commune B), a co-op of province 92

# Who reaches whose records (reads): the rule, written once.
READERS = {
    "admin": {"A", "B", "P"}, "province": {"A", "B"}, "other_province": {"P"},
    "commune_a": {"A"}, "commune_b": {"B"}, "coop_a": {"A"}, "buyer": set(),
    "inspector": {"A", "B"}, "farmer_a": set(), None: set(),
}
# Who manages (products, lot status); inspectors only recall/withdraw.
MANAGERS = {**READERS, "inspector": set()}
STATUS_SETTERS = {**MANAGERS, "inspector": {"A", "B"}}
PREFIX_SETTERS = {"admin": {"A", "B", "P"}, "province": {"A", "B"}, "other_province": {"P"}}
CAPTURERS = {**MANAGERS}


@dataclass
class World:
    actors: Actors
    orgs: dict[str, int]
    products: dict[str, int]
    lots: dict[str, dict[str, Any]]
    locations: dict[str, int]


def _world(actors: Actors) -> World:
    platform = actors.platform
    uow = platform.uow(SYSTEM)
    commune_p = next(c.code for c in units.communes_of_province(platform.uow(), "92")
                     if c.type.startswith("Xã"))
    coop_p = registry.create_organisation(uow, OrganisationCreate(
        kind="cooperative", name="HTX Tỉnh khác", commune_code=commune_p))
    orgs = {"A": actors.coop_a.id, "B": actors.coop_b.id, "P": coop_p.id}
    products: dict[str, int] = {}
    lots: dict[str, dict[str, Any]] = {}
    locations: dict[str, int] = {}
    for key, org in orgs.items():
        product = trace.create_product(platform.uow(SYSTEM), ProductCreate(
            name=f"Xoài {key}", kind="mango", crop="mango", organisation_id=org))
        lot = trace.commission_lot(platform.uow(SYSTEM), LotCreate(
            product_id=product.id, label=f"Lô xoài {key}", quantity=100))
        products[key] = product.id
        lots[key] = lot.model_dump(mode="json")
        assert lot.location_id is not None
        locations[key] = lot.location_id
    return World(actors, orgs, products, lots, locations)


def _capture_doc(lot: dict[str, Any], n: int) -> dict[str, Any]:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-03-12T08:00:00+07:00",
            "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
                "disposition": "active",
                "eventTime": f"2026-03-12T08:{n % 60:02d}:00.000+07:00",
                "eventTimeZoneOffset": "+07:00",
                "quantityList": [{"epcClass": lot["epc_class"]}]}]}}


Check = Callable[[World, str | None, str, int], tuple[bool, bool]]
"""(world, actor, owner key, n) → (succeeded, leaked-or-wrong detail is in the message)."""


def _ok(r: Any) -> bool:
    return 200 <= int(r.status_code) < 300


def _refused(r: Any) -> bool:
    return int(r.status_code) in (401, 403, 404)


def _reads(w: World, who: str | None, owner: str) -> list[tuple[str, Any, bool]]:
    """(action, response, whether the answer shows the resource) for each read."""
    c, h = w.actors.client, w.actors.headers(who)
    lot = w.lots[owner]
    out: list[tuple[str, Any, bool]] = []
    r = c.get(f"/api/v1/trace/lots/{lot['id']}", headers=h)
    out.append(("GET lot", r, _ok(r)))
    r = c.get("/api/v1/trace/lots", params={"limit": 500}, headers=h)
    out.append(("list lots", r, _ok(r) and lot["id"] in [x["id"] for x in r.json()["items"]]))
    r = c.get(f"/api/v1/trace/lots/{lot['id']}/qr.png", headers=h)
    out.append(("lot QR", r, _ok(r)))
    r = c.get(f"/api/v1/trace/lots/{lot['id']}/labels.pdf", headers=h)
    out.append(("label PDF", r, _ok(r)))
    r = c.get(f"/api/v1/trace/locations/{w.locations[owner]}", headers=h)
    out.append(("GET location", r, _ok(r)))
    r = c.get("/api/v1/trace/locations", params={"limit": 500}, headers=h)
    out.append(("list locations", r, _ok(r) and w.locations[owner] in
                [x["id"] for x in r.json()["items"]]))
    r = c.get("/epcis/events", params={"MATCH_anyEPCClass": lot["epc_class"]}, headers=h)
    shown = _ok(r) and bool(
        r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
    out.append(("EPCIS events", r, shown))
    r = c.post("/api/v1/trace/recall", json={"kind": "lot", "value": str(lot["id"])},
               headers=h)
    out.append(("recall", r, _ok(r)))
    return out


@pytest.mark.parametrize("owner", OWNERS)
def test_reads_follow_the_rule(actors: Actors, owner: str) -> None:
    w = _world(actors)
    leaks: list[str] = []
    for who in ROLES:
        allowed = owner in READERS[who]
        for action, r, shown in _reads(w, who, owner):
            if r.status_code >= 500:
                leaks.append(f"{who} {action} {owner}: {r.status_code}")
            elif allowed and not shown:
                leaks.append(f"{who} {action} {owner}: refused ({r.status_code})")
            elif not allowed and shown:
                leaks.append(f"{who} {action} {owner}: LEAK ({r.status_code})")
            elif not allowed and not _ok(r) and not _refused(r):
                leaks.append(f"{who} {action} {owner}: odd status {r.status_code}")
    assert leaks == []


@pytest.mark.parametrize("owner", OWNERS)
def test_writes_follow_the_rule(actors: Actors, owner: str) -> None:
    w = _world(actors)
    c = actors.client
    lot = w.lots[owner]
    leaks: list[str] = []

    def expect(who: str | None, action: str, r: Any, allowed: bool) -> None:
        if allowed and not _ok(r):
            leaks.append(f"{who} {action} {owner}: refused ({r.status_code} {r.text[:120]})")
        elif not allowed and not _refused(r):
            leaks.append(f"{who} {action} {owner}: LEAK ({r.status_code})")

    for n, who in enumerate(ROLES):
        h = actors.headers(who)
        r = c.patch(f"/api/v1/trace/products/{w.products[owner]}",
                    json={"name": f"Xoài {owner} {n}"}, headers=h)
        expect(who, "edit product", r, owner in MANAGERS[who])
        r = c.post(f"/api/v1/trace/lots/{lot['id']}/status",
                   json={"status": "withdrawn", "reason": f"kiểm tra {n}"}, headers=h)
        expect(who, "withdraw lot", r, owner in STATUS_SETTERS[who])
        r = c.put(f"/api/v1/trace/organisations/{w.orgs[owner]}/gs1-prefix",
                  json={"prefix": f"89{w.orgs[owner]:03d}{n:02d}"}, headers=h)
        expect(who, "set GS1 prefix", r, owner in PREFIX_SETTERS.get(who or "", set()))
        r = c.post("/epcis/capture", content=json.dumps(_capture_doc(lot, n)),
                   headers={**h, "Content-Type": "application/ld+json"})
        expect(who, "capture event", r, owner in CAPTURERS[who])
        r = c.post("/api/v1/trace/lots", json={"product_id": w.products[owner],
                                               "label": f"Lô mới {n}"}, headers=h)
        expect(who, "commission lot", r, owner in MANAGERS[who])
    assert leaks == []


def test_farmers_move_only_between_cooperatives_the_caller_manages(actors: Actors) -> None:
    c = actors.client
    path = f"/api/v1/farmers/{actors.farmer_a.id}"
    to_b = {"organisation_id": actors.coop_b.id}
    for who in ("farmer_a", "coop_a", "commune_a", "commune_b", "other_province", "buyer"):
        r = c.patch(path, json=to_b, headers=actors.headers(who))
        assert r.status_code in (403, 404), (who, r.text)
    r = c.get(path, headers=actors.headers("admin"))
    assert r.json()["organisation_id"] == actors.coop_a.id  # unchanged
    r = c.patch(path, json=to_b, headers=actors.headers("province"))
    assert r.status_code == 200, r.text
    assert r.json()["organisation_id"] == actors.coop_b.id
    # His own details a farmer still changes.
    r = c.patch(path, json={"phone": "0900 111 222"}, headers=actors.headers("farmer_a"))
    assert r.status_code == 200, r.text
