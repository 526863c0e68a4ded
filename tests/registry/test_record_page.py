"""A map record's page names its properties and shows their values in the page's language:
labels instead of column names, labels instead of codes, dd/mm/yyyy dates, decimal commas."""

from __future__ import annotations

import re

from nongso.core.permissions import SYSTEM
from nongso.registry import services as registry
from nongso.registry.schemas import InfrastructureCreate
from nongso.units import services as units
from tests.helpers import Actors


def _rows(html: str) -> dict[str, tuple[str, str]]:
    return {k: (name, value) for k, name, value in re.findall(
        r'<tr data-key="(\w+)"><th>([^<]*)</th><td>([^<]*)</td></tr>', html)}


def test_record_page_labels_properties_and_formats_values(actors: Actors) -> None:
    uow = actors.platform.uow(SYSTEM)
    commune = units.require_commune(uow, actors.commune_a)
    assert commune.lon is not None and commune.lat is not None
    dyke = registry.create_infrastructure(uow, InfrastructureCreate(
        kind="dyke_segment", code="DE-REC-1", name="Đê bao thử", commune_code=actors.commune_a,
        valid_from="2026-03-05", geometry={"type": "LineString", "coordinates": [
            [commune.lon, commune.lat], [commune.lon + 0.01, commune.lat + 0.005]]}))
    page = actors.client.get(f"/registry/infrastructure/{dyke.id}")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows["kind"][0] == "Loại" and rows["kind"][1] != "dyke_segment"
    assert rows["status"] == ("Trạng thái", "Đang hiệu lực")
    assert rows["commune_name"][0] == "Xã / phường"
    name, length = rows["length_m"]
    # About 1.2 km: Vietnamese thousands dot ("1.226"), English comma ("1,226").
    assert name == "Chiều dài (m)" and re.fullmatch(r"1\.\d{3}", length), length
    assert rows["valid_from"][1].startswith("05/03/2026"), rows["valid_from"]
    # English on the EN switch: the same rows, English labels, English decimals.
    en = _rows(actors.client.get(f"/registry/infrastructure/{dyke.id}?lang=en").text)
    assert en["status"] == ("Status", "Active")
    assert en["length_m"] == ("Length (m)", length.replace(".", ","))
    assert set(en) == set(rows)
