"""Cloud-Optimised GeoTIFF scenes: writing them, reading what they are, refusing what is wrong.

A scene is one COG per date and sensor:

- ``radar``: Sentinel-1-like backscatter, bands ``vh`` and ``vv`` in dB (or declared linear
  power, converted to dB when read);
- ``ndvi``: Sentinel-2-like NDVI (band ``ndvi``) with its cloud mask (band ``cloud``: 1 under
  cloud or shadow, 0 clear).

What a scene is comes from its GDAL metadata tags (``NONGSO_DATE``, ``NONGSO_SENSOR``,
``NONGSO_PRODUCT``, ``NONGSO_UNITS``) and band descriptions, so that any tool that writes
GeoTIFF tags can feed the platform. :func:`inspect` checks everything before a scene is
registered and raises :class:`SceneRejected` with the reason in Vietnamese and English.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window

from nongso.core.errors import FieldError, ValidationFailed

F32 = NDArray[np.float32]

PRODUCTS: dict[str, tuple[str, ...]] = {"radar": ("vh", "vv"), "ndvi": ("ndvi", "cloud")}
SENSORS = {"s1": "radar", "s2": "ndvi"}
UNITS = {"radar": ("dB", "linear"), "ndvi": ("index",)}
# Plausible value ranges of the bands (for nodata and unit checks).
DB_RANGE = (-50.0, 15.0)
NDVI_RANGE = (-1.0, 1.0)
# Viet Nam's extent in lon/lat (with a margin): a footprint outside it is a wrong CRS label.
VN_EXTENT = (101.5, 7.5, 110.5, 24.0)


class SceneRejected(ValidationFailed):
    """A raster that cannot be registered (the reason says what and where)."""

    code = "scene-rejected"


def _reject(loc: str, vi: str, en: str) -> SceneRejected:
    return SceneRejected(vi, en, [FieldError(loc, vi, en)])


@dataclass(frozen=True)
class SceneInfo:
    """What a COG holds, as registered."""

    acquired_on: dt.date
    sensor: str
    product: str
    bands: tuple[str, ...]
    units: str
    crs: str  # "EPSG:32648" or a WKT
    width: int
    height: int
    pixel_m: float
    bounds: tuple[float, float, float, float]  # in the raster's CRS
    footprint: dict[str, Any]  # GeoJSON polygon, lon/lat
    lonlat_bbox: tuple[float, float, float, float]
    nodata: float | None
    cloud_share: float | None  # optical: the share of the scene under cloud
    is_cog: bool


def write_cog(path: Path, bands: dict[str, F32], *, x0: float, y0: float, pixel: float,
              crs: str, acquired_on: dt.date, sensor: str, units: str | None = None,
              nodata: float | None = math.nan, extra_tags: dict[str, str] | None = None
              ) -> Path:
    """Write one scene as a Cloud-Optimised GeoTIFF (tiled, DEFLATE, overviews)."""
    product = SENSORS[sensor]
    names = PRODUCTS[product]
    stack = np.stack([np.asarray(bands[n], dtype=np.float32) for n in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with rasterio.open(
        tmp, "w", driver="COG", width=stack.shape[2], height=stack.shape[1],
        count=len(names), dtype="float32", crs=crs,
        transform=from_origin(x0, y0, pixel, pixel), nodata=nodata, compress="deflate",
        predictor=3, blocksize=256, overview_resampling="average",
    ) as dst:
        dst.write(stack)
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, name)
        dst.update_tags(NONGSO_DATE=acquired_on.isoformat(), NONGSO_SENSOR=sensor,
                        NONGSO_PRODUCT=product,
                        NONGSO_UNITS=units or UNITS[product][0], **(extra_tags or {}))
    tmp.replace(path)
    return path


def _footprint(crs: CRS, bounds: tuple[float, float, float, float]
               ) -> tuple[dict[str, Any], tuple[float, float, float, float]]:
    x0, y0, x1, y1 = bounds
    to_ll = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    xs = [x0 + (x1 - x0) * k / 8 for k in range(9)]
    ys = [y0 + (y1 - y0) * k / 8 for k in range(9)]
    ring_x = xs + [x1] * 9 + xs[::-1] + [x0] * 9
    ring_y = [y0] * 9 + ys + [y1] * 9 + ys[::-1]
    lons, lats = to_ll.transform(ring_x, ring_y)
    if not all(math.isfinite(v) for v in (*lons, *lats)):
        raise _reject("crs", "Không chuyển được vùng phủ của ảnh sang kinh độ/vĩ độ.",
                      "The raster's footprint cannot be transformed to lon/lat.")
    ring = [[round(lo, 6), round(la, 6)] for lo, la in zip(lons, lats, strict=True)]
    ring.append(ring[0])
    bbox = (min(lons), min(lats), max(lons), max(lats))
    return {"type": "Polygon", "coordinates": [ring]}, bbox


def inspect(path: Path) -> SceneInfo:
    """Read and check a scene's metadata (and a sample of its values)."""
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise _reject("file", f"Không đọc được tệp ảnh «{path.name}» (không phải GeoTIFF?).",
                      f"Cannot read the raster '{path.name}' (not a GeoTIFF?).") from exc
    with ds:
        tags = ds.tags()
        layout = ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT", "")
        sensor = tags.get("NONGSO_SENSOR", "")
        if sensor not in SENSORS:
            raise _reject("tags.NONGSO_SENSOR",
                          f"Ảnh «{path.name}» thiếu thẻ cảm biến NONGSO_SENSOR (s1 hoặc s2).",
                          f"'{path.name}' lacks the NONGSO_SENSOR tag (s1 or s2).")
        product = SENSORS[sensor]
        try:
            acquired = dt.date.fromisoformat(tags.get("NONGSO_DATE", ""))
        except ValueError as exc:
            raise _reject("tags.NONGSO_DATE",
                          f"Ảnh «{path.name}» thiếu ngày chụp NONGSO_DATE (YYYY-MM-DD).",
                          f"'{path.name}' lacks its date NONGSO_DATE (YYYY-MM-DD).") from exc
        if not dt.date(2014, 4, 3) <= acquired <= dt.date(2100, 1, 1):
            raise _reject("tags.NONGSO_DATE", f"Ngày chụp {acquired:%d/%m/%Y} không hợp lý.",
                          f"Acquisition date {acquired.isoformat()} is not plausible.")
        units = tags.get("NONGSO_UNITS", UNITS[product][0])
        if units not in UNITS[product]:
            raise _reject("tags.NONGSO_UNITS",
                          f"Đơn vị «{units}» không dùng được cho {product} "
                          f"(cho phép: {', '.join(UNITS[product])}).",
                          f"Units '{units}' are not valid for {product} "
                          f"(allowed: {', '.join(UNITS[product])}).")
        names = tuple(d or "" for d in ds.descriptions)
        if names != PRODUCTS[product]:
            raise _reject("bands", f"Ảnh {product} phải có các kênh {PRODUCTS[product]}, "
                          f"tệp có {names}.",
                          f"A {product} scene must have bands {PRODUCTS[product]}; "
                          f"the file has {names}.")
        if ds.crs is None:
            raise _reject("crs", f"Ảnh «{path.name}» không có hệ tọa độ (CRS).",
                          f"'{path.name}' has no coordinate reference system.")
        crs = CRS.from_user_input(ds.crs.to_wkt())
        if not crs.is_projected:
            raise _reject("crs", "Ảnh phải ở hệ tọa độ phẳng (mét), ví dụ VN-2000 hoặc UTM 48N; "
                          f"tệp dùng {crs.name}.",
                          "The raster must be in a projected CRS (metres), e.g. VN-2000 or "
                          f"UTM 48N; the file uses {crs.name}.")
        if ds.transform.b != 0 or ds.transform.d != 0 or ds.transform.e >= 0:
            raise _reject("transform", "Ảnh phải hướng bắc lên, không xoay.",
                          "The raster must be north-up, not rotated.")
        pixel = float(ds.transform.a)
        if abs(pixel + ds.transform.e) > 1e-6 * pixel:
            raise _reject("transform", "Điểm ảnh phải vuông.", "Pixels must be square.")
        footprint, bbox = _footprint(crs, tuple(ds.bounds))
        lo0, la0, lo1, la1 = VN_EXTENT
        if bbox[2] < lo0 or bbox[0] > lo1 or bbox[3] < la0 or bbox[1] > la1:
            raise _reject(
                "crs", f"Vùng phủ của ảnh ({bbox[0]:.3f}, {bbox[1]:.3f}) nằm ngoài Việt Nam: "
                f"hệ tọa độ khai báo ({crs.to_string()}) có lẽ sai.",
                f"The raster's footprint ({bbox[0]:.3f}, {bbox[1]:.3f}) lies outside Viet Nam: "
                f"its declared CRS ({crs.to_string()}) is probably wrong.")
        nodata = ds.nodata
        _check_values(ds, product, units, nodata, path.name)
        cloud_share = _cloud_share(ds) if product == "ndvi" else None
        epsg = crs.to_epsg()
        return SceneInfo(
            acquired_on=acquired, sensor=sensor, product=product, bands=names, units=units,
            crs=f"EPSG:{epsg}" if epsg else crs.to_wkt(), width=ds.width, height=ds.height,
            pixel_m=pixel, bounds=tuple(ds.bounds),
            footprint=footprint, lonlat_bbox=bbox,
            nodata=None if nodata is None or math.isnan(nodata) else float(nodata),
            cloud_share=cloud_share, is_cog=layout == "COG")


