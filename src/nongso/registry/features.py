"""Map features: the one query engine behind the OGC API, the map page, the exports and the
look-ups of other domains, over the registry's collections (:mod:`nongso.registry.collections`).

:func:`query` runs one query: the spatial index for ``bbox`` and for the bounding box of
top-level spatial filter predicates, plain SQL for everything else, then the exact geometric
tests in Python (shapely) on the candidates, page by page in id order (keyset paging, so
page *n* costs the same as page 1). With ``as_of`` the same query runs over the versions
table: every feature as it was at that time. :func:`clusters` counts features per grid cell
(zoomed-out maps); :func:`extent` is a collection's extent, cached (see
:mod:`nongso.registry.extents`).

One cohesive thing (the query engine: sources, conditions, paging, refinement), hence its
length.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.uow import UnitOfWork
from nongso.registry import cql, extents, spatial
from nongso.registry.collections import (  # re-exported: what callers name with the engine
    COLLECTIONS,
    PLANTING_AREAS,
    Collection,
    ViewContext,
    as_date,
    get_collection,
    may_see_attributes,
    may_see_contact,
    may_see_owner,
)
from nongso.registry.geo import BBox
from nongso.registry.messages import CROP_LABELS
from nongso.registry.models import Organisation
from nongso.registry.providers import Extent, FeaturePage, FeatureRecord, Queryable
from nongso.registry.versioning import FeatureVersion
from nongso.units import services as units

__all__ = [
    "COLLECTIONS", "PLANTING_AREAS", "Cluster", "Collection", "Extent", "FeaturePage",
    "FeatureQuery", "FeatureRecord", "ViewContext", "clusters", "dialect_of", "extent", "get",
    "get_collection", "may_see_attributes", "may_see_contact", "may_see_owner", "query",
    "view_context",
]


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureQuery:
    bbox: BBox | None = None
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filter: str | None = None
    equals: Mapping[str, str] = field(default_factory=dict)
    kinds: Sequence[str] = ()
    commune_code: str | None = None
    crop: str | None = None
    status: str | None = None
    text: str | None = None
    organisation_id: int | None = None
    subtype: str | None = None
    as_of: dt.datetime | None = None
    limit: int = 100
    after: int | None = None
    offset: int | None = None
    spatial_order: bool = False


@dataclass(frozen=True)
class _Source:
    collection: Collection
    table: Table
    id_col: ColumnElement[Any]
    columns: dict[str, ColumnElement[Any]]
    base: list[ColumnElement[bool]]
    bbox_cols: cql.BBoxColumns
    select: list[ColumnElement[Any]]
    versions: bool


def _source(coll: Collection, as_of: dt.datetime | None, today: dt.date) -> _Source:
    if as_of is None:
        t = coll.table
        base: list[ColumnElement[bool]] = []
        if "status" in t.c:
            base.append(t.c.status != "deleted")
        if coll.kinds is not None and coll.kind_column:
            base.append(t.c[coll.kind_column].in_(coll.kinds))
        cols: dict[str, ColumnElement[Any]] = {
            q.name: t.c[q.name] for q in coll.queryables if q.name in t.c}
        if "status" in cols and "valid_to" in t.c:
            # The status users see: "expired" once the validity has ended.
            cols["status"] = case(
                (and_(t.c.status == "active", t.c.valid_to < today), literal("expired")),
                else_=t.c.status,
            )
        if coll.point_columns:
            lon, lat = coll.point_columns
            bbox = cql.BBoxColumns(t.c[lon], t.c[lat], t.c[lon], t.c[lat])
        else:
            bbox = cql.BBoxColumns(t.c.min_lon, t.c.min_lat, t.c.max_lon, t.c.max_lat)
        return _Source(coll, t, t.c.id, cols, base, bbox, [*t.c], versions=False)
    if not coll.versioned:
        raise ValidationFailed(
            f"Tập «{coll.id}» không lưu lịch sử phiên bản: không xem theo ngày được.",
            f"Collection '{coll.id}' keeps no version history: it has no 'as of' view.",
            [FieldError("as_of", "Không hỗ trợ", "Not supported")],
        )
    v: Table = FeatureVersion.__table__  # type: ignore[assignment]
    base = [v.c.collection == coll.model.__versioned_collection__,
            v.c.valid_from <= as_of, or_(v.c.valid_to.is_(None), v.c.valid_to > as_of),
            v.c.change != "delete"]
    if coll.kinds is not None:
        base.append(v.c.kind.in_(coll.kinds))
    cols = {q.name: v.c[q.name] for q in coll.queryables if q.versioned and q.name in v.c}
    vcols: dict[str, ColumnElement[Any]] = dict(cols)
    bbox = cql.BBoxColumns(v.c.min_lon, v.c.min_lat, v.c.max_lon, v.c.max_lat)
    select_cols: list[ColumnElement[Any]] = [
        v.c.id, v.c.feature_id, v.c.version, v.c.geometry, v.c.min_lon, v.c.min_lat, v.c.max_lon,
        v.c.max_lat, v.c.properties]
    return _Source(coll, v, v.c.feature_id, vcols, base, bbox, select_cols, versions=True)


def _convert(q: Queryable, raw: str) -> Any:
    """A property filter value (query parameter text) in the queryable's type."""
    try:
        if q.type == "integer":
            return int(raw)
        if q.type == "number":
            return float(raw)
        if q.type == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if q.type == "date":
            return dt.date.fromisoformat(raw)
    except ValueError:
        raise cql.ParameterError(
            f"Giá trị «{raw[:50]}» của «{q.name}» không đúng kiểu ({q.type}).",
            f"The value '{raw[:50]}' of '{q.name}' is not of type {q.type}.",
            parameter=q.name,
        ) from None
    return raw


