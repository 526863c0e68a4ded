"""Traceability pages: who sees them, and bad input on the recall form."""

from __future__ import annotations

from tests.helpers import Actors
from tests.trace.conftest import Journey

HTML = {"Accept": "text/html"}


def test_staff_pages_need_a_login(actors: Actors) -> None:
    for path in ("/trace", "/trace/recall", "/trace/lots/1"):
        r = actors.client.get(path, headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert actors.client.get("/trace/ocop", headers=HTML).status_code == 200


def test_recall_form_answers_errors_in_the_page(journey: Journey) -> None:
    j = journey
    a = j.d.actors
    ok = j.client.get("/trace/recall", params={"kind": "lot", "value": j.rice.lot_code},
                      headers={**HTML, **a.headers("inspector")})
    assert ok.status_code == 200 and 'id="recall-graph"' in ok.text
    assert j.d.dealer.name in ok.text
    farmer = j.client.get("/trace/recall", params={"kind": "lot", "value": j.rice.lot_code},
                          headers={**HTML, **a.headers("farmer_a")})
    assert farmer.status_code == 403 and 'id="recall-error"' in farmer.text
    bad_date = j.client.get("/trace/recall", params={"kind": "lot", "value": j.rice.lot_code,
                                                     "since": "31/02/2026"},
                            headers={**HTML, **a.headers("inspector")})
    assert bad_date.status_code == 400 and "dd/mm/yyyy" in bad_date.text
    unknown = j.client.get("/trace/recall", params={"kind": "lot", "value": "KHONG-CO"},
                           headers={**HTML, **a.headers("inspector")})
    assert unknown.status_code == 404 and "KHONG-CO" in unknown.text
    overview = j.client.get("/trace", headers={**HTML, **a.headers("coop_a")})
    assert overview.status_code == 200 and j.packed.lot_code in overview.text
    lot = j.client.get(f"/trace/lots/{j.packed.id}", headers={**HTML, **a.headers("coop_a")})
    assert lot.status_code == 200 and "<svg" in lot.text and j.packed.epc_class in lot.text
