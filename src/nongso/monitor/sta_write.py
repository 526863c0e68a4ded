"""SensorThings writes: create (with deep insert), update (merge, JSON Patch, replace), delete.

Helpers of ``monitor.services``, inside its unit of work (nothing here commits). Observations
are not created here: the services send them through the one ingestion path, so that a
single POST, a dataArray and an MQTT message are checked and stored the same way.

Who may write:

- Things, their Locations, HistoricalLocations and Datastreams: administrators, the province
  officer of the Thing's province and the commune officer of its commune;
- Sensors, ObservedProperties and FeaturesOfInterest (a shared catalogue): any officer may
  add; administrators and province officers may change or delete;
- Observations: the Thing's device and the officers above.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nongso.core.errors import AppError, FieldError, PermissionDenied, ValidationFailed
from nongso.core.i18n import fold
from nongso.core.permissions import Principal, deny, require_login
from nongso.core.uow import UnitOfWork
from nongso.monitor import quality
from nongso.monitor.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    HistoricalLocationLocation,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
    ThingField,
    ThingLocation,
)
from nongso.monitor.schemas import (
    CREATE_MODELS,
    DatastreamCreate,
    EntityRef,
    FeatureOfInterestCreate,
    HistoricalLocationCreate,
    LocationCreate,
    ObservedPropertyCreate,
    SensorCreate,
    ThingCreate,
)
from nongso.monitor.sta import ENTITY_SETS, EntitySet
from nongso.registry import services as registry

OFFICERS = ("admin", "province_officer", "commune_officer")


class StaValidation(ValidationFailed):
    """Invalid SensorThings body; built from pydantic's errors with JSON-pointer places."""


def validation_error(exc: ValidationError, prefix: str = "") -> StaValidation:
    errors = []
    for err in exc.errors():
        loc = prefix + "/" + "/".join(str(p) for p in err.get("loc", ()) if p not in (
            "ref", "new"))
        kind = err.get("type", "")
        vi = {
            "missing": "Thiếu trường bắt buộc.", "extra_forbidden": "Trường này không được phép.",
            "string_type": "Phải là chuỗi ký tự.", "dict_type": "Phải là một đối tượng JSON.",
            "list_type": "Phải là một danh sách.", "int_type": "Phải là số nguyên.",
            "greater_than": "Giá trị quá nhỏ.", "string_too_short": "Không được để trống.",
            "string_too_long": "Chuỗi quá dài.", "datetime_parsing": "Thời điểm không hợp lệ.",
            "model_attributes_type": "Phải là một đối tượng JSON.",
        }.get(kind, "Giá trị không hợp lệ.")
        errors.append(FieldError(loc, vi, str(err.get("msg", "Invalid value."))))
    first = errors[0] if errors else FieldError("/", "Giá trị không hợp lệ.", "Invalid value.")
    return StaValidation(f"Dữ liệu không hợp lệ tại {first.loc}: {first.message_vi}",
                         f"Invalid data at {first.loc}: {first.message_en}", errors)


def parse_body(model: type[BaseModel], body: Any, prefix: str = "") -> Any:
    if isinstance(body, Mapping):
        body = {k: v for k, v in body.items() if k not in ("@iot.selfLink", "@iot.id")
                and not k.endswith("@iot.navigationLink")}
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc, prefix) from None


# --------------------------------------------------------------------------------------------
# Permissions


def can_manage_thing(p: Principal, thing: Thing) -> bool:
    if p.is_admin:
        return True
    if p.role == "province_officer":
        return p.unit_code is not None and thing.province_code == p.unit_code
    if p.role == "commune_officer":
        return p.unit_code is not None and thing.commune_code == p.unit_code
    return False


def require_officer(p: Principal) -> None:
    require_login(p)
    if p.role not in OFFICERS:
        raise PermissionDenied(
            "Chỉ cán bộ (xã, tỉnh) hoặc quản trị được thay đổi danh mục quan trắc.",
            "Only officers (commune, province) or administrators may change monitoring data.",
        )


def require_manage(p: Principal, thing: Thing) -> None:
    require_officer(p)
    if not can_manage_thing(p, thing):
        raise deny()


