"""The API documentation page works without internet: Swagger UI comes from the platform."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect


def test_api_docs_render_offline(live_server: str, desktop: Page) -> None:
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:  # a CDN or anything else on the internet
            outside.append(route.request.url)
            route.abort()

    desktop.route("**/*", only_local)
    errors: list[str] = []
    desktop.on("pageerror", lambda exc: errors.append(str(exc)))
    desktop.goto(live_server + "/api/v1/docs")
    expect(desktop.locator(".opblock").first).to_be_visible(timeout=20000)
    assert desktop.locator(".opblock").count() > 5
    assert outside == [] and errors == []
    icon = desktop.request.get(live_server + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
