"""The PyPI SensorThings client ``frost_sta_client`` (unchanged) against the running app.

It creates a Thing with its Location, a Datastream with a new Sensor and ObservedProperty,
posts observations one by one and as a dataArray, and reads them back with $filter,
$orderby, $top and nextLink paging; then it patches and deletes. The server is a real uvicorn
on a free port; the database is the suite's SQLite or PostgreSQL leg.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import frost_sta_client as fsc
import geojson
import pytest
import requests
import uvicorn

from nongso.app import create_app
from nongso.core.platform import Platform
from tests.helpers import PASSWORD, Actors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def sta_server(platform: Platform) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/sta/v1.1"
    server.should_exit = True
    thread.join(timeout=10)


OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def test_frost_client_creates_posts_and_queries(actors: Actors, sta_server: str) -> None:
    service = fsc.SensorThingsService(
        sta_server, auth_handler=fsc.AuthHandler(username="t_province", password=PASSWORD))

    location = fsc.Location(
        name="Trạm Mỹ Tho", description="Bến Mỹ Tho, sông Tiền",
        encoding_type="application/geo+json", location=geojson.Point((106.3667, 10.3500)))
    thing = fsc.Thing(name="Trạm đo mặn Mỹ Tho", description="Trạm quan trắc độ mặn",
                      properties={"kind": "salinity"}, locations=[location])
    service.create(thing)
    assert isinstance(thing.id, int)

    sensor = fsc.Sensor(name="CTD-Diver", description="Đầu đo độ dẫn điện",
                        encoding_type="application/pdf", metadata="https://example.org/ctd.pdf")
    observed = fsc.ObservedProperty(name="Salinity", definition="http://vocab.nerc.ac.uk/"
                                    "collection/P07/current/CFSN0331/", description="Độ mặn")
    datastream = fsc.Datastream(
        name="Độ mặn Mỹ Tho", description="Độ mặn nước sông (‰)", observation_type=OM,
        unit_of_measurement=fsc.UnitOfMeasurement(name="phần nghìn", symbol="‰",
                                                  definition="http://qudt.org/vocab/unit/PPTH"),
        thing=thing, sensor=sensor, observed_property=observed)
    service.create(datastream)
    assert isinstance(datastream.id, int)

    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    first = fsc.Observation(result=0.8, phenomenon_time=start.isoformat(), datastream=datastream)
    service.create(first)
    assert isinstance(first.id, int)

    document = fsc.DataArrayDocument()
    value = fsc.DataArrayValue()
    value.datastream = datastream
    value.components = {fsc.DataArrayValue.Property.PHENOMENON_TIME,
                        fsc.DataArrayValue.Property.RESULT}
    for hour in range(1, 25):
        value.add_observation(fsc.Observation(
            result=round(0.8 + 0.1 * hour, 2),
            phenomenon_time=(start + dt.timedelta(hours=hour)).isoformat()))
    document.add_data_array_value(value)
    created = service.observations().create(document)
    assert len(created) == 24 and all("/Observations(" in o.self_link for o in created)

    # Read back through the client: a filter, an upper-case ASC ordering and paging by
    # nextLink (top 10 of 25 rows: three pages).
    found = datastream.get_observations().query().filter("result gt 1.5") \
        .orderby("phenomenonTime", "ASC").top(10).list()
    results = [o.result for o in found]  # iterating follows @iot.nextLink
    expected = [round(0.8 + 0.1 * h, 2) for h in range(1, 25) if 0.8 + 0.1 * h > 1.5]
    assert results == pytest.approx(expected)
    assert found.next_link is None

    everything = service.observations().query().filter(
        f"Datastream/id eq {datastream.id}").count().top(7).list()
    assert everything.count == 25
    assert len(list(everything)) == 25

    again = service.things().find(thing.id)
    assert again.name == "Trạm đo mặn Mỹ Tho"
    assert again.properties["kind"] == "salinity"

    # Update with JSON Patch, as the client does it.
    service.patch(again, [{"op": "replace", "path": "/description",
                           "value": "Trạm quan trắc mặn sông Tiền"}])
    assert service.things().find(thing.id).description == "Trạm quan trắc mặn sông Tiền"

    service.delete(first)
    with pytest.raises(requests.exceptions.HTTPError):
        service.observations().find(first.id)
    remaining = service.observations().query().filter(
        f"Datastream/id eq {datastream.id}").count().top(1).list()
    assert remaining.count == 24


def test_frost_client_without_credentials_cannot_create(actors: Actors, sta_server: str) -> None:
    service = fsc.SensorThingsService(sta_server)
    with pytest.raises(requests.exceptions.HTTPError) as err:
        service.create(fsc.Sensor(name="x", description="y", encoding_type="text/html",
                                  metadata="https://example.org"))
    assert err.value.response.status_code == 401
    assert service.sensors().query().count().list().count == 0
