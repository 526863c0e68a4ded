"""The SensorThings API 1.1 resource model: entity sets, resource paths, queries, JSON.

Helpers of ``monitor.services`` (they run inside the caller's unit of work and never
commit). It is one module despite its length because it is one thing, the SensorThings
resource model: the entity sets (``ENTITY_SETS``), the paths that address them, the queries
that read them and the JSON they render change together.

OGC 18-088 is followed where clients depend on it:

- every entity has ``@iot.id``, an absolute ``@iot.selfLink`` and one
  ``<Nav>@iot.navigationLink`` per navigation property;
- collections answer ``{"value": [...]}`` with ``@iot.count`` when ``$count=true`` and an
  absolute ``@iot.nextLink`` (carrying every query option) when more entities follow;
- ``$expand`` runs one query per expanded property and level, whatever the page size (no
  N+1): to-many expansions take their own ``$top``/``$skip`` per parent with a window
  function, and carry ``<Nav>@iot.nextLink``/``<Nav>@iot.count``;
- ``$filter`` works on properties, on to-one navigation paths (``Datastream/Thing/name``)
  and on to-many ones (``Datastreams/name eq 'x'`` on Things: "any"), compiled by
  :mod:`monitor.odata`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlencode

from sqlalchemy import Select, and_, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from nongso.core.errors import NotFound
from nongso.core.fields import MAX_ID
from nongso.core.permissions import Principal
from nongso.monitor import odata
from nongso.monitor.models import (
    QUALITY_NAMES,
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    HistoricalLocationLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
    ThingField,
    ThingLocation,
)

Json = dict[str, Any]

# --------------------------------------------------------------------------------------------
# Entity sets and their navigation properties


@dataclass(frozen=True)
class Nav:
    """A navigation property of an entity set.

    ``parent_fk``: the parent's column holding the target's id (to-one);
    ``child_fk``: the target's column holding the parent's id (to-many);
    ``assoc``: (table, column to the parent, column to the target) of a many-to-many link.
    """

    name: str
    target: str
    many: bool
    parent_fk: str | None = None
    child_fk: str | None = None
    assoc: tuple[type[Any], str, str] | None = None


@dataclass(frozen=True)
class EntitySet:
    name: str  # "Things"
    singular: str  # "Thing"
    model: type[Any]
    # STA property name -> model attribute, for the simple ones (filterable, sortable).
    columns: Mapping[str, str]
    navs: Mapping[str, Nav]
    # STA properties that are rendered (all of them, for $select validation).
    properties: tuple[str, ...]


def _navs(*items: Nav) -> dict[str, Nav]:
    return {n.name: n for n in items}


ENTITY_SETS: Final[dict[str, EntitySet]] = {
    es.name: es
    for es in (
        EntitySet(
            "Things", "Thing", Thing,
            {"id": "id", "name": "name", "description": "description",
             "properties/kind": "kind", "properties/communeCode": "commune_code",
             "properties/provinceCode": "province_code",
             "properties/registryFeatureId": "registry_feature_id",
             "properties/organisationId": "organisation_id", "properties/deviceId": "device_id"},
            _navs(
                Nav("Locations", "Locations", True, assoc=(ThingLocation, "thing_id",
                                                           "location_id")),
                Nav("HistoricalLocations", "HistoricalLocations", True, child_fk="thing_id"),
                Nav("Datastreams", "Datastreams", True, child_fk="thing_id"),
            ),
            ("id", "name", "description", "properties"),
        ),
        EntitySet(
            "Locations", "Location", Location,
            {"id": "id", "name": "name", "description": "description",
             "encodingType": "encoding_type"},
            _navs(
                Nav("Things", "Things", True, assoc=(ThingLocation, "location_id", "thing_id")),
                Nav("HistoricalLocations", "HistoricalLocations", True,
                    assoc=(HistoricalLocationLocation, "location_id",
                           "historical_location_id")),
            ),
            ("id", "name", "description", "encodingType", "location", "properties"),
        ),
        EntitySet(
            "HistoricalLocations", "HistoricalLocation", HistoricalLocation,
            {"id": "id", "time": "time"},
            _navs(
                Nav("Thing", "Things", False, parent_fk="thing_id"),
                Nav("Locations", "Locations", True,
                    assoc=(HistoricalLocationLocation, "historical_location_id",
                           "location_id")),
            ),
            ("id", "time"),
        ),
        EntitySet(
            "Datastreams", "Datastream", Datastream,
            {"id": "id", "name": "name", "description": "description",
             "observationType": "observation_type", "unitOfMeasurement/name": "unit_name",
             "unitOfMeasurement/symbol": "unit_symbol",
             "unitOfMeasurement/definition": "unit_definition",
             "properties/inputUnit": "input_unit"},
            _navs(
                Nav("Thing", "Things", False, parent_fk="thing_id"),
                Nav("Sensor", "Sensors", False, parent_fk="sensor_id"),
                Nav("ObservedProperty", "ObservedProperties", False,
                    parent_fk="observed_property_id"),
                Nav("Observations", "Observations", True, child_fk="datastream_id"),
            ),
            ("id", "name", "description", "unitOfMeasurement", "observationType",
             "observedArea", "phenomenonTime", "resultTime", "properties"),
        ),
        EntitySet(
            "Sensors", "Sensor", Sensor,
            {"id": "id", "name": "name", "description": "description",
             "encodingType": "encoding_type"},
            _navs(Nav("Datastreams", "Datastreams", True, child_fk="sensor_id")),
            ("id", "name", "description", "encodingType", "metadata", "properties"),
        ),
        EntitySet(
            "ObservedProperties", "ObservedProperty", ObservedProperty,
            {"id": "id", "name": "name", "description": "description",
             "definition": "definition", "properties/code": "code"},
            _navs(Nav("Datastreams", "Datastreams", True, child_fk="observed_property_id")),
            ("id", "name", "definition", "description", "properties"),
        ),
        EntitySet(
            "Observations", "Observation", Observation,
            {"id": "id", "result": "result", "resultTime": "result_time"},
            _navs(
                Nav("Datastream", "Datastreams", False, parent_fk="datastream_id"),
                Nav("FeatureOfInterest", "FeaturesOfInterest", False, parent_fk="feature_id"),
            ),
            ("id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime",
             "parameters"),
        ),
        EntitySet(
            "FeaturesOfInterest", "FeatureOfInterest", FeatureOfInterest,
            {"id": "id", "name": "name", "description": "description",
             "encodingType": "encoding_type"},
            _navs(Nav("Observations", "Observations", True, child_fk="feature_id")),
            ("id", "name", "description", "encodingType", "feature", "properties"),
        ),
    )
}

# Interval-valued properties: (start column, end column); a NULL end is an instant.
INTERVALS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "Observations": {"phenomenonTime": ("phenomenon_time", "phenomenon_time_end"),
                     "validTime": ("valid_time_start", "valid_time_end")},
    "Datastreams": {"phenomenonTime": ("phenomenon_time_start", "phenomenon_time_end"),
                    "resultTime": ("result_time_start", "result_time_end")},
}
# JSON-valued properties whose members may be filtered on (properties/x, parameters/x).
JSON_PROPS: Final[dict[str, str]] = {"properties": "properties", "parameters": "parameters"}


def entity_set(name: str) -> EntitySet:
    es = ENTITY_SETS.get(name)
    if es is None:
        raise NotFound(f"Không có tập thực thể «{name}».", f"No entity set '{name}'.")
    return es


def _col(es: EntitySet, attr: str) -> Any:
    return getattr(es.model, attr)


# --------------------------------------------------------------------------------------------
# Who may see what


def visible_things(p: Principal) -> ColumnElement[bool] | None:
    """Condition on Thing for the principal (None: no restriction)."""
    if p.is_admin:
        return None
    conds: list[ColumnElement[bool]] = [Thing.is_public.is_(True)]
    if p.role in ("province_officer", "inspector") and p.unit_code:
        conds.append(Thing.province_code == p.unit_code)
    elif p.role == "commune_officer" and p.unit_code:
        conds.append(Thing.commune_code == p.unit_code)
    if p.organisation_id is not None:
        conds.append(Thing.organisation_id == p.organisation_id)
    if p.device_id is not None:
        conds.append(Thing.device_id == p.device_id)
    return or_(*conds)


def visibility(es: EntitySet, p: Principal) -> ColumnElement[bool] | None:
    things = visible_things(p)
    if things is None:
        return None
    visible_ids = select(Thing.id).where(things)
    match es.name:
        case "Things":
            return things
        case "Datastreams":
            cond: ColumnElement[bool] = Datastream.thing_id.in_(visible_ids)
            return cond
        case "Observations":
            cond = Observation.datastream_id.in_(
                select(Datastream.id).where(Datastream.thing_id.in_(visible_ids)))
            return cond
        case "HistoricalLocations":
            cond = HistoricalLocation.thing_id.in_(visible_ids)
            return cond
        case "Locations":
            linked = select(ThingLocation.location_id)
            officer = p.role in ("province_officer", "commune_officer", "inspector")
            mine = Location.id.in_(
                select(ThingLocation.location_id).where(ThingLocation.thing_id.in_(visible_ids)))
            return or_(mine, Location.id.not_in(linked)) if officer else mine
        case "FeaturesOfInterest":
            private_locations = select(ThingLocation.location_id).where(
                ThingLocation.thing_id.not_in(visible_ids))
            return or_(FeatureOfInterest.location_id.is_(None),
                       FeatureOfInterest.location_id.not_in(private_locations))
    return None  # Sensors, ObservedProperties: a shared catalogue


# --------------------------------------------------------------------------------------------
# Resource paths


@dataclass(frozen=True)
class Segment:
    name: str
    key: int | None = None


@dataclass(frozen=True)
class ResourcePath:
    """A parsed path such as ``Things(1)/Datastreams`` or ``Observations(5)/result/$value``."""

    segments: tuple[Segment, ...]
    property: str | None = None
    value: bool = False
    ref: bool = False


_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d+|'\d+')\))?$")


def parse_path(path: str) -> ResourcePath:
    parts = [p for p in path.strip("/").split("/") if p]

    def bad(what: str) -> NotFound:
        return NotFound(f"Đường dẫn SensorThings không hợp lệ: «{what}».",
                        f"Invalid SensorThings path: '{what}'.")

    if not parts:
        raise bad(path)
    segments: list[Segment] = []
    prop: str | None = None
    value = ref = False
    current: EntitySet | None = None
    single = False
    for i, part in enumerate(parts):
        if part == "$value" and prop is not None and i == len(parts) - 1:
            value = True
            continue
        if part == "$ref" and i == len(parts) - 1 and segments and prop is None:
            ref = True
            continue
        m = _SEGMENT.match(part)
        if not m or prop is not None:
            raise bad(part)
        name, key_text = m.group(1), m.group(2)
        key = int(key_text.strip("'")) if key_text else None
        if key is not None and key > MAX_ID:
            raise bad(part)  # no entity has such an id (the databases stop at 2^63 - 1)
        if current is None:
            es = ENTITY_SETS.get(name)
            if es is None:
                raise bad(part)
            current, single = es, key is not None
            segments.append(Segment(name, key))
            continue
        if not single:
            raise bad(part)
        nav = current.navs.get(name)
        if nav is not None:
            if not nav.many and key is not None:
                raise bad(part)
            current = ENTITY_SETS[nav.target]
            single = (not nav.many) or key is not None
            segments.append(Segment(name, key))
            continue
        if key is None and name in current.properties:
            prop = name
            continue
        raise bad(part)
    return ResourcePath(tuple(segments), prop, value, ref)


@dataclass(frozen=True)
class Target:
    """Where a path points: an entity set, the condition selecting its rows, and whether it
    is one entity. ``parent`` is (entity set, id, navigation) of the last hop, for POSTs on a
    navigation collection."""

    es: EntitySet
    condition: ColumnElement[bool]
    single: bool
    key: int | None
    parent: tuple[EntitySet, int, Nav] | None = None


def related_condition(nav: Nav, parent_es: EntitySet, parent_ids: Any) -> ColumnElement[bool]:
    """Condition on the target's rows: related through ``nav`` to the parents in
    ``parent_ids`` (a subquery of ids or a list)."""
    target = ENTITY_SETS[nav.target]
    tid = _col(target, "id")
    cond: ColumnElement[bool]
    if nav.parent_fk is not None:
        fk = _col(parent_es, nav.parent_fk)
        cond = tid.in_(select(fk).where(_col(parent_es, "id").in_(parent_ids)))
    elif nav.child_fk is not None:
        cond = _col(target, nav.child_fk).in_(parent_ids)
    else:
        assert nav.assoc is not None
        table, to_parent, to_target = nav.assoc
        cond = tid.in_(select(getattr(table, to_target)).where(
            getattr(table, to_parent).in_(parent_ids)))
    return cond


def resolve_target(session: Session, path: ResourcePath, p: Principal) -> Target:
    """Walk the path, checking that every entity named by id exists and is visible."""
    first = path.segments[0]
    es = ENTITY_SETS[first.name]
    cond: ColumnElement[bool] = true()
    single = first.key is not None
    key = first.key
    parent: tuple[EntitySet, int, Nav] | None = None
    if key is not None:
        cond = _col(es, "id") == key
    for seg in path.segments[1:]:
        # The previous hop names one entity: it must exist for the path to mean anything.
        prev_id = _one_id(session, es, cond, p)
        nav = es.navs[seg.name]
        parent = (es, prev_id, nav)
        es_next = ENTITY_SETS[nav.target]
        cond = related_condition(nav, es, [prev_id])
        if seg.key is not None:
            cond = and_(cond, _col(es_next, "id") == seg.key)
        es, single, key = es_next, (not nav.many) or seg.key is not None, seg.key
    if single and key is None:  # a to-one hop: find the id
        key = _one_id(session, es, cond, p)
        cond = _col(es, "id") == key
    elif single:
        _one_id(session, es, cond, p)
    return Target(es, cond, single, key, parent)


def _one_id(session: Session, es: EntitySet, cond: ColumnElement[bool], p: Principal) -> int:
    stmt = select(_col(es, "id")).where(cond)
    vis = visibility(es, p)
    if vis is not None:
        stmt = stmt.where(vis)
    found = session.scalar(stmt.limit(1))
    if found is None:
        raise NotFound(f"Không tìm thấy {es.singular}.", f"{es.singular} not found.")
    return int(found)


# --------------------------------------------------------------------------------------------
# $filter and $orderby against an entity set


class _Resolver:
    """Maps $filter/$orderby paths to SQL on an entity set (and, through navigation, on
    related sets)."""

    def __init__(self, es: EntitySet, principal: Principal) -> None:
        self.es = es
        self.principal = principal
        self.exists: dict[str, ColumnElement[bool]] = {}

    def column(self, segments: tuple[str, ...]) -> ColumnElement[Any]:
        es = self.es
        if segments and segments[0].startswith("\x00"):
            return self.exists[segments[0]]
        name = "/".join(segments)
        if name in es.columns:
            return _col(es, es.columns[name])  # type: ignore[no-any-return]
        if segments[0] in JSON_PROPS and len(segments) >= 2 and segments[0] in es.properties:
            doc = _col(es, JSON_PROPS[segments[0]])
            return doc[list(segments[1:])].as_string()  # type: ignore[no-any-return]
        intervals = INTERVALS.get(es.name, {})
        if len(segments) == 1 and segments[0] in intervals:
            return _col(es, intervals[segments[0]][0])  # type: ignore[no-any-return]
        nav = es.navs.get(segments[0])
        if nav is not None and not nav.many and len(segments) > 1:
            return self._through(nav, segments[1:])
        raise KeyError(name)

    def _through(self, nav: Nav, rest: tuple[str, ...]) -> ColumnElement[Any]:
        assert nav.parent_fk is not None
        fk = _col(self.es, nav.parent_fk)
        if rest == ("id",):
            return fk  # type: ignore[no-any-return]
        target = ENTITY_SETS[nav.target]
        inner = _Resolver(target, self.principal).column(rest)
        sub = select(inner).where(_col(target, "id") == fk).correlate(self.es.model)
        return sub.scalar_subquery()

    def interval(self, segments: tuple[str, ...]) -> tuple[ColumnElement[Any],
                                                           ColumnElement[Any]] | None:
        intervals = INTERVALS.get(self.es.name, {})
        if len(segments) == 1 and segments[0] in intervals:
            a, b = intervals[segments[0]]
            return _col(self.es, a), _col(self.es, b)
        return None


def _paths(expr: odata.Expr) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, odata.Path):
            out.append(node.segments)
        elif dataclasses.is_dataclass(node):
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                if isinstance(value, tuple):
                    stack.extend(v for v in value if dataclasses.is_dataclass(v))
                elif dataclasses.is_dataclass(value):
                    stack.append(value)
    return out


def _strip(expr: odata.Expr, prefix: str) -> Any:
    """The same tree with ``prefix/`` removed from its paths."""
    if isinstance(expr, odata.Path):
        return dataclasses.replace(expr, segments=expr.segments[1:]) \
            if expr.segments[:1] == (prefix,) else expr
    if not dataclasses.is_dataclass(expr):
        return expr
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(expr):
        if f.name == "pos":
            continue
        value = getattr(expr, f.name)
        if isinstance(value, tuple):
            changes[f.name] = tuple(_strip(v, prefix) for v in value)
        elif dataclasses.is_dataclass(value):
            changes[f.name] = _strip(value, prefix)  # type: ignore[arg-type]
    return dataclasses.replace(expr, **changes)


def compile_filter(
    es: EntitySet, expr: odata.Expr, principal: Principal, now: dt.datetime | None = None
) -> ColumnElement[bool]:
    """``$filter`` on an entity set; comparisons through a to-many navigation property
    become ``EXISTS`` over the related set ("any" semantics, as FROST-Server does)."""
    resolver = _Resolver(es, principal)
    rewritten = _rewrite_many(es, expr, resolver, principal, now)
    return odata.compile_filter(rewritten, resolver.column, resolve_interval=resolver.interval,
                                now=now)


def _rewrite_many(es: EntitySet, expr: Any, resolver: _Resolver, principal: Principal,
                  now: dt.datetime | None) -> Any:
    if isinstance(expr, odata.Compare | odata.Call):
        heads = {p[0] for p in _paths(expr) if len(p) > 1}
        many = [h for h in heads if h in es.navs and es.navs[h].many]
        if many:
            if len(heads) > 1:
                raise odata.ODataError(
                    "Một phép so sánh chỉ được dùng một thuộc tính liên kết nhiều.",
                    "A comparison may use only one to-many navigation property.",
                    position=expr.pos)
            nav = es.navs[many[0]]
            target = ENTITY_SETS[nav.target]
            inner = compile_filter(target, _strip(expr, nav.name), principal, now)
            key = f"\x00{len(resolver.exists)}"
            if nav.assoc is None:
                link = related_condition(nav, es, [_col(es, "id")])
            else:
                table, to_parent, to_target = nav.assoc
                link = and_(getattr(table, to_parent) == _col(es, "id"),
                            getattr(table, to_target) == _col(target, "id"))
            froms = [target.model] if nav.assoc is None else [target.model, nav.assoc[0]]
            resolver.exists[key] = exists(
                select(literal(1)).select_from(*froms).where(link, inner).correlate(es.model))
            return odata.Path((key,), pos=expr.pos)
        return expr
    if isinstance(expr, odata.BoolOp):
        return dataclasses.replace(expr, operands=tuple(
            _rewrite_many(es, o, resolver, principal, now) for o in expr.operands))
    if isinstance(expr, odata.Not):
        return dataclasses.replace(
            expr, operand=_rewrite_many(es, expr.operand, resolver, principal, now))
    return expr


def order_clauses(es: EntitySet, orderby: Sequence[odata.OrderBy],
                  principal: Principal) -> list[Any]:
    resolver = _Resolver(es, principal)
    out: list[Any] = []
    for item in orderby:
        try:
            column = resolver.column(item.path)
        except LookupError:
            name = "/".join(item.path)
            raise odata.ODataError(f"Không sắp xếp được theo «{name}».",
                                   f"Cannot order by '{name}'.", option="$orderby") from None
        out.append(column.desc() if item.direction == "desc" else column.asc())
    out.append(_col(es, "id").asc())
    return out


# --------------------------------------------------------------------------------------------
# Query options back to text (for nextLinks)


def _orderby_text(items: Sequence[odata.OrderBy]) -> str:
    return ",".join(f"{'/'.join(i.path)} {i.direction}" for i in items)


def _select_text(paths: Sequence[tuple[str, ...]]) -> str:
    return ",".join("/".join(p) for p in paths)


def _expand_text(items: Sequence[odata.Expand]) -> str:
    parts = []
    for e in items:
        inner = options_text(e.options, sep=";")
        parts.append(f"{e.name}({inner})" if inner else e.name)
    return ",".join(parts)


def options_text(opts: odata.QueryOptions, *, top: int | None = None, skip: int | None = None,
                 sep: str | None = None) -> str:
    """The options as a query string (``sep=None``) or as nested ``$expand`` options."""
    pairs: list[tuple[str, str]] = []
    if opts.filter is not None:
        pairs.append(("$filter", odata.to_text(opts.filter)))
    if opts.orderby:
        pairs.append(("$orderby", _orderby_text(opts.orderby)))
    if opts.select is not None:
        pairs.append(("$select", _select_text(opts.select)))
    if opts.expand:
        pairs.append(("$expand", _expand_text(opts.expand)))
    if opts.count:
        pairs.append(("$count", "true"))
    t = top if top is not None else opts.top
    s = skip if skip is not None else opts.skip
    if t is not None:
        pairs.append(("$top", str(t)))
    if s:
        pairs.append(("$skip", str(s)))
    if sep is not None:
        return sep.join(f"{k}={v}" for k, v in pairs)
    return urlencode(pairs, quote_via=quote, safe="$/(),:;'")


# --------------------------------------------------------------------------------------------
# Rendering


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _interval(start: dt.datetime | None, end: dt.datetime | None) -> str | None:
    if start is None:
        return None
    if end is None or end == start:
        return iso(start)
    return f"{iso(start)}/{iso(end)}"


@dataclass
class RenderContext:
    base: str  # e.g. "http://127.0.0.1:8000/sta/v1.1"
    principal: Principal
    default_top: int
    max_top: int
    # Prefetched extras: thing id -> production unit ids; datastream id -> geometry; ...
    thing_fields: dict[int, list[int]] = field(default_factory=dict)
    observed_areas: dict[int, Any] = field(default_factory=dict)
    input_units: dict[int, str | None] = field(default_factory=dict)

    def link(self, es: EntitySet, key: int) -> str:
        return f"{self.base}/{es.name}({key})"


def thing_properties(t: Thing, fields: Sequence[int]) -> Json:
    """A Thing's properties with the platform's links merged in (camelCase keys)."""
    props: Json = dict(t.properties or {})
    extra = {
        "kind": t.kind, "communeCode": t.commune_code, "provinceCode": t.province_code,
        "organisationId": t.organisation_id, "deviceId": t.device_id,
        "registryFeatureId": t.registry_feature_id,
    }
    props.update({k: v for k, v in extra.items() if v is not None})
    if fields:
        props["productionUnitIds"] = list(fields)
    if not t.is_public:
        props["isPublic"] = False
    return props


def datastream_properties(d: Datastream) -> Json:
    props: Json = dict(d.properties or {})
    if d.input_unit:
        from nongso.monitor.ingest import DatastreamInfo, conversion_factor

        factor = conversion_factor(DatastreamInfo(
            d.id, d.thing_id, None, None, None, None, d.observation_type, "salinity",
            d.input_unit, None))
        props["inputUnit"] = d.input_unit
        if factor is not None:
            props["conversion"] = (
                f"‰ = {d.input_unit} ÷ {factor:g} "
                "(1 ‰ = 1 g/L ≈ 1.56 mS/cm, Mekong Delta rule of thumb)")
    return props


def _render_props(es: EntitySet, obj: Any, ctx: RenderContext) -> Json:
    match es.name:
        case "Things":
            return {"name": obj.name, "description": obj.description,
                    "properties": thing_properties(obj, ctx.thing_fields.get(obj.id, []))}
        case "Locations":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "location": obj.location,
                    "properties": obj.properties or {}}
        case "HistoricalLocations":
            return {"time": iso(obj.time)}
        case "Datastreams":
            doc: Json = {
                "name": obj.name, "description": obj.description,
                "unitOfMeasurement": {"name": obj.unit_name, "symbol": obj.unit_symbol,
                                      "definition": obj.unit_definition},
                "observationType": obj.observation_type,
                "phenomenonTime": _interval(obj.phenomenon_time_start, obj.phenomenon_time_end),
                "resultTime": _interval(obj.result_time_start, obj.result_time_end),
                "properties": datastream_properties(obj),
            }
            area = ctx.observed_areas.get(obj.id)
            if area is not None:
                doc["observedArea"] = area
            return doc
        case "Sensors":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "metadata": obj.sensor_metadata,
                    "properties": obj.properties or {}}
        case "ObservedProperties":
            props = dict(obj.properties or {})
            if obj.code:
                props["code"] = obj.code
            return {"name": obj.name, "definition": obj.definition,
                    "description": obj.description, "properties": props}
        case "Observations":
            parameters = dict(obj.parameters or {})
            if obj.raw_result is not None:
                parameters["rawResult"] = obj.raw_result
                unit = ctx.input_units.get(obj.datastream_id)
                if unit:
                    parameters["rawUnit"] = unit
            return {
                "phenomenonTime": _interval(obj.phenomenon_time, obj.phenomenon_time_end),
                "result": obj.result if obj.result is not None else obj.result_json,
                "resultTime": iso(obj.result_time),
                "resultQuality": QUALITY_NAMES.get(obj.quality, str(obj.quality)),
                "validTime": _interval(obj.valid_time_start, obj.valid_time_end)
                if obj.valid_time_start is not None else None,
                "parameters": parameters,
            }
        case "FeaturesOfInterest":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "feature": obj.feature,
                    "properties": obj.properties or {}}
    raise AssertionError(es.name)  # pragma: no cover


def render(es: EntitySet, obj: Any, ctx: RenderContext,
           select_: Sequence[tuple[str, ...]] | None) -> Json:
    link = ctx.link(es, obj.id)
    chosen = None if select_ is None else {p[0] for p in select_}
    doc: Json = {}
    if chosen is None or "id" in chosen:
        doc["@iot.id"] = obj.id
    if chosen is None or "selfLink" in chosen or "@iot.selfLink" in chosen:
        doc["@iot.selfLink"] = link
    for key, value in _render_props(es, obj, ctx).items():
        if chosen is None or key in chosen:
            doc[key] = value
    for nav in es.navs:
        if chosen is None or nav in chosen:
            doc[f"{nav}@iot.navigationLink"] = f"{link}/{nav}"
    return doc


def check_select(es: EntitySet, paths: Sequence[tuple[str, ...]] | None) -> None:
    if paths is None:
        return
    for p in paths:
        name = p[0]
        if len(p) != 1 or (name not in es.properties and name not in es.navs
                           and name not in ("selfLink", "@iot.selfLink")):
            text = "/".join(p)
            raise odata.ODataError(f"$select: «{text}» không phải thuộc tính của {es.singular}.",
                                   f"$select: '{text}' is not a property of {es.singular}.",
                                   option="$select")


def prefetch(session: Session, es: EntitySet, objs: Sequence[Any], ctx: RenderContext) -> None:
    """Load what rendering needs for a page of entities in one query per kind."""
    ids = [o.id for o in objs]
    if not ids:
        return
    if es.name == "Things":
        for thing_id, unit_id in session.execute(
            select(ThingField.thing_id, ThingField.production_unit_id)
            .where(ThingField.thing_id.in_(ids)).order_by(ThingField.production_unit_id)
        ):
            ctx.thing_fields.setdefault(thing_id, []).append(unit_id)
    elif es.name == "Datastreams":
        rows = session.execute(
            select(Datastream.id, Location.location)
            .join(ThingLocation, ThingLocation.thing_id == Datastream.thing_id)
            .join(Location, Location.id == ThingLocation.location_id)
            .where(Datastream.id.in_(ids)).order_by(Location.id)
        ).all()
        for ds_id, geometry in rows:
            ctx.observed_areas.setdefault(ds_id, _geometry_of(geometry))
    elif es.name == "Observations":
        wanted = {o.datastream_id for o in objs if o.raw_result is not None}
        wanted -= set(ctx.input_units)
        if wanted:
            for ds_id, unit in session.execute(
                select(Datastream.id, Datastream.input_unit).where(Datastream.id.in_(wanted))
            ):
                ctx.input_units[ds_id] = unit


def _geometry_of(location: Any) -> Any:
    if isinstance(location, Mapping) and location.get("type") == "Feature":
        return location.get("geometry")
    return location


# --------------------------------------------------------------------------------------------
# Reading collections and entities


def _base_select(es: EntitySet, condition: ColumnElement[bool], opts: odata.QueryOptions,
                 principal: Principal) -> Select[Any]:
    stmt = select(es.model).where(condition)
    vis = visibility(es, principal)
    if vis is not None:
        stmt = stmt.where(vis)
    if opts.filter is not None:
        stmt = stmt.where(compile_filter(es, opts.filter, principal))
    return stmt


def top_of(opts: odata.QueryOptions, ctx: RenderContext) -> int:
    top = ctx.default_top if opts.top is None else opts.top
    return max(0, min(top, ctx.max_top))


def read_collection(session: Session, target: Target, opts: odata.QueryOptions,
                    ctx: RenderContext) -> tuple[list[Json], int | None, bool]:
    es = target.es
    check_select(es, opts.select)
    stmt = _base_select(es, target.condition, opts, ctx.principal)
    count = None
    if opts.count:
        count = int(session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    top = top_of(opts, ctx)
    skip = opts.skip or 0
    rows = list(session.scalars(
        stmt.order_by(*order_clauses(es, opts.orderby, ctx.principal))
        .limit(top + 1).offset(skip)
    ).all()) if top > 0 else []
    more = len(rows) > top
    rows = rows[:top]
    docs = render_many(session, es, rows, opts, ctx)
    return docs, count, more


def read_entity(session: Session, target: Target, opts: odata.QueryOptions,
                ctx: RenderContext) -> tuple[Any, Json]:
    es = target.es
    check_select(es, opts.select)
    stmt = select(es.model).where(target.condition)
    vis = visibility(es, ctx.principal)
    if vis is not None:
        stmt = stmt.where(vis)
    obj = session.scalar(stmt.limit(1))
    if obj is None:
        raise NotFound(f"Không tìm thấy {es.singular}.", f"{es.singular} not found.")
    return obj, render_many(session, es, [obj], opts, ctx)[0]


def render_many(session: Session, es: EntitySet, objs: Sequence[Any], opts: odata.QueryOptions,
                ctx: RenderContext) -> list[Json]:
    prefetch(session, es, objs, ctx)
    docs = [render(es, o, ctx, opts.select) for o in objs]
    for item in opts.expand:
        _expand(session, es, objs, docs, item, ctx)
    return docs


def _expand(session: Session, es: EntitySet, parents: Sequence[Any], docs: list[Json],
            item: odata.Expand, ctx: RenderContext) -> None:
    nav = es.navs.get(item.name)
    if nav is None:
        raise odata.ODataError(f"$expand: {es.singular} không có «{item.name}».",
                               f"$expand: {es.singular} has no '{item.name}'.",
                               option="$expand")
    target = ENTITY_SETS[nav.target]
    opts = item.options
    check_select(target, opts.select)
    if not parents:
        return
    parent_ids = [p.id for p in parents]
    vis = visibility(target, ctx.principal)
    conds: list[ColumnElement[bool]] = [] if vis is None else [vis]
    if opts.filter is not None:
        conds.append(compile_filter(target, opts.filter, ctx.principal))
    if not nav.many:
        assert nav.parent_fk is not None
        wanted = {getattr(p, nav.parent_fk) for p in parents} - {None}
        found = {o.id: o for o in session.scalars(
            select(target.model).where(_col(target, "id").in_(wanted), *conds))} if wanted \
            else {}
        children = list(found.values())
        child_docs = render_many(session, target, children, opts, ctx)
        by_id = {c.id: d for c, d in zip(children, child_docs, strict=True)}
        for p, doc in zip(parents, docs, strict=True):
            child = by_id.get(getattr(p, nav.parent_fk))
            if child is not None:
                doc[nav.name] = child
        return
    if nav.child_fk is not None:
        parent_key: Any = _col(target, nav.child_fk)
        base = select(target.model, parent_key.label("pk")).where(parent_key.in_(parent_ids))
    else:
        assert nav.assoc is not None
        table, to_parent, to_target = nav.assoc
        parent_key = getattr(table, to_parent)
        base = select(target.model, parent_key.label("pk")).join(
            table, getattr(table, to_target) == _col(target, "id")
        ).where(parent_key.in_(parent_ids))
    base = base.where(*conds)
    top = top_of(opts, ctx)
    skip = opts.skip or 0
    orders = order_clauses(target, opts.orderby, ctx.principal)
    ranked = base.add_columns(
        func.row_number().over(partition_by=parent_key, order_by=orders).label("rn")
    ).subquery()
    child_alias = aliased(target.model, ranked)
    rows = session.execute(
        select(child_alias, ranked.c.pk, ranked.c.rn)
        .where(ranked.c.rn > skip, ranked.c.rn <= skip + top + 1)
        .order_by(ranked.c.pk, ranked.c.rn)
    ).all() if top > 0 else []
    per_parent: dict[int, list[Any]] = defaultdict(list)
    more: set[int] = set()
    for child, pk, rn in rows:
        if rn > skip + top:
            more.add(pk)
        else:
            per_parent[pk].append(child)
    counts: dict[int, int] = {}
    if opts.count:
        counted = base.with_only_columns(parent_key, func.count()).group_by(parent_key)
        counts = {pk: n for pk, n in session.execute(counted)}
    unique = {c.id: c for cs in per_parent.values() for c in cs}
    children = list(unique.values())
    child_docs = render_many(session, target, children, opts, ctx)
    by_id = {c.id: d for c, d in zip(children, child_docs, strict=True)}
    for p, doc in zip(parents, docs, strict=True):
        doc[nav.name] = [by_id[c.id] for c in per_parent.get(p.id, [])]
        if opts.count:
            doc[f"{nav.name}@iot.count"] = counts.get(p.id, 0)
        if p.id in more:
            query = options_text(opts, top=top, skip=skip + top)
            doc[f"{nav.name}@iot.nextLink"] = f"{ctx.link(es, p.id)}/{nav.name}?{query}"


def entity_ids(session: Session, target: Target, opts: odata.QueryOptions,
               ctx: RenderContext) -> tuple[list[int], int | None, bool]:
    """For ``$ref``: the ids of the entities a collection path names."""
    es = target.es
    stmt = _base_select(es, target.condition, opts, ctx.principal).with_only_columns(
        _col(es, "id"))
    count = None
    if opts.count:
        count = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    top = top_of(opts, ctx)
    ids = [int(i) for i in session.scalars(
        stmt.order_by(*order_clauses(es, opts.orderby, ctx.principal))
        .limit(top + 1).offset(opts.skip or 0))]
    return ids[:top], count, len(ids) > top


__all__ = [
    "ENTITY_SETS",
    "EntitySet",
    "Json",
    "Nav",
    "RenderContext",
    "ResourcePath",
    "Target",
    "check_select",
    "compile_filter",
    "entity_ids",
    "entity_set",
    "iso",
    "options_text",
    "parse_path",
    "read_collection",
    "read_entity",
    "related_condition",
    "render",
    "render_many",
    "resolve_target",
    "thing_properties",
    "visibility",
]