def _sample(ds: Any, band: int) -> F32:
    """Up to ~65k values of a band (a decimated read: cheap on a COG with overviews)."""
    step = max(1, math.ceil(max(ds.width, ds.height) / 256))
    out_shape = (max(1, ds.height // step), max(1, ds.width // step))
    data = ds.read(band, out_shape=out_shape, masked=False).astype(np.float32)
    return np.asarray(data, dtype=np.float32)


def _check_values(ds: Any, product: str, units: str, nodata: float | None, name: str) -> None:
    if product == "ndvi":
        valid = NDVI_RANGE
        if nodata is not None and not math.isnan(nodata) and valid[0] <= nodata <= valid[1]:
            raise _reject(
                "nodata", f"Giá trị nodata = {nodata:g} của «{name}» là một NDVI hợp lệ (nước, đất "
                "trống có NDVI gần 0): dùng NaN hoặc một giá trị ngoài [-1, 1].",
                f"The nodata value {nodata:g} of '{name}' is a valid NDVI (water and bare soil "
                "are near 0): use NaN or a value outside [-1, 1].")
    else:
        valid = DB_RANGE if units == "dB" else (0.0, 10.0 ** (DB_RANGE[1] / 10))
        if nodata is not None and not math.isnan(nodata) and units == "dB" and nodata == 0:
            raise _reject(
                "nodata", f"Giá trị nodata = 0 của «{name}» là một giá trị tán xạ hợp lệ (0 dB): "
                "dùng NaN.", f"The nodata value 0 of '{name}' is a valid backscatter (0 dB): "
                "use NaN.")
    values = _sample(ds, 1)
    if nodata is not None and not math.isnan(nodata):
        values = values[values != nodata]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    median = float(np.median(values))
    if product == "radar" and units == "dB" and 0.0 < median < 1.0 and float(values.min()) >= 0:
        raise _reject(
            "tags.NONGSO_UNITS",
            f"«{name}» khai báo đơn vị dB nhưng giá trị (trung vị {median:.4f}, không âm) là công "
            "suất tuyến tính: đặt NONGSO_UNITS=linear hoặc đổi sang dB (10·log10).",
            f"'{name}' says dB but its values (median {median:.4f}, none negative) are linear "
            "power: set NONGSO_UNITS=linear or convert to dB (10·log10).")
    if product == "radar" and units == "linear" and median < 0:
        raise _reject(
            "tags.NONGSO_UNITS",
            f"«{name}» khai báo công suất tuyến tính nhưng giá trị âm (trung vị {median:.1f}) là "
            "dB: đặt NONGSO_UNITS=dB.",
            f"'{name}' says linear power but its values are negative (median {median:.1f}), "
            "i.e. dB: set NONGSO_UNITS=dB.")
    outside = float(np.mean((values < valid[0]) | (values > valid[1])))
    if outside > 0.01:
        raise _reject(
            "values", f"{outside:.0%} giá trị của «{name}» nằm ngoài khoảng hợp lý "
            f"[{valid[0]:g}, {valid[1]:g}].",
            f"{outside:.0%} of the values of '{name}' lie outside the plausible range "
            f"[{valid[0]:g}, {valid[1]:g}].")


def _cloud_share(ds: Any) -> float:
    cloud = _sample(ds, 2)
    return float(np.mean(cloud >= 0.5)) if cloud.size else 0.0


@dataclass(frozen=True)
class BandData:
    """A band ready for zonal statistics: values with NaN where invalid (nodata, cloud)."""

    values: F32
    x0: float
    y0: float
    pixel: float
    crs: str

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        h, w = self.values.shape
        return (self.x0, self.y0 - h * self.pixel, self.x0 + w * self.pixel, self.y0)


def read_band(path: Path, band: str, units: str, window: tuple[float, float, float, float]
              | None = None) -> BandData:
    """One band of a scene, nodata and clouds as NaN, backscatter in linear power (zonal means
    of radar are taken in power, as is the practice, and reported in dB).

    ``window``: only the part of the raster inside these bounds (the raster's CRS).
    """
    with rasterio.open(path) as ds:
        names = tuple(d or "" for d in ds.descriptions)
        index = names.index(band) + 1
        win = Window(0, 0, ds.width, ds.height)
        if window is not None:
            t = ds.transform
            c0 = max(0, math.floor((window[0] - t.c) / t.a))
            c1 = min(ds.width, math.ceil((window[2] - t.c) / t.a))
            r0 = max(0, math.floor((window[3] - t.f) / t.e))
            r1 = min(ds.height, math.ceil((window[1] - t.f) / t.e))
            win = Window(c0, r0, max(0, c1 - c0), max(0, r1 - r0))
        data = ds.read(index, window=win).astype(np.float32)
        if ds.nodata is not None and not math.isnan(ds.nodata):
            data[data == ds.nodata] = np.nan
        if band == "ndvi":
            cloud = ds.read(names.index("cloud") + 1, window=win)
            data[cloud >= 0.5] = np.nan
        elif band in ("vh", "vv") and units == "dB":
            data = np.power(np.float32(10.0), data / np.float32(10.0))
        transform = ds.window_transform(win)
        crs = CRS.from_user_input(ds.crs.to_wkt())
        epsg = crs.to_epsg()
        return BandData(data, float(transform.c), float(transform.f), float(transform.a),
                        f"EPSG:{epsg}" if epsg else crs.to_wkt())
