"""Price anomaly warnings: the FAO GIEWS IPA of every series, and the alerts it raises."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from nongso.alerts import services as alerts
from nongso.alerts.schemas import ExternalFinding, TriggerValuePublic
from nongso.core import clock
from nongso.core.i18n import format_number
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.market import catalogue, ipa
from nongso.market.models import PriceSeries
from nongso.market.schemas import (
    AnomalyReport,
    AnomalyStatus,
    IpaPoint,
    MonthPoint,
    SeriesDetail,
)
from nongso.market.services.common import province_code
from nongso.market.services.prices import place_names, series_public

RULE = "market.price_anomaly"
SCOPE = RULE + "|"
SOURCE = ("FAO GIEWS Indicator of Price Anomalies (Baquedano, FAO 2015): IPA = 0.4·z(CQGR) + "
          "0.6·z(CAGR); normal < 0.5, watch 0.5–1, alert ≥ 1")
SOURCE_VI = ("Chỉ số bất thường về giá của FAO GIEWS (Baquedano, FAO 2015): IPA = 0,4·z(CQGR) + "
             "0,6·z(CAGR); bình thường < 0,5, theo dõi 0,5–1, cảnh báo ≥ 1")


@dataclass
class Loaded:
    series: list[tuple[int, str, str, str]]  # id, product, level, place
    matrix: ipa.IpaMatrix | None
    months: list[int]  # months with quotes per series


# PostgreSQL binary COPY: a 19-byte header, then per row the field count and each field's
# length and big-endian value (int4 series, int4 month index, int4 count, float8 sum).
_PG_HEADER = 19
_PG_ROW = np.dtype([("fields", ">i2"), ("l1", ">i4"), ("sid", ">i4"), ("l2", ">i4"),
                    ("month", ">i4"), ("l3", ">i4"), ("n", ">i4"), ("l4", ">i4"),
                    ("total", ">f8")])


def _month_index_sql(dialect: str) -> str:
    """The SQL expression of a month's index (year × 12 + month − 1) on each database."""
    if dialect == "postgresql":
        return "(EXTRACT(YEAR FROM m.month) * 12 + EXTRACT(MONTH FROM m.month) - 1)::int4"
    return ("(CAST(substr(m.month, 1, 4) AS INTEGER) * 12 "
            "+ CAST(substr(m.month, 6, 2) AS INTEGER) - 1)")


