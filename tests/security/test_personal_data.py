"""Personal data in the unknown columns of an import file (kept as a production unit's
``attributes``) never reaches an anonymous user: every anonymous endpoint that shows the unit
is scanned for the owner's name, phone, national ID and home address."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import Actors
from tests.registry.shapes import TAN_PHUOC_1, rect

SECRETS = {
    "Chủ hộ": "Lê Văn Bímật",
    "Số điện thoại": "0912 345 678",
    "CCCD": "083201009999",
    "Địa chỉ nhà": "Số 12 ấp Bímật, xã Tân Phước",
}


def _import(actors: Actors) -> int:
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": rect(*TAN_PHUOC_1, 150, 100),
        "properties": {"Mã số vùng trồng": "VN-DTOR-7777", "Tên": "Vùng riêng tư",
                       "Cây trồng": "Xoài", "Mã xã": actors.commune_a,
                       "Diện tích (ha)": "1,5", **SECRETS}}]}
    r = actors.client.post("/api/v1/registry/import",
                           files={"file": ("msvt.geojson", json.dumps(doc).encode())},
                           data={"kind": "planting_area"}, headers=actors.headers("commune_a"))
    assert r.status_code == 200, r.text
    ids: list[int] = r.json()["ids"]
    assert len(ids) == 1
    return ids[0]


def _leaks(text: str) -> list[str]:
    return [v for v in SECRETS.values() if v in text]


def test_imported_personal_columns_are_not_public(actors: Actors) -> None:
    unit_id = _import(actors)
    c = actors.client
    anonymous: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/registry/production-units/{unit_id}", {}),
        ("/api/v1/registry/production-units", {"q": "riêng tư"}),
        ("/api/v1/registry/production-units", {"limit": 500}),
        (f"/api/v1/registry/production-units/{unit_id}/history", {}),
        (f"/api/v1/registry/features/production_units/{unit_id}", {}),
        ("/api/v1/registry/nearby", {"lon": TAN_PHUOC_1[0], "lat": TAN_PHUOC_1[1]}),
        (f"/api/v1/registry/communes/{actors.commune_a}/features", {}),
        ("/ogcapi/collections/production_units/items", {}),
        (f"/ogcapi/collections/production_units/items/{unit_id}", {}),
        ("/api/v1/registry/export/production_units.csv", {}),
        ("/api/v1/registry/export/production_units.geojson", {}),
    ]
    seen = 0
    for path, params in anonymous:
        r = c.get(path, params=params)
        if r.status_code == 200:
            seen += 1
        assert r.status_code < 500, (path, r.text)
        assert _leaks(r.text) == [], (path, r.text[:500])
    assert seen >= 6  # the scan looked at real answers, not only errors
    # The staff of the unit still see what was imported (nothing was lost).
    r = c.get(f"/api/v1/registry/production-units/{unit_id}",
              headers=actors.headers("commune_a"))
    assert r.status_code == 200
    assert sorted(_leaks(r.text)) == sorted(SECRETS.values())
    # Other signed-in users outside the unit do not (a buyer, another commune's officer).
    for who in ("buyer", "commune_b", "other_province"):
        r = c.get(f"/api/v1/registry/production-units/{unit_id}", headers=actors.headers(who))
        assert _leaks(r.text) == [], who
        r = c.get(f"/api/v1/registry/production-units/{unit_id}/history",
                  headers=actors.headers(who))
        assert _leaks(r.text) == [], who
