"""Forecasts of prices (per series, monthly) and of seasonal output (per commune, from the
farm diary's aggregates), each with its MASE against "same month (season) last year".

A forecast is kept in ``market_forecasts`` until its data change (a hash of the values and
of the settings), so a page view computes it once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from nongso.core import clock
from nongso.core.i18n import format_number
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork
from nongso.diary import services as diary
from nongso.market import catalogue, forecasting
from nongso.market.config import market_settings
from nongso.market.ipa import add_months, months_between
from nongso.market.models import Forecast
from nongso.market.schemas import ForecastPoint, ForecastPublic, ScorePublic
from nongso.market.services.common import place_of, province_code
from nongso.market.services.prices import get_series, monthly, place_names

MODEL_NAMES: dict[str, tuple[str, str]] = {
    "seasonal_naive": ("cùng kỳ năm trước (seasonal naive)", "same period last year "
                       "(seasonal naive)"),
    "ets": ("ETS (AutoETS)", "ETS (AutoETS)"),
    "theta": ("Theta (AutoTheta)", "Theta (AutoTheta)"),
    "arima": ("ARIMA (AutoARIMA)", "ARIMA (AutoARIMA)"),
}
SEASON_ORDER = {"dong_xuan": 0, "he_thu": 1, "thu_dong": 2}
SEASON_NAMES = {"dong_xuan": ("Đông Xuân", "Winter–spring"), "he_thu": ("Hè Thu",
                "Summer–autumn"), "thu_dong": ("Thu Đông", "Autumn–winter")}


def models() -> tuple[str, ...]:
    wanted = tuple(m.strip() for m in market_settings().forecast_models.split(",") if m.strip())
    return tuple(m for m in wanted if m in forecasting.MODELS) or ("seasonal_naive",)


def _key(values: Sequence[float | None], extra: Sequence[Any]) -> str:
    text = json.dumps([[None if v is None else round(v, 4) for v in values], list(extra)])
    return hashlib.sha256(text.encode()).hexdigest()


def _cached(uow: UnitOfWork, kind: str, subject: str, key: str,
            compute: Any) -> tuple[dict[str, Any], dt.datetime, bool]:
    s = uow.session
    row = s.scalar(select(Forecast).where(Forecast.kind == kind, Forecast.subject == subject))
    if row is not None and row.data_key == key:
        return row.result, row.computed_at, False
    result: dict[str, Any] = compute().as_dict()
    now = clock.now()
    if row is None:
        s.add(Forecast(kind=kind, subject=subject, data_key=key, result=result, computed_at=now))
    else:
        row.data_key, row.result, row.computed_at = key, result, now
    uow.commit()
    return result, now, True


def _mase(value: float | None, lang: str) -> str:
    return format_number(value, lang, 2) if value is not None else "—"


def explain(r: dict[str, Any], lang: str, unit: str) -> str:
    vi = lang == "vi"
    same = "cùng kỳ năm trước" if vi else "the same period last year"
    name = MODEL_NAMES.get(r.get("best_model") or "", ("", ""))[0 if vi else 1]
    notes = r.get("notes", [])
    if r["outcome"] == "model":
        text = (f"Dự báo bằng {name}: MASE = {_mase(r['best_mase'], lang)} < 1 (sai số nhỏ hơn "
                f"cách lấy {same}; kiểm tra lùi trên {len(r['scores'])} mô hình)." if vi else
                f"Forecast by {name}: MASE = {_mase(r['best_mase'], lang)} < 1 (smaller errors "
                f"than taking {same}; backtested {len(r['scores'])} models).")
    elif r["outcome"] == "constant":
        text = ("Chuỗi không đổi: dự báo giữ nguyên giá trị; MASE không xác định (mẫu số bằng 0)."
                if vi else "A constant series: the forecast keeps its value; MASE is undefined "
                "(its denominator is 0).")
    elif r["outcome"] == "too_short":
        need = forecasting.min_length(r["m"], r["h"], catalogue.settings().forecast_windows,
                                      catalogue.settings().forecast_step)
        text = (f"Chưa đủ dữ liệu để kiểm tra mô hình ({r['n']} {unit}, cần ít nhất {need}): "
                f"chỉ hiển thị {same}." if vi else
                f"Not enough data to test a model ({r['n']} {unit}, at least {need} needed): "
                f"showing {same} only.")
    elif "exactly_seasonal" in notes:
        text = (f"Các năm lặp lại y hệt nhau: dự báo là {same}." if vi else
                f"Every year repeats exactly: the forecast is {same}.")
    elif "seasonal_naive_best" in notes:
        text = (f"Không mô hình nào tốt hơn {same} (MASE của {same} = "
                f"{_mase(r['best_mase'], lang)}): hiển thị {same}." if vi else
                f"No model beats {same} (its MASE = {_mase(r['best_mase'], lang)}): showing "
                f"{same}.")
    else:
        text = (f"Dự báo không tốt hơn {same}: mô hình tốt nhất {name} có MASE = "
                f"{_mase(r['best_mase'], lang)} ≥ 1, nên không dùng; hiển thị {same}." if vi
                else f"The forecast is no better than {same}: the best model, {name}, has MASE "
                f"= {_mase(r['best_mase'], lang)} ≥ 1, so it is not used; showing {same}.")
    return text


def _public(kind: str, subject: str, title: str, r: dict[str, Any], periods: list[str],
            future: list[str], values: Sequence[float | None], computed_at: dt.datetime,
            lang: str, unit: str) -> ForecastPublic:
    first = r.get("first", 0)
    used = [(periods[first + i], v) for i, v in enumerate(values[first:]) if v is not None]
    gaps_text = ""
    missing = [periods[i] for i in r.get("missing", [])]
    filled = [periods[i] for i in r.get("filled", [])]
    dropped = periods[r["dropped_before"]] if r.get("dropped_before") is not None else None
    if missing:
        vi = lang == "vi"
        gaps_text = (f" Thiếu {len(missing)} {unit} ({', '.join(missing[:12])}"
                     f"{'…' if len(missing) > 12 else ''})" if vi else
                     f" {len(missing)} {unit} missing ({', '.join(missing[:12])}"
                     f"{'…' if len(missing) > 12 else ''})")
        if filled:
            gaps_text += (f"; nội suy {', '.join(filled)}" if vi else
                          f"; interpolated {', '.join(filled)}")
        if dropped:
            gaps_text += (f"; chỉ dùng số liệu từ {dropped}" if vi else
                          f"; only data from {dropped} on are used")
        gaps_text += "."
    return ForecastPublic(
        kind=kind,
        subject=subject, title=title, outcome=r["outcome"], model=r.get("model"),
        best_model=r.get("best_model"), best_mase=r.get("best_mase"), m=r["m"],
        scores=[ScorePublic(**sc) for sc in r.get("scores", [])],
        history=[ForecastPoint(period=p, value=round(v, 2)) for p, v in used],
        forecast=[ForecastPoint(period=p, value=v) for p, v in zip(future, r["forecast"],
                                                                  strict=False)],
        seasonal_naive=[ForecastPoint(period=p, value=v)
                        for p, v in zip(future, r["seasonal_naive"], strict=False)],
        missing=missing, filled=filled, dropped_before=dropped,
        explanation=explain(r, lang, unit) + gaps_text, computed_at=computed_at)


def _price_series(uow: UnitOfWork, series_id: int
                  ) -> tuple[Any, list[str], list[float | None], dt.date | None]:
    se = get_series(uow.session, series_id)
    points = monthly(uow.session, series_id)
    if not points:
        return se, [], [], None
    first = points[0][0]
    width = months_between(first, points[-1][0]) + 1
    values: list[float | None] = [None] * width
    for month, _, mean in points:
        values[months_between(first, month)] = mean
    periods = [add_months(first, k).strftime("%Y-%m") for k in range(width)]
    return se, periods, values, points[-1][0]


def price_forecast(uow: UnitOfWork, series_id: int, lang: str = "vi") -> ForecastPublic:
    """The forecast of a price series (public), computed once per change of its data."""
    cfg = catalogue.settings()
    h, wins, step = cfg.forecast_horizon, cfg.forecast_windows, cfg.forecast_step
    chosen = models()
    with uow:
        se, periods, values, last = _price_series(uow, series_id)
        key = _key(values, [12, h, wins, step, *chosen])
        result, at, _ = _cached(uow, "price", str(series_id), key, lambda: forecasting.forecast(
            values, m=12, h=h, windows=wins, step=step, models=chosen))
        product = catalogue.product(se.product_code)
        names = place_names(uow, province_code())
        title = (f"{product.name(lang) if product else se.product_code} — "
                 f"{catalogue.level_label(se.level, lang)} — {names.get(se.place_code, '')}")
    future = [add_months(last, k + 1).strftime("%Y-%m") for k in range(h)] if last else []
    return _public("price", str(series_id), title, result, periods, future, values, at, lang,
                   "tháng" if lang == "vi" else "months")


def refresh_price_forecasts(uow: UnitOfWork, series_ids: Sequence[int],
                            chosen: Sequence[str] | None = None) -> int:
    """Compute (or keep) the forecasts of many series; returns how many were computed."""
    cfg = catalogue.settings()
    h, wins, step = cfg.forecast_horizon, cfg.forecast_windows, cfg.forecast_step
    chosen = tuple(chosen or models())
    computed = 0
    for sid in series_ids:
        with uow:
            _, _, values, _ = _price_series(uow, sid)
            key = _key(values, [12, h, wins, step, *chosen])
            _, _, fresh = _cached(uow, "price", str(sid), key,
                                  lambda v=values: forecasting.forecast(
                                      v, m=12, h=h, windows=wins, step=step, models=chosen))
            computed += fresh
    return computed


def _season_index(key: str) -> int | None:
    kind, _, years = key.partition(":")
    if kind not in SEASON_ORDER:
        return None
    start, _, end = years.partition("-")
    try:
        year = int(end or start) if kind == "dong_xuan" else int(start)
    except ValueError:
        return None
    return year * 3 + SEASON_ORDER[kind]


def _season_label(index: int, lang: str) -> str:
    year, k = divmod(index, 3)
    kind = list(SEASON_ORDER)[k]
    name = SEASON_NAMES[kind][0 if lang == "vi" else 1]
    return f"{name} {year - 1}-{year}" if kind == "dong_xuan" else f"{name} {year}"


def output_forecast(uow: UnitOfWork, commune_code: str, lang: str = "vi") -> ForecastPublic:
    """Seasonal output (t) of a commune from the farm diary's aggregates (rice seasons: Đông
    Xuân, Hè Thu, Thu Đông; lag 3), with its MASE against "same season last year"."""
    require_login(uow.principal)
    with uow:
        place = place_of(uow, commune_code, "commune_code")
        rows = diary.area_aggregate(uow, commune_code, lang=lang).rows
        by_index: dict[int, float] = {}
        for row in rows:
            k = _season_index(row.season_key)
            if k is not None:
                by_index[k] = by_index.get(k, 0.0) + row.harvest_t
        present = {k: v for k, v in by_index.items() if v > 0}
        if present:
            lo, hi = min(present), max(present)
            values: list[float | None] = [present.get(k) for k in range(lo, hi + 1)]
            periods = [_season_label(k, lang) for k in range(lo, hi + 1)]
            future = [_season_label(hi + 1 + k, lang) for k in range(3)]
        else:
            values, periods, future = [], [], []
        key = _key(values, [3, 3, 2, 3, *models()])
        result, at, _ = _cached(uow, "output", commune_code, key, lambda: forecasting.forecast(
            values, m=3, h=3, windows=2, step=3, models=models()))
    title = (f"Sản lượng theo vụ — {place.name}" if lang == "vi" else
             f"Seasonal output — {place.name}")
    return _public("output", commune_code, title, result, periods, future, values, at, lang,
                   "vụ" if lang == "vi" else "seasons")