def load(uow: UnitOfWork, province: str, current: dt.date,
         series_ids: list[int] | None = None) -> Loaded:
    """Every series of the province (or those asked for) as a months × series matrix of
    monthly means, up to the current month. Read with plain SQL (one pass over the monthly
    rows, no ORM objects: 840,000 rows for 10,000 series of seven years)."""
    s = uow.session
    stmt = select(PriceSeries.id, PriceSeries.product_code, PriceSeries.level,
                  PriceSeries.place_code).where(PriceSeries.province_code == province)
    if series_ids is not None:
        stmt = stmt.where(PriceSeries.id.in_(series_ids))
    series = [(int(a), str(b), str(c), str(d)) for a, b, c, d in
              s.connection().execute(stmt.order_by(PriceSeries.id))]
    end = current.year * 12 + current.month - 1
    if not series:
        return Loaded([], None, [])
    conn = s.connection()
    # An installation serves one province: every monthly row is read and the rows of series
    # not asked for are dropped below (cheaper than a join on SQLite).
    where = "m.n > 0"
    if series_ids is not None:
        where += " AND m.series_id IN (" + ",".join(str(int(i)) for i in series_ids) + ")"
    sql = (f"SELECT m.series_id, {_month_index_sql(conn.dialect.name)}, m.n, "
           f"m.total_vnd_per_kg FROM market_price_months m WHERE {where}")
    # Straight from the database into one array (no row objects, no list of tuples):
    # PostgreSQL's binary COPY (fixed-size rows read by numpy), SQLite's cursor flattened.
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        buf = bytearray()
        with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
            for chunk in copy:
                buf += chunk
        body = np.frombuffer(bytes(buf[_PG_HEADER:len(buf) - 2]), dtype=_PG_ROW)
        flat = np.column_stack([body["sid"], body["month"], body["n"], body["total"]]
                               ).astype(np.float64).ravel()
    else:
        cursor = raw.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            flat = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.float64)
        finally:
            cursor.close()
    data = flat.reshape(-1, 4)
    ids = np.array([r[0] for r in series], dtype=np.int64)
    if data.size == 0:
        return Loaded(series, ipa.compute(np.full((len(series), 1), np.nan), current),
                      [0] * len(series))
    sids = data[:, 0].astype(np.int64)
    months = data[:, 1].astype(np.int64)
    means = data[:, 3] / data[:, 2]
    keep = np.isin(sids, ids)
    sids, months, means = sids[keep], months[keep], means[keep]
    if sids.size == 0:
        return Loaded(series, ipa.compute(np.full((len(series), 1), np.nan), current),
                      [0] * len(series))
    first = int(months.min())
    end = max(end, int(months.max()))
    values = np.full((len(series), end - first + 1), np.nan)
    r = np.searchsorted(ids, sids)
    values[r, months - first] = means
    counts = np.bincount(r, minlength=len(series))
    start = dt.date(first // 12, first % 12 + 1, 1)
    cfg = catalogue.settings()
    return Loaded(series, ipa.compute(values, start, cfg.ipa_gamma, cfg.ipa_min_years),
                  [int(c) for c in counts])


def _num(value: float | None, lang: str, digits: int = 2) -> str:
    return format_number(value, lang, digits) if value is not None else "—"


def explain(latest: ipa.Latest, lang: str) -> str:
    """Why a series warns, or why it cannot."""
    cfg = catalogue.settings()
    month = latest.month.strftime("%m/%Y") if latest.month else ""
    vi = lang == "vi"
    match latest.status:
        case "no_data":
            return "Chưa có giá nào." if vi else "No price yet."
        case "stale":
            return (f"Không cảnh báo: số liệu mới nhất là tháng {month}, cũ hơn "
                    f"{cfg.ipa_max_age_months} tháng." if vi else
                    f"No warning: the latest data are of {month}, older than "
                    f"{cfg.ipa_max_age_months} months.")
        case "missing_lag":
            return (f"Chưa tính được IPA tháng {month}: thiếu giá 3 tháng hoặc 12 tháng trước."
                    if vi else f"No IPA for {month}: the price three or twelve months "
                    "earlier is missing.")
        case "insufficient_history":
            return (f"Không cảnh báo: tháng {month[:2]} mới có {latest.years} năm số liệu, "
                    f"cần ít nhất {cfg.ipa_min_years} năm để so sánh với các năm trước." if vi
                    else f"No warning: month {month[:2]} has {latest.years} years of data; "
                    f"at least {cfg.ipa_min_years} are needed to compare with earlier years.")
        case "no_variation":
            return ("Chưa tính được IPA: tốc độ tăng giá các năm như nhau (độ lệch chuẩn bằng 0)."
                    if vi else "No IPA: the growth rates are the same every year (standard "
                    "deviation 0).")
    words = {"normal": ("bình thường", "normal"), "watch": ("cần theo dõi", "watch"),
             "alert": ("cao bất thường", "abnormally high")}[latest.status]
    ipa_text = _num(latest.ipa, lang)
    return (f"Tháng {month}: IPA = {ipa_text} ({words[0]}; z quý {_num(latest.z_q, lang)}, "
            f"z năm {_num(latest.z_a, lang)}, {latest.years} năm)." if vi else
            f"{month}: IPA = {ipa_text} ({words[1]}; quarterly z {_num(latest.z_q, lang)}, "
            f"annual z {_num(latest.z_a, lang)}, {latest.years} years).")


@dataclass(frozen=True)
class _Row:
    """One series' latest month; its public record is built only when it is shown."""

    sid: int
    product: str
    level: str
    place: str
    months: int
    latest: ipa.Latest

    def public(self, names: dict[str, str], lang: str) -> AnomalyStatus:
        sp = series_public(self.sid, self.product, self.level, self.place, self.months,
                           self.latest.month, self.latest.price, names, lang)
        x = self.latest
        return AnomalyStatus(series=sp, status=x.status, month=x.month, price=x.price,
                             ipa=x.ipa, years=x.years, age_months=x.age_months,
                             explanation=explain(x, lang))


def _statuses(uow: UnitOfWork, series_ids: list[int] | None = None
              ) -> tuple[dt.date, Loaded, list[_Row], dict[str, str]]:
    current = clock.today_vn().replace(day=1)
    province = province_code()
    cfg = catalogue.settings()
    with uow:
        loaded = load(uow, province, current, series_ids)
        names = place_names(uow, province)
    rows: list[_Row] = []
    if loaded.matrix is not None:
        latest = ipa.latest_all(loaded.matrix, current, min_years=cfg.ipa_min_years,
                                max_age_months=cfg.ipa_max_age_months, watch=cfg.ipa_watch,
                                alert=cfg.ipa_alert)
        rows = [_Row(sid, product, level, place, loaded.months[k], latest[k])
                for k, (sid, product, level, place) in enumerate(loaded.series)]
    return current, loaded, rows, names


def anomaly_report(uow: UnitOfWork, lang: str = "vi", everything: bool = False
                   ) -> AnomalyReport:
    """The latest IPA of every series of the province: counts by status and the warnings
    (``everything``: every series, with why it does or does not warn)."""
    current, _loaded, statuses, names = _statuses(uow)
    counts: dict[str, int] = {}
    for row in statuses:
        counts[row.latest.status] = counts.get(row.latest.status, 0) + 1
    shown = [row.public(names, lang) for row in statuses if everything or row.latest.warns]
    shown.sort(key=lambda r: (-(r.ipa or -99) if r.status in ("watch", "alert") else 99,
                              r.series.product_code, r.series.level, r.series.place_code))
    return AnomalyReport(current_month=current, series=len(statuses), counts=counts,
                         warnings=shown)


def series_ipa(uow: UnitOfWork, series_id: int, lang: str = "vi"
               ) -> tuple[list[IpaPoint], AnomalyStatus]:
    _current, loaded, statuses, names = _statuses(uow, [series_id])
    m = loaded.matrix
    if m is None or not statuses:
        from nongso.core.errors import not_found

        raise not_found("chuỗi giá", "price series", series_id)
    points = []
    for col in range(m.prices.shape[1]):
        if not np.isfinite(m.prices[0, col]):
            continue
        points.append(IpaPoint(month=m.month(col), cqgr=_f(m.cqgr[0, col]),
                               cagr=_f(m.cagr[0, col]), z_q=_f(m.z_q[0, col]),
                               z_a=_f(m.z_a[0, col]), ipa=_f(m.ipa[0, col])))
    return points, statuses[0].public(names, lang)


def _f(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def evaluate(uow: UnitOfWork) -> AnomalyReport:
    """Compute every series' IPA and keep the price alerts equal to the warnings: raised
    (watch: minor, alert: moderate), updated, cleared when the price is normal again or the
    data became too old. Sent through the alert channels (subscriptions by commune, crop,
    rule ``market.price_anomaly``)."""
    require_role(uow.principal, "province_officer")
    current, _loaded, statuses, names = _statuses(uow)
    counts: dict[str, int] = {}
    for row in statuses:
        counts[row.latest.status] = counts.get(row.latest.status, 0) + 1
    warns = [row for row in statuses if row.latest.warns]
    report_vi = AnomalyReport(current_month=current, series=len(statuses), counts=counts,
                              warnings=[row.public(names, "vi") for row in warns])
    report_en = {row.sid: row.public(names, "en") for row in warns}
    province = province_code()
    from nongso.units import services as units

    with uow:
        communes = [c.code for c in units.communes_of_province(uow, province)]
        findings = []
        for r in report_vi.warnings:
            en = report_en[r.series.id]
            product = catalogue.product(r.series.product_code)
            place_communes = [r.series.place_code] if len(r.series.place_code) == 5 \
                else communes
            word_vi = "cao bất thường" if r.status == "alert" else "cần theo dõi"
            word_en = "abnormally high" if r.status == "alert" else "on watch"
            month = r.month.strftime("%m/%Y") if r.month else ""
            findings.append(ExternalFinding(
                key=f"{SCOPE}series{r.series.id}", rule_id=RULE,
                severity="moderate" if r.status == "alert" else "minor",
                subject=r.series.product_code,
                headline_vi=f"Giá {r.series.product_name} ({r.series.level_name.lower()}, "
                            f"{r.series.place_name}) {word_vi} tháng {month}"[:300],
                headline_en=f"{en.series.product_name} price ({en.series.level_name.lower()}, "
                            f"{en.series.place_name}) {word_en} in {month}"[:300],
                description_vi=f"{r.explanation} Giá bình quân tháng: "
                               f"{format_number(r.price, 'vi')} đ/kg.",
                description_en=f"{en.explanation} Monthly mean price: "
                               f"{format_number(r.price, 'en')} VND/kg.",
                source=SOURCE_VI, source_en=SOURCE,
                station_name=f"{r.series.product_name} — {r.series.level_name}"
                f" — {r.series.place_name}"[:200], province_code=province,
                communes=place_communes,
                crops=[product.crop] if product else [],
                values=[TriggerValuePublic(at=r.month.isoformat() if r.month else "",
                                           value=round(r.ipa or 0.0, 4), quantity="ipa"),
                        TriggerValuePublic(at=r.month.isoformat() if r.month else "",
                                           value=round(r.price or 0.0, 1),
                                           quantity="price_vnd_per_kg")],
                level=2 if r.status == "alert" else 1))
        outcome = alerts.reconcile_findings(uow, SCOPE, findings)
        uow.commit()
    report_vi.raised, report_vi.updated, report_vi.cleared = (
        outcome.raised, outcome.updated, outcome.cleared)
    return report_vi


def series_detail(uow: UnitOfWork, series_id: int, lang: str = "vi") -> SeriesDetail:
    """A series' monthly means, its IPA month by month and what its latest month says."""
    from nongso.market.services.prices import get_series, monthly

    with uow:
        get_series(uow.session, series_id)
        history = [MonthPoint(month=m, price=round(mean, 2), quotes=n)
                   for m, n, mean in monthly(uow.session, series_id)]
    points, latest = series_ipa(uow, series_id, lang)
    return SeriesDetail(series=latest.series, history=history, ipa=points, latest=latest)
