"""The cached extents of a collection follow what is committed: a write that rolls back never
reaches another session's view, a committed one is seen at once."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.registry import geo
from nongso.registry import services as registry
from nongso.registry.schemas import SoilUnitCreate
from nongso.units import services as units
from tests.registry.shapes import rect

# Far from anything the other tests create (Cà Mau peninsula, inside Vietnam's extent).
FAR = (104.9, 8.8)


class _Abort(Exception):
    pass


def _soil_unit(platform: Platform, code: str) -> SoilUnitCreate:
    commune = units.communes_of_province(platform.uow(), "82")[0].code
    return SoilUnitCreate(name="Đất thử", code=code, soil_type="alluvial",
                          commune_code=commune, geometry=rect(*FAR, 200, 200))


def _extent(platform: Platform) -> geo.BBox | None:
    box, _ = registry.collection_extent(platform.uow(SYSTEM), "soil_units")
    return box


def _covers(box: geo.BBox | None, geometry: dict[str, object]) -> bool:
    if box is None:
        return False
    minx, miny, maxx, maxy = shape(geometry).bounds
    return (box.min_lon <= minx + 1e-9 and box.min_lat <= miny + 1e-9
            and box.max_lon >= maxx - 1e-9 and box.max_lat >= maxy - 1e-9)


def test_a_rolled_back_write_never_reaches_another_sessions_extents(
    platform: Platform,
) -> None:
    before = _extent(platform)
    data = _soil_unit(platform, "DAT-ROLLBACK")
    writer = platform.uow(SYSTEM)
    with pytest.raises(_Abort), writer:
        registry.create_soil_unit(writer, data)  # flushed, not committed
        # The writing session sees its own write ...
        box, _ = registry.collection_extent(writer, "soil_units")
        assert _covers(box, data.geometry)
        raise _Abort  # ... and then rolls it back.
    assert _extent(platform) == before


def test_a_committed_write_is_seen_at_once(platform: Platform) -> None:
    data = _soil_unit(platform, "DAT-COMMIT")
    writer = platform.uow(SYSTEM)
    with writer:
        registry.create_soil_unit(writer, data)
        # Another session, while the write is not committed yet, sees (and may cache) the
        # extent without it ...
        assert not _covers(_extent(platform), data.geometry)
    # ... and, once it is committed, sees it at once (not after the cache's lifetime).
    assert _covers(_extent(platform), data.geometry)
