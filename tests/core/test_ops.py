"""Health, metrics and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_checks_the_database(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["database"] in ("sqlite", "postgresql")


def test_healthz_reports_an_unreachable_database() -> None:
    from nongso.app import create_app
    from nongso.core.platform import Platform
    from nongso.core.settings import Settings

    platform = Platform.create(Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"))
    with TestClient(create_app(platform)) as c:
        r = c.get("/healthz")
    assert r.status_code == 503 and r.json()["database"] == "unreachable"


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.get("/api/v1/units", params={"q": "dong thap"})
    r = client.get("/metrics")
    assert r.status_code == 200
    assert 'nongso_http_requests_total{method="GET",route="/api/v1/units",status="200"}' in r.text


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/units" in spec["paths"] and "/api/v1/farmers" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200