def require_catalogue_editor(p: Principal) -> None:
    require_login(p)
    if p.role not in ("admin", "province_officer"):
        raise PermissionDenied(
            "Chỉ quản trị hoặc cán bộ tỉnh được sửa, xoá danh mục cảm biến dùng chung.",
            "Only administrators or province officers may change the shared sensor catalogue.",
        )


# --------------------------------------------------------------------------------------------
# Helpers


def _bad(loc: str, vi: str, en: str) -> ValidationFailed:
    return ValidationFailed(f"{loc}: {vi}", f"{loc}: {en}", [FieldError(loc, vi, en)])


def point_of(location: Mapping[str, Any], loc: str) -> tuple[float | None, float | None]:
    """The representative point of a GeoJSON geometry or Feature (validated)."""
    geometry: Any = location
    if location.get("type") == "Feature":
        geometry = location.get("geometry")
    if not isinstance(geometry, Mapping):
        raise _bad(loc, "Cần một hình học GeoJSON.", "A GeoJSON geometry is needed.")
    try:
        shape = registry.parse_geojson_geometry(geometry)
    except AppError as exc:
        raise ValidationFailed(f"{loc}: {exc.message_vi}", f"{loc}: {exc.message_en}",
                               [FieldError(loc, exc.message_vi, exc.message_en)]) from None
    point = shape.representative_point()
    return float(point.x), float(point.y)


@dataclass
class Communes:
    """Commune centroids of the province, to place a Thing that does not say its commune."""

    by_code: dict[str, tuple[str, float | None, float | None]] = field(default_factory=dict)

    def nearest(self, lon: float, lat: float) -> tuple[str, str] | None:
        best: tuple[float, str, str] | None = None
        for code, (province, clat, clon) in self.by_code.items():
            if clat is None or clon is None:
                continue
            d = (clon - lon) ** 2 * math.cos(math.radians(lat)) ** 2 + (clat - lat) ** 2
            if best is None or d < best[0]:
                best = (d, code, province)
        if best is None or best[0] > 0.3**2:  # farther than ~30 km: not in the province
            return None
        return best[1], best[2]


# --------------------------------------------------------------------------------------------
# Create


@dataclass
class Created:
    """What a create wrote: the entity, and Observations waiting for ingestion."""

    es: EntitySet
    id: int
    observations: list[tuple[int, list[dict[str, Any]], str]] = field(default_factory=list)


