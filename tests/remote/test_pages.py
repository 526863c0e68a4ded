"""The remote-sensing pages and API reads: scoped by unit, user text never as HTML."""

from __future__ import annotations

import json
import re

from nongso.core.permissions import SYSTEM
from nongso.remote import services
from tests.helpers import Actors
from tests.remote.conftest import Fields, Scenes, register_fields

XSS = "<img src=x onerror=alert(1)>"


def _pipeline(actors: Actors, scenes: Scenes) -> Fields:
    fields = register_fields(actors, scenes)
    admin = actors.platform.uow(SYSTEM)
    services.ingest(admin, "local", str(scenes.path))
    services.reduce_new_scenes(admin, "82")
    services.compute_phenology(admin, "82")
    services.reconcile_province(admin, "82")
    return fields


def test_pages_and_decisions(actors: Actors, scenes: Scenes) -> None:
    fields = _pipeline(actors, scenes)
    c = actors.client
    officer = actors.headers("commune_a")
    page = c.get("/remote", headers=officer)
    assert page.status_code == 200
    assert f'data-commune="{actors.commune_a}"' in page.text
    assert 'id="differences"' in page.text  # the bare field declared rice (registry crop)
    assert 'data-kind="declared_rice_bare"' in page.text
    row = re.search(r'<tr id="d-(\d+)" data-kind="declared_rice_bare" data-status="open"',
                    page.text)
    assert row is not None
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = c.post(f"/remote/discrepancies/{row.group(1)}", headers=officer,
               data={"csrf": csrf.group(1), "decision": "rejected", "note": XSS},
               follow_redirects=False)
    assert r.status_code == 303
    after = c.get("/remote", headers=officer).text
    assert XSS not in after and "&lt;img src=x onerror=alert(1)&gt;" in after
    assert f'<tr id="d-{row.group(1)}" data-kind="declared_rice_bare" data-status="rejected"' \
        in after
    # A wrong CSRF token changes nothing.
    bad = c.post(f"/remote/discrepancies/{row.group(1)}", headers=officer,
                 data={"csrf": "forged", "decision": "open"}, follow_redirects=False)
    assert bad.status_code == 400

    # The field page and the field's registry record carry the curve (numbers and dates).
    rice = fields.ids[0]
    field_page = c.get(f"/remote/fields/{rice}", headers=officer)
    assert field_page.status_code == 200 and 'id="remote-curve"' in field_page.text
    data = re.search(r'<script type="application/json" id="remote-curve-data">(.*?)</script>',
                     field_page.text, re.S)
    assert data is not None
    curve = json.loads(data.group(1))
    assert len(curve["vh"]) > 15 and len(curve["seasons"]) == 2
    record = c.get(f"/registry/production_units/{rice}", headers=officer)
    assert record.status_code == 200 and 'id="remote-curve-data"' in record.text
    # Another commune's officer sees neither the curve nor the list.
    other = actors.headers("commune_b")
    assert c.get(f"/remote/fields/{rice}", headers=other).status_code == 403
    assert c.get(f"/api/v1/remote/fields/{rice}", headers=other).status_code == 403
    r = c.get(f"/api/v1/remote/discrepancies?unit_code={actors.commune_a}", headers=other)
    assert r.status_code == 403
    assert 'id="remote-curve-data"' not in c.get(f"/registry/production_units/{rice}",
                                                 headers=other).text


def test_api_reads(actors: Actors, scenes: Scenes) -> None:
    _pipeline(actors, scenes)
    c = actors.client
    province = actors.headers("province")
    rice = c.get("/api/v1/remote/rice?unit_code=82", headers=province).json()
    mine = next(x for x in rice if x["commune_code"] == actors.commune_a)
    # Five rice fields of a pixel or more; the 6 m x 6 m one shares its pixel with bare bunds.
    assert mine["rice_fields"] == 5 and mine["fields"] == 9
    assert set(mine["seasons"]) == {"he_thu:2026", "thu_dong:2026"}
    values = c.get("/api/v1/remote/accepted-values?unit_code=82&season_key=he_thu:2026",
                   headers=province).json()
    area = next(v for v in values if v["indicator"] == "rice_area_sown_ha")
    assert area["commune_code"] == actors.commune_a and area["value"] > 0
    scenes_page = c.get("/api/v1/remote/scenes?limit=500", headers=province).json()
    assert scenes_page["total"] == len(scenes.files)
    assert {s["status"] for s in scenes_page["items"]} == {"reduced", "empty"}
    assert c.get("/api/v1/remote/scenes").status_code == 401
    # Runs belong to the province's officers.
    assert c.post("/api/v1/remote/reduce", headers=actors.headers("commune_a")).status_code \
        == 403
    assert c.post("/api/v1/remote/reduce?province_code=92",
                  headers=province).status_code == 403
    r = c.post("/api/v1/remote/phenology", headers=province)
    assert r.status_code == 200 and r.json()["rice_fields"] == 5
