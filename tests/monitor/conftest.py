"""Fixtures of the monitoring tests: a station with datastreams, devices, the MQTT broker."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import runtime, services
from nongso.monitor.schemas import DeviceRegister
from tests.helpers import Actors

BROKER = ("127.0.0.1", 1883)
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
OM_COUNT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll until the condition holds (a deadline for the broker, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what or condition}")
        time.sleep(0.05)


@pytest.fixture
def broker() -> tuple[str, int]:
    """The real Mosquitto broker on 127.0.0.1:1883 (the test fails if it is down)."""
    try:
        with socket.create_connection(BROKER, timeout=3):
            pass
    except OSError as exc:
        pytest.fail(
            f"The Mosquitto broker is not reachable at {BROKER[0]}:{BROKER[1]} ({exc}). MQTT "
            "tests use the real broker: start it with `mosquitto -d -c "
            "/etc/mosquitto/mosquitto.conf`.", pytrace=False)
    return BROKER


@pytest.fixture
def unique() -> str:
    """A prefix for topics and client ids, so that parallel runs do not meet."""
    return f"t{uuid.uuid4().hex[:10]}"


@dataclass
class Station:
    thing_id: int
    salinity: int  # datastream ids
    water: int
    device_name: str
    api_key: str


def make_station(platform: Platform, name: str, lon: float = 106.37, lat: float = 10.35,
                 device: str | None = None, commune_code: str | None = None,
                 extra_properties: dict[str, object] | None = None) -> Station:
    uow = platform.uow(SYSTEM)
    props: dict[str, object] = {"kind": "salinity", **(extra_properties or {})}
    if commune_code:
        props["communeCode"] = commune_code
    body = {
        "name": name, "description": "Trạm thử nghiệm", "properties": props,
        "Locations": [{"name": name, "description": "", "encodingType": "application/geo+json",
                       "location": {"type": "Point", "coordinates": [lon, lat]}}],
        "Datastreams": [
            {"name": f"Độ mặn {name}", "unitOfMeasurement": {"name": "phần nghìn",
                                                             "symbol": "‰"},
             "observationType": OM,
             "Sensor": {"name": "CTD", "encodingType": "text/html", "metadata": "x"},
             "ObservedProperty": {"name": "Độ mặn", "definition": "salinity",
                                  "properties": {"code": "salinity"}}},
            {"name": f"Mực nước {name}", "unitOfMeasurement": {"name": "mét", "symbol": "m"},
             "observationType": OM,
             "Sensor": {"name": "Radar", "encodingType": "text/html", "metadata": "x"},
             "ObservedProperty": {"name": "Mực nước", "definition": "water level",
                                  "properties": {"code": "water_level"}}},
        ],
    }
    created = services.sta_create(uow, "Things", body, "http://test/sta/v1.1")
    thing_id = created.body["@iot.id"]
    ds = services.sta_read(platform.uow(SYSTEM), f"Things({thing_id})/Datastreams",
                           {"$orderby": "id"}, "http://test/sta/v1.1").body["value"]
    device_name = device or f"dev-{uuid.uuid4().hex[:8]}"
    reg = services.register_device(platform.uow(SYSTEM), DeviceRegister(
        name=device_name, thing_ids=[thing_id]))
    return Station(thing_id, ds[0]["@iot.id"], ds[1]["@iot.id"], reg.name, reg.api_key)


@pytest.fixture
def station(platform: Platform) -> Station:
    return make_station(platform, "Trạm A")


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    previous = runtime.use_limiter(None)
    yield
    runtime.use_limiter(previous)


@pytest.fixture
def fixed_now() -> Iterator[clock.FixedClock]:
    import datetime as dt

    fixed = clock.FixedClock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC))
    previous = clock.use(fixed)
    yield fixed
    clock.use(previous)


__all__ = ["OM", "OM_COUNT", "Actors", "Station", "make_station", "wait_for"]
