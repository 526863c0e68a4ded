"""Import of production units / businesses / infrastructure from an uploaded file.

:func:`import_file` turns the bytes of one uploaded file into features (geometry in WGS 84
lon/lat + properties) and per-row errors, so that a file with a few bad rows is reported row by
row instead of being refused as a whole. The file as a whole is refused (an exception) only when
it cannot be read at all: unknown type, corrupt content, too big, too many rows, no coordinate
columns.

Formats, chosen by the file name's extension:

=================  =========================================================================
``.geojson``       a FeatureCollection (or one Feature); row = index of the feature + 1.
``.json``
``.kml`` ``.kmz``  every Placemark with Point, LineString, LinearRing (as a line), Polygon or
                   MultiGeometry; properties from name, description and ExtendedData
                   (Data/value and SchemaData/SimpleData); row = Placemark index + 1.
``.zip``           a zipped Shapefile (.shp + .dbf, .shx/.prj/.cpg optional); the .prj may be
                   any CRS pyproj knows (VN-2000, UTM…): the geometry is reprojected to WGS 84;
                   attributes decoded per the .cpg, else UTF-8 with a cp1258 (Windows
                   Vietnamese) fallback; row = record index + 1.
``.csv``           a header row then one point per row: "vĩ độ"/"lat"/"latitude" and "kinh
                   độ"/"lon"/"lng"/"longitude" (decimal comma accepted) or a "geometry"/"wkt"
                   column (WKT or GeoJSON text); separator ``,`` ``;`` tab or ``|``; UTF-8 (with
                   or without BOM) or cp1258; row = line number in the file (header = 1).
``.xlsx``          the same columns in the first sheet that has them; row = the sheet's row.
=================  =========================================================================

Every geometry goes through :func:`nongso.registry.geo.parse_geojson_geometry` /
:func:`~nongso.registry.geo.validate_geometry` (Vietnam extent, swapped coordinates, topology);
altitudes are dropped (geometries are 2D). Properties are JSON-safe (str, int, float, bool,
None; dates as ISO 8601 text) and Unicode-normalised (NFC).

One module per format (:mod:`~.geojson`, :mod:`~.kml`, :mod:`~.shapefile_zip`,
:mod:`~.tables` for CSV and XLSX) and what they share (:mod:`~._common`); this package
chooses the reader and re-exports the public names.
"""

from __future__ import annotations

from nongso.registry.importers._common import (
    _UNZIP_FACTOR,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    SUPPORTED_EXTENSIONS,
    ImportedFeature,
    ImportFileError,
    ImportResult,
    ImportTooLarge,
    RowError,
    _mb,
    _unknown_type,
)
from nongso.registry.importers.geojson import import_geojson
from nongso.registry.importers.kml import import_kml, import_kmz
from nongso.registry.importers.shapefile_zip import import_shapefile_zip
from nongso.registry.importers.tables import import_csv, import_xlsx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "SUPPORTED_EXTENSIONS",
    "ImportFileError",
    "ImportResult",
    "ImportTooLarge",
    "ImportedFeature",
    "RowError",
    "import_csv",
    "import_file",
    "import_geojson",
    "import_kml",
    "import_kmz",
    "import_shapefile_zip",
    "import_xlsx",
]


def import_file(
    filename: str,
    data: bytes,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read an uploaded file (format chosen by ``filename``'s extension) into features.

    Raises :class:`ImportFileError` (unknown type, corrupt file, no usable column…) or
    :class:`ImportTooLarge` (more than ``max_bytes`` bytes or ``max_rows`` rows); otherwise
    problems are reported per row in :attr:`ImportResult.errors`.
    """
    if len(data) > max_bytes:
        raise ImportTooLarge(
            f"Tệp «{filename}» quá lớn: {_mb(len(data))} (tối đa {_mb(max_bytes)}).",
            f"File '{filename}' is too large: {_mb(len(data))} (at most {_mb(max_bytes)}).",
            reason="too-many-bytes",
            limit=max_bytes,
        )
    ext = _extension(filename)
    kind = SUPPORTED_EXTENSIONS.get(ext)
    if kind is None:
        raise _unknown_type(filename, ext)
    if not data.strip():
        raise ImportFileError(
            f"Tệp «{filename}» rỗng.", f"File '{filename}' is empty.", reason="empty"
        )
    unzipped = max_bytes * _UNZIP_FACTOR
    if kind == "geojson":
        return import_geojson(data, max_rows=max_rows)
    if kind == "kml":
        return import_kml(data, max_rows=max_rows)
    if kind == "kmz":
        return import_kmz(data, max_rows=max_rows, max_bytes=unzipped)
    if kind == "shapefile":
        return import_shapefile_zip(data, max_rows=max_rows, max_bytes=unzipped)
    if kind == "csv":
        return import_csv(data, max_rows=max_rows)
    return import_xlsx(data, max_rows=max_rows, max_bytes=unzipped)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    return "." + name.rsplit(".", 1)[1] if "." in name else ""
