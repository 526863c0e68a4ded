"""Labels do not mislead: a lot made from harvests of several days and varieties shows the
harvest period and every variety (consumer page and label sheet), never one input's date under
another input's variety."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from nongso.diary.models import Season
from nongso.trace.models import Lot
from nongso.trace.services._common import harvest_period
from tests.diary.conftest import Diary

API = "/api/v1/diary"
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def _post(d: Diary, body: dict[str, Any], who: str = "farmer_a") -> Any:
    r = d.actors.client.post(f"{API}/activities", json=body, headers=d.actors.headers(who))
    assert r.status_code == 201, r.text
    return r.json()


def test_harvest_period_text() -> None:
    import datetime as dt

    assert harvest_period(dt.date(2026, 3, 2), dt.date(2026, 3, 15)) == (
        "thu hoạch từ 02/03 đến 15/03/2026", "harvested from 02/03 to 15/03/2026")
    assert harvest_period(dt.date(2025, 12, 30), dt.date(2026, 1, 2)) == (
        "thu hoạch từ 30/12/2025 đến 02/01/2026", "harvested from 30/12/2025 to 02/01/2026")
    assert harvest_period(dt.date(2026, 3, 2), None) == (
        "thu hoạch ngày 02/03/2026", "harvested on 02/03/2026")
    assert harvest_period(None, None) is None


def test_a_lot_of_two_harvests_and_varieties_says_so(diary: Diary) -> None:
    d = diary
    with d.platform.uow() as uow:
        other = uow.session.scalars(select(Season).where(
            Season.plot_id == d.plot_a2.id)).one()
        other.variety = "ST25"
        uow.commit()
        other_id = other.id
    first = _post(d, {"season_id": d.season_a.id, "kind": "harvest",
                      "at": "2026-03-02T08:00:00+07:00", "quantity": 5000, "unit": "kg"})
    second = _post(d, {"season_id": other_id, "kind": "harvest",
                       "at": "2026-03-15T08:00:00+07:00", "quantity": 3000, "unit": "kg"})
    # Dried together, recorded without outputs: the same product comes out.
    drying = _post(d, {"organisation_id": d.actors.coop_a.id, "kind": "drying",
                       "at": "2026-03-16T08:00:00+07:00",
                       "sources": [{"activity_id": first["id"], "quantity_kg": 5000},
                                   {"activity_id": second["id"], "quantity_kg": 3000}]},
                   who="coop_a")
    with d.platform.uow() as uow:
        lot = uow.session.scalars(select(Lot).where(Lot.source == f"diary:{drying['id']}")).one()
        uow.session.expunge(lot)
    assert lot.varieties == ["OM5451", "ST25"] and lot.variety is None
    assert (lot.harvest_date.isoformat(), lot.harvest_end_date and
            lot.harvest_end_date.isoformat()) == ("2026-03-02", "2026-03-15")
    page = d.actors.client.get(f"/01/{lot.gtin}/10/{lot.lot_code}", headers=HTML)
    assert page.status_code == 200
    assert "thu hoạch từ 02/03 đến 15/03/2026" in page.text
    assert 'id="varieties">OM5451, ST25<' in page.text
    name = page.text.split('id="product-name">', 1)[1].split("<", 1)[0]
    assert "OM5451" not in name and "ST25" not in name
    english = d.actors.client.get(f"/01/{lot.gtin}/10/{lot.lot_code}?lang=en", headers=HTML)
    assert "harvested from 02/03 to 15/03/2026" in english.text
    # The label sheet says the same.
    r = d.actors.client.post("/api/v1/trace/labels", headers=d.actors.headers("coop_a"),
                             json={"lot_ids": [lot.id], "copies": 1})
    assert r.status_code == 200, r.text
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "Thu hoạch từ 02/03\nđến 15/03/2026" in text and "Giống: OM5451, ST25" in text
    assert "Thu hoạch: 02/03/2026" not in text
