"""Monitoring: the OGC SensorThings API 1.1 entities, observations and their roll-ups.

Tables carry an ``sta_`` prefix. Observation times use :class:`Instant`: ``timestamptz`` on
PostgreSQL, integer microseconds since 1970-01-01 UTC on SQLite (compact, fast to index and
compare; the type converts both ways so services only see aware datetimes).

Links to other domains: a Thing points to a registry record by ``registry_feature_id`` (an
integer, no foreign key: the registry's infrastructure table is another domain's), to the
fields it watches through ``sta_thing_fields.production_unit_id`` (``production_units.id``)
and to the device that sends its data (``devices.id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from nongso.core.audit import Audited
from nongso.core.db import Base, utcnow

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_MICROSECOND = dt.timedelta(microseconds=1)


def to_epoch_us(value: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime (exact)."""
    return (value - EPOCH) // ONE_MICROSECOND


def from_epoch_us(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


class Instant(TypeDecorator[dt.datetime]):
    """An aware UTC instant: ``timestamptz`` on PostgreSQL, µs since the epoch on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True
    # Read by monitor.odata's SQLite date functions (year(), hour(), date()...).
    epoch_us_on_sqlite = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("an aware datetime is needed for an Instant column")
        if dialect.name == "sqlite":
            return to_epoch_us(value)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_epoch_us(int(value))
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Observation quality flags (monitor.quality's flags, stored as small integers).
QUALITY_GOOD = 0
QUALITY_BAD_RANGE = 1
QUALITY_NAMES = {QUALITY_GOOD: "good", QUALITY_BAD_RANGE: "bad_range"}


class Thing(Audited, Base):
    __tablename__ = "sta_things"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What kind of station (salinity, water_level, weather, light_trap, soil...), for maps.
    kind: Mapped[str | None] = mapped_column(String(30), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    province_code: Mapped[str | None] = mapped_column(String(10), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    # The registry record of this station (infrastructure), by id: no FK across domains.
    registry_feature_id: Mapped[int | None] = mapped_column(index=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ThingField(Base):
    """A field (registry production unit) that a Thing watches."""

    __tablename__ = "sta_thing_fields"

    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sta_things.id", ondelete="CASCADE"), primary_key=True
    )
    production_unit_id: Mapped[int] = mapped_column(
        ForeignKey("production_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Location(Audited, Base):
    __tablename__ = "sta_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    location: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A representative point (the point itself or the geometry's centroid), WGS 84.
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ThingLocation(Base):
    __tablename__ = "sta_thing_locations"

    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sta_things.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sta_locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class HistoricalLocation(Base):
    __tablename__ = "sta_historical_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    thing_id: Mapped[int] = mapped_column(ForeignKey("sta_things.id", ondelete="CASCADE"))
    time: Mapped[dt.datetime]


class HistoricalLocationLocation(Base):
    __tablename__ = "sta_historical_location_locations"

    historical_location_id: Mapped[int] = mapped_column(
        ForeignKey("sta_historical_locations.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sta_locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Sensor(Audited, Base):
    __tablename__ = "sta_sensors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100))
    # STA "metadata": a URL or a document (any JSON value).
    sensor_metadata: Mapped[Any] = mapped_column("metadata", JSON)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ObservedProperty(Audited, Base):
    __tablename__ = "sta_observed_properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The platform's key (salinity, water_level, ...): physical ranges and alert rules.
    code: Mapped[str | None] = mapped_column(String(40), index=True)


class FeatureOfInterest(Base):
    __tablename__ = "sta_features"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    feature: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The Location it was made from (features created automatically for a Thing's place).
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_locations.id", ondelete="SET NULL"), index=True
    )


class Datastream(Audited, Base):
    __tablename__ = "sta_datastreams"
    __audit_exclude__ = frozenset({
        "phenomenon_time_start", "phenomenon_time_end", "result_time_start", "result_time_end",
        "last_time", "last_result", "observation_count",
    })

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit_name: Mapped[str | None] = mapped_column(String(100))
    unit_symbol: Mapped[str | None] = mapped_column(String(30))
    unit_definition: Mapped[str | None] = mapped_column(String(300))
    observation_type: Mapped[str] = mapped_column(String(200))
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sta_things.id", ondelete="CASCADE"), index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        ForeignKey("sta_sensors.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int] = mapped_column(
        ForeignKey("sta_observed_properties.id", ondelete="CASCADE"), index=True
    )
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Unit the device sends when it differs from the datastream's (EC in mS/cm or µS/cm for a
    # salinity datastream in ‰): converted at ingestion, the raw value is kept.
    input_unit: Mapped[str | None] = mapped_column(String(20))
    default_foi_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_features.id", ondelete="SET NULL")
    )
    # Kept up to date by ingestion (STA's computed phenomenonTime and resultTime).
    phenomenon_time_start: Mapped[dt.datetime | None]
    phenomenon_time_end: Mapped[dt.datetime | None]
    result_time_start: Mapped[dt.datetime | None]
    result_time_end: Mapped[dt.datetime | None]
    last_time: Mapped[dt.datetime | None]
    last_result: Mapped[float | None]
    observation_count: Mapped[int] = mapped_column(BigInteger, default=0)


_OBS_ID = BigInteger().with_variant(Integer(), "sqlite")


class Observation(Base):
    __tablename__ = "sta_observations"
    __table_args__ = (
        UniqueConstraint("datastream_id", "phenomenon_time",
                         name="uq_sta_observations_datastream_time"),
    )

    id: Mapped[int] = mapped_column(_OBS_ID, primary_key=True)
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sta_datastreams.id", ondelete="CASCADE")
    )
    phenomenon_time: Mapped[dt.datetime] = mapped_column(Instant())
    phenomenon_time_end: Mapped[dt.datetime | None] = mapped_column(Instant())
    result_time: Mapped[dt.datetime | None] = mapped_column(Instant())
    # A numeric result (most sensors) or, for other observation types, a JSON value.
    result: Mapped[float | None] = mapped_column(Float)
    result_json: Mapped[Any] = mapped_column(JSON, nullable=True)
    # The value as the device sent it when ingestion converted it (EC -> salinity).
    raw_result: Mapped[float | None] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger, default=QUALITY_GOOD)
    feature_id: Mapped[int | None] = mapped_column(
        ForeignKey("sta_features.id", ondelete="CASCADE"), index=True
    )
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    valid_time_start: Mapped[dt.datetime | None] = mapped_column(Instant())
    valid_time_end: Mapped[dt.datetime | None] = mapped_column(Instant())


class ObservationHourly(Base):
    """Hourly roll-up of the good observations of a datastream (UTC hours)."""

    __tablename__ = "sta_observations_hourly"

    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sta_datastreams.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[dt.datetime] = mapped_column(Instant(), primary_key=True)
    n: Mapped[int]
    total: Mapped[float]
    minimum: Mapped[float]
    maximum: Mapped[float]


class ObservationDaily(Base):
    """Daily roll-up of the good observations of a datastream (days in Vietnam, UTC+7)."""

    __tablename__ = "sta_observations_daily"

    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sta_datastreams.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    n: Mapped[int]
    total: Mapped[float]
    minimum: Mapped[float]
    maximum: Mapped[float]


class MqttCredential(Base):
    """A device's MQTT password, hashed in Mosquitto's own format (PBKDF2-SHA512, ``$7$``).

    Written when the platform issues the device's key (the only moment the key is known), so
    that ``nongso mqtt config`` can write the broker's password file.
    """

    __tablename__ = "mqtt_credentials"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_sta_historical_locations_time", HistoricalLocation.thing_id, HistoricalLocation.time)
