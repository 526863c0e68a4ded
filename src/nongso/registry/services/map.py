"""The map page: what a view shows (features where few enough, else counts per grid cell)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from shapely.geometry import shape

from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.uow import UnitOfWork
from nongso.registry import features, geo
from nongso.registry.schemas import FeaturePublic, MapCluster, MapData, MapLayer

MAP_LAYERS = ("production_units", "planting_areas", "organisations", "businesses",
              "infrastructure", "soil_units")


MAP_FEATURE_LIMIT = 1500

# With ``exclusive`` layers (the map page) a planting area (it has a code) is in the
# planting-area layer only, so that unticking that layer hides them; the production-unit layer
# then holds the other kinds.
MAP_LAYER_KINDS: dict[str, tuple[str, ...]] = {
    "production_units": tuple(k for k in features.COLLECTIONS["production_units"].kinds or ()
                              if k != "planting_area"),
}


MAP_POLYGON_ZOOM = 12


_MAP_KEYS = ("kind", "subtype", "name", "code", "crop", "status", "soil_type", "salinity_class",
             "flags", "commune_code", "licence_status")


def map_data(
    uow: UnitOfWork, bbox: geo.BBox, zoom: int, layers: Sequence[str],
    q: features.FeatureQuery, exclusive: bool = False,
) -> MapData:
    """What the map shows in a view: features where few enough, else counts per grid cell;
    ``exclusive``: each feature in one layer only (``MAP_LAYER_KINDS``)."""
    if not 0 <= zoom <= 22:
        raise ValidationFailed("zoom phải từ 0 đến 22.", "zoom must be between 0 and 22.",
                               [FieldError("zoom", "Ngoài khoảng", "Out of range")])
    out: list[MapLayer] = []
    with uow:
        for name in layers:
            coll = features.get_collection(name)
            if name not in MAP_LAYERS:
                raise ValidationFailed(f"Lớp «{name}» không có trên bản đồ.",
                                       f"Layer '{name}' is not on the map.",
                                       [FieldError("layers", "Không có", "Unknown layer")])
            layer_q = replace(q, bbox=bbox, limit=MAP_FEATURE_LIMIT, after=None)
            if exclusive and name in MAP_LAYER_KINDS:
                own = MAP_LAYER_KINDS[name]
                kinds = [k for k in (q.kinds or own) if k in own]
                if not kinds:
                    out.append(MapLayer(collection=name, mode="features", total=0, features=[]))
                    continue
                layer_q = replace(layer_q, kinds=kinds)
            points = coll.geometry_format == "geometry-point"
            if points or zoom >= MAP_POLYGON_ZOOM:
                page = features.query(uow, coll, layer_q)
                if page.next_after is None:
                    out.append(MapLayer(collection=name, mode="features", total=len(page.features),
                                        features=[_map_feature(name, f) for f in page.features]))
                    continue
            cell = 360.0 / (2 ** zoom) / 4
            found = features.clusters(uow, coll, layer_q, cell)
            out.append(MapLayer(collection=name, mode="clusters", total=sum(c.count for c in found),
                                clusters=[MapCluster(lon=round(c.lon, 6), lat=round(c.lat, 6),
                                                     count=c.count) for c in found]))
    return MapData(bbox=list(bbox), zoom=zoom, as_of=q.as_of, layers=out)


def _map_feature(collection: str, f: features.FeatureRecord) -> FeaturePublic:
    props = {k: f.properties[k] for k in _MAP_KEYS if f.properties.get(k) not in (None, [], "")}
    geometry = geo.to_geojson(shape(f.geometry), precision=6) if f.geometry else None
    return FeaturePublic(id=f.id, collection=collection, geometry=geometry, properties=props)