class Writer:
    """One create/update/delete use case's writes (shares the session and the clock)."""

    def __init__(self, uow: UnitOfWork, now: dt.datetime, communes: Communes) -> None:
        # The use case's unit of work (already open): other domains' services called with it
        # join this transaction.
        self.uow = uow
        self.s = uow.session
        self.p = uow.principal
        self.now = now
        self.communes = communes
        self.pending: list[tuple[int, list[dict[str, Any]], str]] = []
        self._pending_fields: Any = None

    # --- entry points ---------------------------------------------------------------------

    def create(self, es_name: str, body: Any, parent: tuple[EntitySet, int, Any] | None
               ) -> Created:
        require_login(self.p)
        if parent is not None:
            body = self._with_parent(es_name, body, parent)
        model = CREATE_MODELS[es_name]
        data = parse_body(model, body)
        match es_name:
            case "Things":
                obj: Any = self.thing(data, "")
            case "Locations":
                obj = self.location(data, "")
            case "HistoricalLocations":
                obj = self.historical_location(data, None, "")
            case "Datastreams":
                obj = self.datastream(data, None, "")
            case "Sensors":
                obj = self.sensor(data)
            case "ObservedProperties":
                obj = self.observed_property(data)
            case "FeaturesOfInterest":
                obj = self.feature(data, "")
            case _:  # pragma: no cover
                raise AssertionError(es_name)
        self.s.flush()
        if parent is not None and es_name == "Locations" and parent[0].name == "Things":
            pass  # linked in _with_parent through Things
        return Created(ENTITY_SETS[es_name], obj.id, self.pending)

    def _with_parent(self, es_name: str, body: Any, parent: tuple[EntitySet, int, Any]) -> Any:
        """``POST Parent(id)/Nav``: the body gets the link to the parent."""
        pes, pid, nav = parent
        if not isinstance(body, Mapping):
            return body
        body = dict(body)
        ref = {"@iot.id": pid}
        link = {
            ("Things", "Datastreams"): "Thing", ("Sensors", "Datastreams"): "Sensor",
            ("ObservedProperties", "Datastreams"): "ObservedProperty",
            ("Things", "HistoricalLocations"): "Thing",
        }.get((pes.name, nav.name))
        if link is not None:
            body[link] = ref
            return body
        if (pes.name, nav.name) == ("Things", "Locations"):
            body["Things"] = [*body.get("Things", []), ref]
            return body
        if (pes.name, nav.name) == ("Locations", "Things"):
            body["Locations"] = [*body.get("Locations", []), ref]
            return body
        if (pes.name, nav.name) == ("HistoricalLocations", "Locations"):
            raise _bad("/", "Hãy tạo Location rồi liên kết.", "Create the Location, then link.")
        raise _bad("/", f"Không tạo được {es_name} qua {pes.name}/{nav.name}.",
                   f"Cannot create {es_name} through {pes.name}/{nav.name}.")

    # --- entities -------------------------------------------------------------------------

    def _load(self, model: type[Any], ref: EntityRef, loc: str) -> Any:
        obj = self.s.get(model, ref.id)
        if obj is None:
            raise _bad(loc, f"Không có thực thể mã {ref.id}.", f"No entity with id {ref.id}.")
        return obj

    def _thing_scope(self, props: dict[str, Any], point: tuple[float | None, float | None],
                     loc: str) -> tuple[str | None, str | None]:
        commune = props.pop("communeCode", None)
        if commune is not None:
            if not isinstance(commune, str) or commune not in self.communes.by_code:
                raise _bad(f"{loc}/properties/communeCode", "Mã xã/phường không tồn tại.",
                           "Unknown commune code.")
            return commune, self.communes.by_code[commune][0]
        lon, lat = point
        if lon is not None and lat is not None:
            found = self.communes.nearest(lon, lat)
            if found is not None:
                return found
        if self.p.role == "commune_officer":
            return self.p.unit_code, self.p.province_code
        if self.p.role == "province_officer":
            return None, self.p.unit_code
        return None, None

    def thing(self, data: ThingCreate, loc: str) -> Thing:
        require_officer(self.p)
        props = dict(data.properties or {})
        locations: list[Location] = []
        for i, item in enumerate(data.Locations or []):
            if isinstance(item, EntityRef):
                locations.append(self._load(Location, item, f"{loc}/Locations/{i}"))
            else:
                locations.append(self.location(item, f"{loc}/Locations/{i}", link_things=False))
        point = (locations[0].lon, locations[0].lat) if locations else (None, None)
        commune, province = self._thing_scope(props, point, loc)
        thing = Thing(name=data.name, description=data.description, commune_code=commune,
                      province_code=province)
        self._apply_thing_extensions(thing, props, loc)
        thing.properties = props or None
        require_manage(self.p, thing)
        self.s.add(thing)
        self.s.flush()
        self._link_fields(thing)
        if locations:
            self._link_locations(thing, locations)
        for i, ds in enumerate(data.Datastreams or []):
            self.datastream(ds, thing, f"{loc}/Datastreams/{i}")
        for i, hl in enumerate(data.HistoricalLocations or []):
            self.historical_location(hl, thing, f"{loc}/HistoricalLocations/{i}")
        return thing

    def _apply_thing_extensions(self, thing: Thing, props: dict[str, Any], loc: str) -> None:
        """Platform links given as Thing properties (kept in columns, shown in properties)."""
        if "kind" in props:
            kind = props.pop("kind")
            if kind is not None and (not isinstance(kind, str) or len(kind) > 30):
                raise _bad(f"{loc}/properties/kind", "Loại trạm không hợp lệ.", "Invalid kind.")
            thing.kind = kind
        if "registryFeatureId" in props:
            value = props.pop("registryFeatureId")
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise _bad(f"{loc}/properties/registryFeatureId", "Phải là số nguyên.",
                           "Must be an integer.")
            if value is not None:
                self._check_station(value, f"{loc}/properties/registryFeatureId")
            thing.registry_feature_id = value
        if "isPublic" in props:
            value = props.pop("isPublic")
            if not isinstance(value, bool):
                raise _bad(f"{loc}/properties/isPublic", "Phải là true/false.",
                           "Must be true or false.")
            thing.is_public = value
        if "organisationId" in props:
            value = props.pop("organisationId")
            if value is not None:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise _bad(f"{loc}/properties/organisationId", "Phải là số nguyên.",
                               "Must be an integer.")
                registry.organisation_scope(self.uow, value)
            thing.organisation_id = value
        props.pop("provinceCode", None)
        props.pop("deviceId", None)  # devices are linked by POST /api/v1/monitor/devices
        self._pending_fields = props.pop("productionUnitIds", None)
        if self._pending_fields is not None:
            ids = self._pending_fields
            if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise _bad(f"{loc}/properties/productionUnitIds",
                           "Phải là danh sách mã thửa (số nguyên).",
                           "Must be a list of production unit ids (integers).")
            existing = registry.existing_production_units(
                self.uow, ids)
            missing = sorted(set(ids) - existing)
            if missing:
                raise _bad(f"{loc}/properties/productionUnitIds",
                           f"Không có thửa/vùng sản xuất mã {missing}.",
                           f"No production unit with id {missing}.")

    def _check_station(self, infra_id: int, loc: str) -> None:
        """``registryFeatureId`` must name a monitoring station of the registry (through the
        registry's services: its tables are not read here)."""
        found = registry.infrastructure_by_id(
            self.uow, [infra_id]).get(infra_id)
        if found is None:
            raise _bad(loc, f"Sổ đăng ký không có công trình mã {infra_id}.",
                       f"The registry has no infrastructure record {infra_id}.")
        if found.kind != "monitoring_station":
            vi, en = registry.KIND_LABELS.get(found.kind, (found.kind, found.kind))
            raise _bad(loc, f"Công trình {infra_id} ({found.name}) là {vi.lower()}, không phải "
                            "trạm quan trắc.",
                       f"Infrastructure record {infra_id} ({found.name}) is a {en.lower()}, "
                       "not a monitoring station.")

    def _link_fields(self, thing: Thing) -> None:
        ids = getattr(self, "_pending_fields", None)
        if ids is None:
            return
        self.s.execute(delete(ThingField).where(ThingField.thing_id == thing.id))
        for unit_id in sorted(set(ids)):
            self.s.add(ThingField(thing_id=thing.id, production_unit_id=unit_id))
        self._pending_fields = None

    def _link_locations(self, thing: Thing, locations: Sequence[Location]) -> None:
        """Set the Thing's current Locations and record a HistoricalLocation (STA 8.2.3)."""
        self.s.execute(delete(ThingLocation).where(ThingLocation.thing_id == thing.id))
        for location in {loc.id: loc for loc in locations}.values():
            self.s.add(ThingLocation(thing_id=thing.id, location_id=location.id))
        history = HistoricalLocation(thing_id=thing.id, time=self.now)
        self.s.add(history)
        self.s.flush()
        for location in {loc.id: loc for loc in locations}.values():
            self.s.add(HistoricalLocationLocation(historical_location_id=history.id,
                                                  location_id=location.id))

    def location(self, data: LocationCreate, loc: str, link_things: bool = True) -> Location:
        require_officer(self.p)
        lon = lat = None
        if data.encodingType in ("application/geo+json", "application/vnd.geo+json"):
            lon, lat = point_of(data.location, f"{loc}/location")
        location = Location(name=data.name, description=data.description,
                            encoding_type=data.encodingType, location=data.location,
                            lon=lon, lat=lat, properties=data.properties)
        self.s.add(location)
        self.s.flush()
        if link_things:
            for i, item in enumerate(data.Things or []):
                if isinstance(item, EntityRef):
                    thing = self._load(Thing, item, f"{loc}/Things/{i}")
                    require_manage(self.p, thing)
                    current = list(self.s.scalars(
                        select(Location).join(ThingLocation,
                                              ThingLocation.location_id == Location.id)
                        .where(ThingLocation.thing_id == thing.id)))
                    self._link_locations(thing, [*current, location])
                else:
                    item = item.model_copy(update={"Locations": [EntityRef.model_validate(
                        {"@iot.id": location.id})]})
                    self.thing(item, f"{loc}/Things/{i}")
        return location

    def historical_location(self, data: HistoricalLocationCreate, thing: Thing | None,
                            loc: str) -> HistoricalLocation:
        if thing is None:
            if data.Thing is None:
                raise _bad(f"{loc}/Thing", "Thiếu Thing.", "The Thing is missing.")
            thing = self._load(Thing, data.Thing, f"{loc}/Thing")
        require_manage(self.p, thing)
        if data.time.tzinfo is None:
            raise _bad(f"{loc}/time", "Thời điểm phải có múi giờ.", "The time needs a zone.")
        history = HistoricalLocation(thing_id=thing.id, time=data.time)
        self.s.add(history)
        self.s.flush()
        for i, ref in enumerate(data.Locations or []):
            location = self._load(Location, ref, f"{loc}/Locations/{i}")
            self.s.add(HistoricalLocationLocation(historical_location_id=history.id,
                                                  location_id=location.id))
        return history

    def sensor(self, data: SensorCreate) -> Sensor:
        require_officer(self.p)
        sensor = Sensor(name=data.name, description=data.description,
                        encoding_type=data.encodingType, sensor_metadata=data.metadata,
                        properties=data.properties)
        self.s.add(sensor)
        self.s.flush()
        return sensor

    def observed_property(self, data: ObservedPropertyCreate) -> ObservedProperty:
        require_officer(self.p)
        props = dict(data.properties or {})
        code = props.pop("code", None) or property_code(data.name, data.definition)
        if code is not None and (not isinstance(code, str) or len(code) > 40):
            raise _bad("/properties/code", "Mã đại lượng không hợp lệ.", "Invalid code.")
        op = ObservedProperty(name=data.name, definition=data.definition,
                              description=data.description, properties=props or None, code=code)
        self.s.add(op)
        self.s.flush()
        return op

    def feature(self, data: FeatureOfInterestCreate, loc: str) -> FeatureOfInterest:
        require_login(self.p)
        if self.p.role not in (*OFFICERS, "device"):
            raise PermissionDenied("Không được tạo vùng quan trắc.",
                                   "You may not create features of interest.")
        if data.encodingType in ("application/geo+json", "application/vnd.geo+json"):
            point_of(data.feature, f"{loc}/feature")
        feature = FeatureOfInterest(name=data.name, description=data.description,
                                    encoding_type=data.encodingType, feature=data.feature,
                                    properties=data.properties)
        self.s.add(feature)
        self.s.flush()
        return feature

    def datastream(self, data: DatastreamCreate, thing: Thing | None, loc: str) -> Datastream:
        require_officer(self.p)
        if thing is None:
            if data.Thing is None:
                raise _bad(f"{loc}/Thing", "Thiếu Thing của Datastream.",
                           "The Datastream's Thing is missing.")
            thing = self._load(Thing, data.Thing, f"{loc}/Thing") \
                if isinstance(data.Thing, EntityRef) else self.thing(data.Thing, f"{loc}/Thing")
        require_manage(self.p, thing)
        if data.Sensor is None:
            raise _bad(f"{loc}/Sensor", "Thiếu Sensor.", "The Sensor is missing.")
        if data.ObservedProperty is None:
            raise _bad(f"{loc}/ObservedProperty", "Thiếu ObservedProperty.",
                       "The ObservedProperty is missing.")
        sensor = self._load(Sensor, data.Sensor, f"{loc}/Sensor") \
            if isinstance(data.Sensor, EntityRef) else self.sensor(data.Sensor)
        op = self._load(ObservedProperty, data.ObservedProperty, f"{loc}/ObservedProperty") \
            if isinstance(data.ObservedProperty, EntityRef) \
            else self.observed_property(data.ObservedProperty)
        props = dict(data.properties or {})
        input_unit = props.pop("inputUnit", None)
        props.pop("conversion", None)
        if input_unit is not None and input_unit not in ("mS/cm", "µS/cm", "uS/cm", "μS/cm"):
            raise _bad(f"{loc}/properties/inputUnit",
                       "Đơn vị đầu vào chỉ nhận mS/cm hoặc µS/cm (độ dẫn điện đổi ra ‰).",
                       "inputUnit may only be mS/cm or µS/cm (conductivity converted to ‰).")
        if input_unit is not None and op.code != "salinity":
            raise _bad(f"{loc}/properties/inputUnit",
                       "Chỉ luồng độ mặn mới đổi được từ độ dẫn điện.",
                       "Only a salinity datastream can convert from conductivity.")
        ds = Datastream(
            name=data.name, description=data.description,
            unit_name=data.unitOfMeasurement.name, unit_symbol=data.unitOfMeasurement.symbol,
            unit_definition=data.unitOfMeasurement.definition,
            observation_type=data.observationType, thing_id=thing.id, sensor_id=sensor.id,
            observed_property_id=op.id, properties=props or None,
            input_unit=input_unit.replace("μ", "µ") if input_unit else None,
        )
        self.s.add(ds)
        self.s.flush()
        if data.Observations:
            self.pending.append((ds.id, list(data.Observations), f"{loc}/Observations"))
        return ds