def _conditions(src: _Source, q: FeatureQuery, dialect: str, today: dt.date,
                index: bool = True
                ) -> tuple[list[ColumnElement[bool]], cql.CompiledFilter | None]:
    coll, t = src.collection, src.table
    conds = list(src.base)
    for name, raw in q.equals.items():
        if name == "status":
            conds.append(_status_condition(src, raw, today))
            continue
        queryable = coll.queryable(name)
        if queryable is None or name not in src.columns:
            raise cql.ParameterError(
                f"Không lọc được theo «{name}» ở tập này" + (" khi xem theo ngày" if
                                                            src.versions else "") + ".",
                f"'{name}' cannot be used as a filter here" + (" with as_of" if src.versions
                                                              else "") + ".",
                parameter=name,
            )
        conds.append(src.columns[name] == _convert(queryable, raw))
    kind_col = None
    if coll.kind_column:
        kind_col = t.c.kind if src.versions else t.c[coll.kind_column]
    if q.kinds and kind_col is not None:
        conds.append(kind_col.in_(list(q.kinds)))
    if q.commune_code:
        conds.append(t.c.commune_code == q.commune_code)
    if q.crop and "crop" in t.c:
        conds.append(t.c.crop == q.crop)
    if q.subtype and not src.versions and "subtype" in t.c:
        conds.append(t.c.subtype == q.subtype)
    if q.organisation_id is not None and "organisation_id" in t.c:
        conds.append(t.c.organisation_id == q.organisation_id)
    if q.status:
        conds.append(_status_condition(src, q.status, today))
    if q.text:
        folded = fold(q.text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if src.versions:
            conds.append(or_(func.lower(t.c.name).contains(q.text.lower()),
                             func.lower(t.c.code).contains(q.text.lower())))
        else:
            text_conds = [func.lower(t.c.name).contains(q.text.lower())]
            if "search_key" in t.c:
                text_conds.append(t.c.search_key.like(f"%{folded}%", escape="\\"))
            if "code" in t.c:
                text_conds.append(func.lower(t.c.code).contains(q.text.lower()))
            if "crop" in t.c:  # "xoài", "xoai" or "mango" finds the mango areas
                crops = crops_matching(q.text)
                if crops:
                    text_conds.append(t.c.crop.in_(crops))
            conds.append(or_(*text_conds))
    if q.interval is not None and src.versions:
        raise cql.ParameterError(
            "Không dùng được «datetime» ở đây.", "'datetime' cannot be used here.",
            parameter="datetime",
        )
    # Every collection accepts ``datetime`` (OGC API – Features /req/core/fc-time-definition):
    # a feature without a validity interval (e.g. an administrative boundary) is valid at every
    # instant, as an open end of an interval is.
    if q.interval is not None and coll.temporal:
        start, end = q.interval
        vn = dt.timedelta(hours=7)
        if end is not None:
            conds.append(or_(t.c.valid_from.is_(None), t.c.valid_from <= (end + vn).date()))
        if start is not None:
            conds.append(or_(t.c.valid_to.is_(None), t.c.valid_to >= (start + vn).date()))
    if q.bbox is not None:
        if index:
            conds.append(_index(src, dialect, q.bbox))
        conds.append(cql.bbox_condition(src.bbox_cols, q.bbox))
    compiled = None
    if q.filter:
        compiled = cql.compile_filter(q.filter, src.columns, bbox_columns=src.bbox_cols)
        conds.append(compiled.where)
        for condition in compiled.positive_spatial:
            conds.append(_index(src, dialect, BBox(*condition.geometry.bounds)))
    if q.after is not None:
        conds.append(src.id_col > q.after)
    return conds, compiled


def _index(src: _Source, dialect: str, b: BBox) -> ColumnElement[bool]:
    if src.table.name in spatial.SPATIAL_TABLES:
        return spatial.index_condition(src.table, dialect, b)
    return cql.bbox_condition(src.bbox_cols, b)


def _status_condition(src: _Source, status: str, today: dt.date) -> ColumnElement[bool]:
    t = src.table
    if src.versions or "valid_to" not in t.c:
        return t.c.status == status
    if status == "expired":
        return and_(t.c.status == "active", t.c.valid_to < today)
    if status == "active":
        return and_(t.c.status == "active", or_(t.c.valid_to.is_(None), t.c.valid_to >= today))
    return t.c.status == status


def _row_values(src: _Source, row: Any) -> tuple[int, dict[str, Any], str | None]:
    mapping = row._mapping
    if src.versions:
        values = dict(mapping["properties"] or {})
        values["id"] = mapping["feature_id"]
        values["version"] = mapping["version"]
        return int(mapping["feature_id"]), values, mapping["geometry"]
    values = {c.name: mapping[c] for c in src.table.c}
    if src.collection.point_columns:
        lon, lat = (values[c] for c in src.collection.point_columns)
        text = json.dumps({"type": "Point", "coordinates": [lon, lat]}) \
            if lon is not None and lat is not None else None
        return int(values["id"]), values, text
    return int(values["id"]), values, values.get("geometry")


def _row_bbox(src: _Source, row: Any) -> tuple[float, float, float, float] | None:
    m = row._mapping
    b = src.bbox_cols
    values = [m[b.minx], m[b.miny], m[b.maxx], m[b.maxy]]
    if any(v is None for v in values):
        return None
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def _inside(inner: tuple[float, float, float, float], outer: BBox) -> bool:
    return (inner[0] >= outer.min_lon and inner[2] <= outer.max_lon
            and inner[1] >= outer.min_lat and inner[3] <= outer.max_lat)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


_COMMUNE_NAMES: dict[tuple[str, str], dict[str, str]] = {}


def _commune_names(uow: UnitOfWork, province: str) -> dict[str, str]:
    """The names of a province's communes (reference data: read once per database)."""
    key = (str(uow.session.get_bind().engine.url), province)
    found = _COMMUNE_NAMES.get(key)
    if found is None:
        found = {c.code: c.name for c in units.communes_of_province(uow, province)}
        if found:
            _COMMUNE_NAMES[key] = found
    return found


def view_context(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> ViewContext:
    """Names of the communes and organisations of a page (two queries at most)."""
    s = uow.session
    provinces = {str(v["province_code"]) for v in rows if v.get("province_code")}
    names: dict[str, str] = {}
    for province in sorted(provinces):
        names.update(_commune_names(uow, province))
    org_ids = {int(v["organisation_id"]) for v in rows if v.get("organisation_id")}
    orgs: dict[int, str] = {}
    if org_ids:
        orgs = dict(s.execute(select(Organisation.id, Organisation.name)
                              .where(Organisation.id.in_(sorted(org_ids)))).all())
    return ViewContext(uow.principal, (clock.now() + dt.timedelta(hours=7)).date(), names, orgs)


def query(uow: UnitOfWork, coll: Collection, q: FeatureQuery) -> FeaturePage:
    """One page of features (see the module docstring). Call inside ``with uow``.

    Pages are in id order with keyset paging (``after``), except a ``bbox`` query with
    ``spatial_order`` on SQLite: its pages come in the R*Tree's order (``offset`` paging), so
    that the first page of a dense box does not need every candidate of the box first.
    """
    s = uow.session
    dialect = dialect_of(s)
    today = (clock.now() + dt.timedelta(hours=7)).date()
    src = _source(coll, q.as_of, today)
    streaming = (q.spatial_order and q.bbox is not None and dialect == "sqlite"
                 and src.table.name in spatial.SPATIAL_TABLES and q.after is None)
    conds, compiled = _conditions(src, q, dialect, today, index=not streaming)
    extra = list(compiled.columns) if compiled is not None else []
    stmt = select(*src.select, *(c.label(f"_cql{i}") for i, c in enumerate(extra)))
    if streaming:
        assert q.bbox is not None
        r = spatial.rtree(src.table.name)
        b = q.bbox
        stmt = stmt.select_from(src.table.join(r, r.c.id == src.table.c.id)).where(
            r.c.min_lon <= b.max_lon, r.c.max_lon >= b.min_lon,
            r.c.min_lat <= b.max_lat, r.c.max_lat >= b.min_lat, *conds)
    else:
        stmt = stmt.where(and_(true(), *conds)).order_by(src.id_col)
    needs_refine = q.bbox is not None or (compiled is not None and not compiled.exact)
    box = cql.bbox_geometry(q.bbox) if q.bbox is not None else None
    wanted = q.limit + 1
    # A bbox alone rejects few candidates (most lie inside the box); a spatial filter may
    # reject many: fetch a little or a lot more than a page.
    if not needs_refine:
        batch = wanted
    elif compiled is None or compiled.exact:
        batch = wanted + max(10, wanted // 5)
    else:
        batch = max(2 * wanted, 200)
    # (feature id, values, geometry text, bbox, position of the row in the SQL results)
    matched: list[tuple[int, dict[str, Any], str | None, Any, int]] = []
    last: int | None = None
    offset = q.offset or 0 if streaming else 0
    exhausted = False
    while len(matched) < wanted:
        if streaming:
            page_stmt = stmt.offset(offset)
        else:
            page_stmt = stmt if last is None else stmt.where(src.id_col > last)
        rows = s.execute(page_stmt.limit(batch)).all()
        for i, row in enumerate(rows):
            fid, values, text = _row_values(src, row)
            geometry: BaseGeometry | None = None
            if needs_refine:
                if q.bbox is not None and box is not None:
                    rb = _row_bbox(src, row)
                    if rb is None:
                        continue
                    if not _inside(rb, q.bbox):
                        geometry = _shape(text)
                        if geometry is None or not geometry.intersects(box):
                            continue
                if compiled is not None and not compiled.exact:
                    if geometry is None:
                        geometry = _shape(text)
                    cql_values = tuple(row._mapping[f"_cql{i}"] for i in range(len(extra)))
                    if not compiled.refine(geometry, cql_values):
                        continue
            matched.append((fid, values, text, _row_bbox(src, row), offset + i))
            if len(matched) == wanted:
                break
        if len(rows) < batch:
            exhausted = len(matched) < wanted
            break
        offset += len(rows)
        last = int(row._mapping[src.id_col.name]) if not src.versions \
            else int(row._mapping["feature_id"])
    has_next = len(matched) == wanted
    page = matched[: q.limit]
    ctx = view_context(uow, [v for _, v, _, _, _ in page])
    features = [
        FeatureRecord(fid, json.loads(text) if text else None, coll.project(values, ctx), rb)
        for fid, values, text, rb, _ in page
    ]
    next_after = page[-1][0] if has_next and page and not streaming else None
    next_offset = matched[q.limit][4] if has_next and streaming else None
    number = len(page) if exhausted and q.after is None and not q.offset else None
    return FeaturePage(features, next_after, number, next_offset)


def _shape(text: str | None) -> BaseGeometry | None:
    if not text:
        return None
    try:
        return shape(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None


def get(uow: UnitOfWork, coll: Collection, feature_id: int,
        as_of: dt.datetime | None = None) -> FeatureRecord | None:
    """One feature (None when absent, deleted, or of another collection)."""
    src = _source(coll, as_of, (clock.now() + dt.timedelta(hours=7)).date())
    row = uow.session.execute(
        select(*src.select).where(and_(true(), *src.base), src.id_col == feature_id).limit(1)
    ).first()
    if row is None:
        return None
    fid, values, text = _row_values(src, row)
    ctx = view_context(uow, [values])
    return FeatureRecord(fid, json.loads(text) if text else None, coll.project(values, ctx),
                         _row_bbox(src, row))


@dataclass(frozen=True)
class Cluster:
    lon: float
    lat: float
    count: int


def clusters(uow: UnitOfWork, coll: Collection, q: FeatureQuery, cell_deg: float) -> list[Cluster]:
    """Counts of features per grid cell of ``cell_deg`` degrees (for zoomed-out maps)."""
    if q.bbox is None:
        raise ValueError("clusters need a bbox")
    s = uow.session
    dialect = dialect_of(s)
    today = (clock.now() + dt.timedelta(hours=7)).date()
    src = _source(coll, q.as_of, today)
    if dialect == "sqlite" and _rtree_alone(coll, src, q):
        return _rtree_clusters(s, src.table.name, q.bbox, cell_deg)
    conds, _ = _conditions(src, replace(q, filter=None, after=None), dialect, today)
    b = src.bbox_cols
    cx = (b.minx + b.maxx) / 2
    cy = (b.miny + b.maxy) / 2
    gx_raw = (cx - literal(q.bbox.min_lon)) / literal(cell_deg)
    gy_raw = (cy - literal(q.bbox.min_lat)) / literal(cell_deg)
    gx: Any
    gy: Any
    if dialect == "postgresql":
        gx, gy = func.floor(gx_raw), func.floor(gy_raw)
    else:
        gx, gy = cast(gx_raw, Integer), cast(gy_raw, Integer)
    stmt = (select(gx.label("gx"), gy.label("gy"), func.count().label("n"),
                   cast(func.avg(cx), Float).label("lon"), cast(func.avg(cy), Float).label("lat"))
            .where(and_(true(), *conds)).group_by(gx, gy))
    return [Cluster(float(r.lon), float(r.lat), int(r.n)) for r in s.execute(stmt)]


def _rtree_alone(coll: Collection, src: _Source, q: FeatureQuery) -> bool:
    """Whether the R*Tree alone holds the answer: every current row of the table is in the
    collection (no kind subset, soft-deleted rows are not in the index) and only the bbox
    filters."""
    table = src.table.name
    if src.versions or table not in spatial.SPATIAL_TABLES or table == "organisations":
        return False
    all_kinds = coll.kinds is None or coll.kinds == COLLECTIONS[table].kinds
    plain = replace(q, bbox=None, limit=100, after=None, offset=None, spatial_order=False)
    return all_kinds and plain == FeatureQuery()


def _rtree_clusters(s: Session, table: str, b: BBox | None, cell_deg: float) -> list[Cluster]:
    assert b is not None
    r = spatial.rtree(table)
    cx = (r.c.min_lon + r.c.max_lon) / 2
    cy = (r.c.min_lat + r.c.max_lat) / 2
    gx = cast((cx - literal(b.min_lon)) / literal(cell_deg), Integer)
    gy = cast((cy - literal(b.min_lat)) / literal(cell_deg), Integer)
    stmt = (select(gx.label("gx"), gy.label("gy"), func.count().label("n"),
                   cast(func.avg(cx), Float).label("lon"), cast(func.avg(cy), Float).label("lat"))
            .where(r.c.min_lon <= b.max_lon, r.c.max_lon >= b.min_lon,
                   r.c.min_lat <= b.max_lat, r.c.max_lat >= b.min_lat)
            .group_by(gx, gy))
    return [Cluster(float(row.lon), float(row.lat), int(row.n)) for row in s.execute(stmt)]


def extent(uow: UnitOfWork, coll: Collection) -> Extent:
    """The bounding box and the time span of the collection's current features.

    Collection metadata is read far more often than features change: the result is cached
    (:mod:`nongso.registry.extents`: forgotten when a write to the table commits)."""
    return extents.cached(uow.session, coll.table.name, coll.id, lambda: _extent(uow, coll))


def _extent(uow: UnitOfWork, coll: Collection) -> Extent:
    src = _source(coll, None, (clock.now() + dt.timedelta(hours=7)).date())
    b = src.bbox_cols
    t = src.table
    cols = [func.min(b.minx), func.min(b.miny), func.max(b.maxx), func.max(b.maxy)]
    if coll.temporal:
        cols += [func.min(t.c.valid_from), func.max(t.c.valid_to)]
    row = uow.session.execute(select(*cols).where(and_(true(), *src.base))).one()
    box = BBox(*(float(v) for v in row[:4])) if row[0] is not None else None
    span = (as_date(row[4]), as_date(row[5])) if coll.temporal else (None, None)
    return box, span


def crops_matching(text: str) -> list[str]:
    """The crop codes whose Vietnamese or English name (or code) contains ``text``, with or
    without diacritics and case."""
    folded = fold(text).strip()
    if not folded:
        return []
    return [code for code, names in CROP_LABELS.items()
            if any(folded in fold(n) for n in (code, *names))]
