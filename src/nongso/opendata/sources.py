"""The platform's dataset providers (registered by name in ``nongso.wiring``).

Each reads its domain through that domain's public services only, and publishes nothing
personal: the registry's layers as the anonymous public sees them (no farmer, no phone), the
seasonal statistics as aggregates with small groups suppressed, the sensor summaries of public
stations, the alerts (public warnings) and the OCOP products (public records).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from nongso.core.pagination import PageRequest
from nongso.core.permissions import ANONYMOUS
from nongso.core.uow import UnitOfWork
from nongso.opendata import catalog, reports
from nongso.opendata.providers import BuildContext, Publication, table_from_rows

# Never published, whatever a layer's projection holds (defence in depth).
PERSONAL_KEYS = frozenset({"farmer_id", "farmer", "farmer_name", "phone", "national_id",
                           "email", "location", "done_by", "notes"})


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _layer_table(features: Sequence[Any]) -> tuple[pa.Table, list[dict[str, Any] | None]]:
    keys: list[str] = []
    for f in features:
        for k in f.properties:
            if k not in keys and k not in PERSONAL_KEYS:
                keys.append(k)
    columns = ["id", *keys]
    rows = [(f.id, *(_scalar(f.properties.get(k)) for k in keys)) for f in features]
    cols: dict[str, pa.Array] = {}
    for n, name in enumerate(columns):
        values = [r[n] for r in rows]
        try:
            cols[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            cols[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    table = pa.table(cols) if rows else pa.table({c: pa.array([], pa.string()) for c in columns})
    geometries = [f.geometry.model_dump(exclude_none=True) if hasattr(f.geometry, "model_dump")
                  else f.geometry for f in features]
    return table, geometries


class RegistryLayers:
    """Production units (without farmers), planting-area codes, co-operatives, input dealers
    and infrastructure, from ``registry.services.open_features``."""

    name = "registry"
    LAYERS = (
        ("production-units", "production_units", (), "Vùng sản xuất", "Production units",
         "Cánh đồng lớn, ô bao, thửa, vườn, trang trại, vùng nuôi thủy sản và vùng nguyên liệu "
         "(không có thông tin nông hộ).",
         "Field blocks, dyke rings, plots, orchards, farms, aquaculture and raw-material areas "
         "(no farmer information).", ("vùng sản xuất", "thửa ruộng"), ("production unit",
                                                                         "field")),
        ("planting-areas", "planting_areas", (), "Mã số vùng trồng", "Planting-area codes",
         "Vùng trồng được cấp mã số: cây trồng, giống, diện tích, tổ chức quản lý, hiệu lực, "
         "thị trường xuất khẩu.", "Planting areas with a code: crop, variety, area, managing "
         "organisation, validity, export market.", ("mã số vùng trồng", "xuất khẩu"),
         ("planting-area code", "export")),
        ("cooperatives", "organisations", (), "Hợp tác xã, tổ hợp tác, hội quán",
         "Co-operatives, groups and farmer clubs", "Hợp tác xã, tổ hợp tác, hội quán nông dân "
         "và doanh nghiệp có vùng sản xuất.", "Co-operatives, co-operative groups, farmer clubs "
         "and companies with production areas.", ("hợp tác xã",), ("co-operative",)),
        ("input-dealers", "businesses", ("input_dealer",), "Đại lý vật tư nông nghiệp",
         "Agricultural input dealers", "Đại lý phân bón, thuốc bảo vệ thực vật: số và hạn giấy "
         "phép.", "Fertiliser and pesticide dealers: licence number and expiry.",
         ("đại lý vật tư", "giấy phép"), ("input dealer", "licence")),
        ("infrastructure", "infrastructure", (), "Hạ tầng thủy lợi và trạm quan trắc",
         "Irrigation infrastructure and monitoring stations", "Trạm bơm, cống, đê bao, trạm "
         "quan trắc.", "Pumping stations, sluices, dykes, monitoring stations.",
         ("thủy lợi", "trạm bơm", "cống"), ("irrigation", "pumping station", "sluice")),
    )

    def series(self) -> Sequence[catalog.SeriesSpec]:
        return ()

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        from nongso.registry import services as registry

        for ds_id, collection, kinds, tvi, ten, dvi, den, kvi, ken in self.LAYERS:
            found: list[Any] = []
            after: int | None = None
            while True:
                page, after = registry.open_features(uow, collection, kinds=kinds, after=after)
                found.extend(f for f in page if f.properties.get("province_code")
                             in (ctx.province_code, None))
                if after is None:
                    break
            if collection == "production_units":
                found = [f for f in found if f.properties.get("kind") != "planting_area"]
            table, geometries = _layer_table(found)
            yield Publication(
                id=ds_id, title_vi=tvi, title_en=ten, description_vi=dvi, description_en=den,
                keywords_vi=("nông nghiệp", *kvi), keywords_en=("agriculture", *ken),
                themes=("AGRI", "REGI"), frequency="UPDATE_CONT", table=table,
                geometries=geometries,
                temporal=_validity(table, ctx.today))


def _validity(table: pa.Table, today: dt.date) -> tuple[dt.date, dt.date] | None:
    if "valid_from" not in table.column_names or table.num_rows == 0:
        return None
    days = [dt.date.fromisoformat(str(v)[:10]) for v in table.column("valid_from").to_pylist()
            if v]
    return (min(days), today) if days else None


SEASON_EN = {"dong_xuan": "Winter–spring", "he_thu": "Summer–autumn",
             "thu_dong": "Autumn–winter", "xuan_he": "Spring–summer", "vu_thuan": "Main season",
             "vu_nghich": "Off-season", "nien_vu": "Crop year"}

ACTIVITY_SCHEMA = pa.schema([
    ("id", pa.int64()), ("season_id", pa.int64()), ("plot_id", pa.int64()),
    ("farmer_id", pa.int64()), ("organisation_id", pa.int64()), ("commune_code", pa.string()),
    ("province_code", pa.string()), ("season_key", pa.string()), ("crop", pa.string()),
    ("kind", pa.string()), ("status", pa.string()), ("at", pa.timestamp("us", tz="UTC")),
    ("quantity_base", pa.float64()), ("base_unit", pa.string()), ("area_ha", pa.float64()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
])


def activity_table(uow: UnitOfWork, province_code: str | None = None,
                   batch: int = 100_000) -> pa.Table:
    """Every activity row of the diary (through ``diary.services.activity_rows``) as Arrow."""
    from nongso.diary import services as diary

    tables = []
    after = 0
    while True:
        rows = diary.activity_rows(uow, after_id=after, limit=batch,
                                   province_code=province_code)
        if not rows:
            break
        tables.append(table_from_rows(diary.ACTIVITY_ROW_COLUMNS, rows, ACTIVITY_SCHEMA))
        after = int(rows[-1][0])
        if len(rows) < batch:
            break
    if not tables:
        return ACTIVITY_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def season_label_en(key: str) -> str:
    kind, _, years = key.partition(":")
    return f"{SEASON_EN.get(kind, kind)} {years}".strip()


def _slug(key: str) -> str:
    return key.replace(":", "-").replace("_", "-")


class SeasonalStatistics:
    """Seasonal statistics by commune from the farm diaries (the commune × season report on
    DuckDB), one dataset per season in the series ``seasonal-statistics``; groups of fewer than
    ``min_farms`` farms are suppressed. The statistics capability replaces this provider (same
    name) with its approved values."""

    name = "seasonal-statistics"
    SERIES = catalog.SeriesSpec(
        id="seasonal-statistics", title_vi="Thống kê sản xuất theo xã và mùa vụ",
        title_en="Production statistics by commune and season",
        description_vi="Số hộ, số thửa-vụ, số lần phun thuốc và sản lượng thu hoạch theo xã, "
                       "mỗi mùa vụ một tập dữ liệu (tổng hợp từ nhật ký sản xuất; nhóm dưới số hộ "
                       "tối thiểu bị ẩn).",
        description_en="Farms, plot-seasons, sprays and harvest by commune, one dataset per "
                       "season (aggregated from the farm diaries; groups under the minimum number "
                       "of farms are suppressed).",
        frequency="ANNUAL_3", themes=("AGRI", "ECON"),
        keywords_vi=("thống kê", "mùa vụ", "sản lượng"),
        keywords_en=("statistics", "season", "harvest"))

    def series(self) -> Sequence[catalog.SeriesSpec]:
        return (self.SERIES,)

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        from nongso.diary import services as diary
        from nongso.units import services as units

        activities = activity_table(uow, ctx.province_code)
        rows = reports.duckdb_commune_season(activities)
        names = {c.code: c.name for c in units.communes_of_province(uow, ctx.province_code)}
        labels = dict(diary.season_keys(uow))
        periods = _season_periods(activities)
        by_season: dict[str, list[reports.CommuneSeasonRow]] = {}
        for r in rows:
            by_season.setdefault(r.season_key, []).append(r)
        for key in sorted(by_season, key=lambda k: periods.get(k, (dt.date.min,))[0]):
            kept, suppressed = reports.suppress(by_season[key], ctx.min_farms)
            label_vi = labels.get(key, key)
            table = pa.table({
                "province_code": pa.array([r.province_code for r in kept], pa.string()),
                "commune_code": pa.array([r.commune_code for r in kept], pa.string()),
                "commune_name": pa.array([names.get(r.commune_code, r.commune_code)
                                          for r in kept], pa.string()),
                "season_key": pa.array([r.season_key for r in kept], pa.string()),
                "season_name": pa.array([label_vi for _ in kept], pa.string()),
                "farms": pa.array([r.farms for r in kept], pa.int64()),
                "plot_seasons": pa.array([r.seasons for r in kept], pa.int64()),
                "activities": pa.array([r.activities for r in kept], pa.int64()),
                "sprays": pa.array([r.sprays for r in kept], pa.int64()),
                "harvest_t": pa.array([round(r.harvest_kg / 1000, 3) for r in kept],
                                      pa.float64()),
            })
            yield Publication(
                id=f"seasonal-statistics-{_slug(key)}",
                title_vi=f"Thống kê sản xuất theo xã — {label_vi}",
                title_en=f"Production statistics by commune — {season_label_en(key)}",
                description_vi=self.SERIES.description_vi,
                description_en=self.SERIES.description_en,
                keywords_vi=self.SERIES.keywords_vi, keywords_en=self.SERIES.keywords_en,
                themes=self.SERIES.themes, frequency="IRREG", table=table,
                temporal=periods.get(key), series=self.SERIES.id,
                unit_codes=tuple(sorted({r.commune_code for r in kept})) or (),
                suppressed_rows=suppressed)


def _season_periods(activities: pa.Table) -> dict[str, tuple[dt.date, dt.date]]:
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
        con.register("a", activities)
        found = con.execute("SELECT season_key, min(\"at\")::DATE, max(\"at\")::DATE FROM a "
                            "WHERE season_key IS NOT NULL GROUP BY 1").fetchall()
    finally:
        con.close()
    return {str(k): (lo, hi) for k, lo, hi in found}


class SensorSummaries:
    """Daily summaries (n, mean, minimum, maximum) of every public station's datastreams, one
    dataset per month in the series ``sensor-daily-summaries`` (the last twelve months)."""

    name = "sensor-summaries"
    MONTHS = 12
    SERIES = catalog.SeriesSpec(
        id="sensor-daily-summaries", title_vi="Số liệu quan trắc theo ngày",
        title_en="Daily sensor summaries",
        description_vi="Độ mặn, mực nước, thời tiết, bẫy đèn: số lần đo, trung bình, thấp nhất, "
                       "cao nhất mỗi ngày của từng trạm công khai; mỗi tháng một tập dữ liệu.",
        description_en="Salinity, water level, weather, light traps: count, mean, minimum and "
                       "maximum per day and public station; one dataset per month.",
        frequency="MONTHLY", themes=("AGRI", "ENVI"),
        keywords_vi=("quan trắc", "độ mặn", "mực nước"),
        keywords_en=("monitoring", "salinity", "water level"))

    def series(self) -> Sequence[catalog.SeriesSpec]:
        return (self.SERIES,)

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        from nongso.monitor import services as monitor

        start = (ctx.today.replace(day=1) - dt.timedelta(days=31 * (self.MONTHS - 1))
                 ).replace(day=1)
        public = uow.as_principal(ANONYMOUS)
        rows: list[tuple[Any, ...]] = []
        for st in monitor.stations(public):
            for v in st.latest:
                for day, n, total, lo, hi in monitor.daily_values(uow, v.datastream_id, start):
                    rows.append((st.id, st.name, st.kind, st.commune_code, st.lon, st.lat,
                                 v.datastream_id, v.name, v.property_code, v.unit, day, int(n),
                                 round(total / n, 4) if n else None, lo, hi))
        by_month: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            by_month.setdefault(r[10].strftime("%Y-%m"), []).append(r)
        columns = ("station_id", "station_name", "station_kind", "commune_code", "lon", "lat",
                   "datastream_id", "datastream", "property", "unit", "day", "n", "mean",
                   "minimum", "maximum")
        for month in sorted(by_month):
            month_rows = sorted(by_month[month], key=lambda r: (r[10], r[0], r[6]))
            first = dt.date.fromisoformat(month + "-01")
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            yield Publication(
                id=f"sensor-daily-{month}",
                title_vi=f"Số liệu quan trắc theo ngày — tháng {month[5:]}/{month[:4]}",
                title_en=f"Daily sensor summaries — {month}",
                description_vi=self.SERIES.description_vi,
                description_en=self.SERIES.description_en,
                keywords_vi=self.SERIES.keywords_vi, keywords_en=self.SERIES.keywords_en,
                themes=self.SERIES.themes, frequency="IRREG",
                table=table_from_rows(columns, month_rows),
                temporal=(first, last), series=self.SERIES.id,
                unit_codes=tuple(sorted({str(r[3]) for r in month_rows if r[3]})))


class PublicAlerts:
    """Salinity, flood and pest alerts (CAP 1.2 each at its ``cap_url``)."""

    name = "alerts"

    def series(self) -> Sequence[catalog.SeriesSpec]:
        return ()

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        from nongso.alerts import services as alerts
        from nongso.core.settings import get_settings

        base = get_settings().base_url.rstrip("/")
        public = uow.as_principal(ANONYMOUS)
        items: list[Any] = []
        offset = 0
        while True:
            page = alerts.list_alerts(public, PageRequest(limit=500, offset=offset))
            items.extend(page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
        items = [a for a in items if a.province_code in (ctx.province_code, None)]
        items.sort(key=lambda a: a.id)
        columns = ("id", "rule_id", "status", "severity", "cap_severity", "level",
                   "headline_vi", "headline_en", "station_name", "province_code", "communes",
                   "crops", "lon", "lat", "radius_km", "onset", "expires", "raised_at",
                   "updated_at", "cap_url")
        rows = [(a.id, a.rule_id, a.status, a.severity, a.cap_severity, a.level, a.headline_vi,
                 a.headline_en, a.station_name, a.province_code, "; ".join(a.communes),
                 "; ".join(a.crops), a.lon, a.lat, a.radius_km, a.onset, a.expires,
                 a.raised_at, a.updated_at, f"{base}/api/v1/alerts/{a.id}/cap.xml")
                for a in items]
        geometries: list[dict[str, Any] | None] = [
            {"type": "Point", "coordinates": [a.lon, a.lat]}
            if a.lon is not None and a.lat is not None else None for a in items]
        days = [a.raised_at.date() for a in items]
        yield Publication(
            id="alerts", title_vi="Cảnh báo mặn, lũ, sâu bệnh", title_en="Salinity, flood and "
            "pest alerts", description_vi="Các cảnh báo đã phát (CAP 1.2): mức độ, trạm, xã, "
            "cây trồng bị ảnh hưởng, thời gian.", description_en="Alerts issued (CAP 1.2): "
            "severity, station, communes and crops concerned, times.",
            keywords_vi=("cảnh báo", "xâm nhập mặn", "lũ"), keywords_en=("alert", "salinity",
                                                                          "flood", "CAP"),
            themes=("AGRI", "ENVI"), frequency="UPDATE_CONT",
            table=table_from_rows(columns, rows), geometries=geometries,
            temporal=(min(days), max(days)) if days else None)


class OcopProducts:
    """OCOP products (stars, certificate, producing organisation)."""

    name = "ocop"

    def series(self) -> Sequence[catalog.SeriesSpec]:
        return ()

    def publications(self, uow: UnitOfWork, ctx: BuildContext) -> Iterable[Publication]:
        from nongso.registry import services as registry
        from nongso.trace import services as trace

        public = uow.as_principal(ANONYMOUS)
        items: list[Any] = []
        offset = 0
        while True:
            page = trace.list_ocop_products(public, PageRequest(limit=500, offset=offset))
            items.extend(page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
        items = [p for p in items if p.province_code == ctx.province_code]
        items.sort(key=lambda p: p.id)
        orgs = registry.organisation_names(uow, [p.organisation_id for p in items])
        columns = ("id", "name", "name_en", "category", "stars", "certificate_no",
                   "certified_on", "valid_until", "status", "organisation_id",
                   "organisation_name", "commune_code", "province_code", "shelf_life_days")
        rows = [(p.id, p.name, p.name_en, p.category, p.stars, p.certificate_no, p.certified_on,
                 p.valid_until, p.status, p.organisation_id, orgs.get(p.organisation_id),
                 p.commune_code, p.province_code, p.shelf_life_days) for p in items]
        days = [p.certified_on for p in items]
        yield Publication(
            id="ocop-products", title_vi="Sản phẩm OCOP", title_en="OCOP products",
            description_vi="Sản phẩm OCOP của tỉnh: hạng sao, giấy chứng nhận, tổ chức sản xuất.",
            description_en="The province's OCOP products: stars, certificate, producing "
                           "organisation.",
            keywords_vi=("OCOP", "sản phẩm"), keywords_en=("OCOP", "product"),
            themes=("AGRI", "ECON"), frequency="UPDATE_CONT",
            table=table_from_rows(columns, rows),
            temporal=(min(days), ctx.today) if days else None)


def default_providers() -> list[Any]:
    return [RegistryLayers(), SeasonalStatistics(), SensorSummaries(), PublicAlerts(),
            OcopProducts()]