def property_code(name: str, definition: str) -> str | None:
    """The platform key of an observed property from its name or definition, when known."""
    words = fold(f"{name} {definition}")
    for code, r in quality.PHYSICAL_RANGES.items():
        if code in words.replace(" ", "_") or fold(r.name_vi) in words or \
                fold(r.name_en) in words:
            return code
    return None


# --------------------------------------------------------------------------------------------
# Update and delete


def editable(es: EntitySet, obj: Any) -> dict[str, Any]:
    """The entity's own properties as a create body (what PATCH merges into)."""
    match es.name:
        case "Things":
            return {"name": obj.name, "description": obj.description,
                    "properties": dict(obj.properties or {})}
        case "Locations":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "location": obj.location,
                    "properties": obj.properties}
        case "HistoricalLocations":
            return {"time": obj.time}
        case "Datastreams":
            props = dict(obj.properties or {})
            if obj.input_unit:
                props["inputUnit"] = obj.input_unit
            return {"name": obj.name, "description": obj.description,
                    "unitOfMeasurement": {"name": obj.unit_name, "symbol": obj.unit_symbol,
                                          "definition": obj.unit_definition},
                    "observationType": obj.observation_type, "properties": props}
        case "Sensors":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "metadata": obj.sensor_metadata,
                    "properties": obj.properties}
        case "ObservedProperties":
            props = dict(obj.properties or {})
            if obj.code:
                props["code"] = obj.code
            return {"name": obj.name, "definition": obj.definition,
                    "description": obj.description, "properties": props or None}
        case "FeaturesOfInterest":
            return {"name": obj.name, "description": obj.description,
                    "encodingType": obj.encoding_type, "feature": obj.feature,
                    "properties": obj.properties}
    raise AssertionError(es.name)  # pragma: no cover


