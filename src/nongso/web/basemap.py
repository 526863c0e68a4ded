"""The map's basemap: raster tiles from a tile server, or a PMTiles file the province hosts.

None is configured by default: the maps then draw the province and commune outlines only and
work without Internet (and say so). The PMTiles file is served here with HTTP range requests
(the browser reads the archive's header, directories and tiles in pieces).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from nongso.core.deps import PlatformDep
from nongso.core.errors import NotFound
from nongso.core.settings import Settings

router = APIRouter(include_in_schema=False)

PMTILES_MEDIA_TYPE = "application/vnd.pmtiles"


def pmtiles_url(settings: Settings) -> str | None:
    """Where the browser finds the configured PMTiles file, if any."""
    if settings.basemap_pmtiles is None:
        return None
    return f"/basemap/{settings.basemap_pmtiles.stem}.pmtiles"


def config(settings: Settings) -> dict[str, Any] | None:
    """The basemap the map pages draw (their JSON settings), None when none is configured."""
    if not settings.basemap_url and settings.basemap_pmtiles is None:
        return None
    return {"xyz": settings.basemap_url or None, "pmtiles": pmtiles_url(settings),
            "attribution": settings.basemap_attribution}


def image_sources(settings: Settings) -> tuple[str, ...]:
    """The tile server's origin, for the pages' Content-Security-Policy."""
    if not settings.basemap_url:
        return ()
    parts = urlsplit(settings.basemap_url)
    # A template may hold {s} (sub-domains a, b, c): the policy allows them all.
    host = parts.netloc.replace("{s}.", "*.").replace("{s}", "*")
    return (f"{parts.scheme}://{host}",)


@router.get("/basemap/{name}.pmtiles")
def pmtiles_file(name: Annotated[str, Path(max_length=200)], platform: PlatformDep) -> FileResponse:
    """The configured PMTiles file, with ``Accept-Ranges: bytes`` (206 for a range, 416 for a
    range past the end); any other name is 404."""
    path = platform.settings.basemap_pmtiles
    if path is None or name != path.stem or not path.is_file():
        raise NotFound(f"Không có bản đồ nền «{name}».", f"No basemap '{name}'.")
    return FileResponse(path, media_type=PMTILES_MEDIA_TYPE)