NAV_KEYS = {
    "Things": ("Locations",),
    "Locations": ("Things",),
    "HistoricalLocations": ("Thing", "Locations"),
    "Datastreams": ("Thing", "Sensor", "ObservedProperty"),
}


def apply_json_patch(document: dict[str, Any], ops: Any) -> dict[str, Any]:
    """RFC 6902 JSON Patch (add, remove, replace, move, copy, test) on a copy, by the
    ``jsonpatch`` package (JSON equality in ``test``: ``true`` is not ``1``)."""
    if not isinstance(ops, list):
        raise _bad("/", "JSON Patch phải là một mảng thao tác.",
                   "A JSON Patch must be an array of operations.")
    try:
        patch = jsonpatch.JsonPatch(ops)
        doc = patch.apply(copy.deepcopy(document))
    except jsonpatch.JsonPatchTestFailed as exc:
        raise _bad("/", "Phép kiểm tra (test) không đúng.", f"The test failed: {exc}") from exc
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError,
            ValueError, KeyError, IndexError, AttributeError) as exc:
        raise _bad("/", f"JSON Patch không áp dụng được: {str(exc)[:200]}",
                   f"The JSON Patch cannot be applied: {str(exc)[:200]}") from exc
    if not isinstance(doc, dict):
        raise _bad("/", "Kết quả phải là một đối tượng.", "The result must be an object.")
    return doc


def refresh_locations(session: Session, thing_id: int) -> list[Location]:
    return list(session.scalars(
        select(Location).join(ThingLocation, ThingLocation.location_id == Location.id)
        .where(ThingLocation.thing_id == thing_id).order_by(Location.id)))


def count_of(session: Session, model: type[Any], **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(session.scalar(stmt) or 0)


__all__ = [
    "NAV_KEYS",
    "OFFICERS",
    "Communes",
    "Created",
    "StaValidation",
    "Writer",
    "apply_json_patch",
    "can_manage_thing",
    "count_of",
    "editable",
    "parse_body",
    "point_of",
    "property_code",
    "refresh_locations",
    "require_catalogue_editor",
    "require_manage",
    "require_officer",
    "validation_error",
]
