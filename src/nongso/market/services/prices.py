"""Price collection: quotes typed by officers and buyers, sheets, outside feeds, USD rates;
the series and their monthly means."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nongso.core import audit, clock
from nongso.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed, not_found
from nongso.core.i18n import fold, format_date
from nongso.core.pagination import Page, PageRequest
from nongso.core.permissions import require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.market import catalogue, feeds, importer
from nongso.market.models import FxRate, PriceMonth, PriceQuote, PriceSeries
from nongso.market.parsing import (
    ParsedPrice,
    PriceParseError,
    check_plausible,
    parse_price,
    to_vnd_per_kg,
)
from nongso.market.schemas import (
    FeedReport,
    FxRatePublic,
    FxRateSet,
    ImportReport,
    QuoteCreate,
    QuotePublic,
    RowError,
    SeriesPublic,
)
from nongso.market.services.common import (
    Place,
    invalid,
    place_by_name,
    place_of,
    product_of,
    province_code,
)
from nongso.registry import services as registry

WRITERS = ("commune_officer", "province_officer", "buyer")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- one quote ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Checked:
    """A quote that passed every check, ready to store."""

    product_code: str
    level: str
    place: Place
    day: dt.date
    price: ParsedPrice
    vnd_per_kg: float
    usd_rate: float | None
    market_name: str | None
    source_kind: str
    source_name: str
    source_key: str
    organisation_id: int | None
    note: str | None


def _may_write_place(uow: UnitOfWork, place: Place, loc: str) -> None:
    p = uow.principal
    if p.role == "admin":
        return
    if p.role == "commune_officer" and place.code == p.unit_code:
        return
    if p.role == "province_officer" and place.province_code == p.unit_code:
        return
    if p.role == "buyer" and place.province_code == province_code():
        return
    raise PermissionDenied(
        f"Bạn không được ghi giá cho {place.name} ({loc}).",
        f"You may not record prices for {place.name} ({loc}).")


def _fx(s: Session, day: dt.date) -> float | None:
    return s.scalar(select(FxRate.usd_vnd).where(FxRate.day == day))


def _source(uow: UnitOfWork, given: str | None, org_names: dict[int, str]
            ) -> tuple[str, str, str, int | None]:
    p = uow.principal
    if p.role == "buyer" and p.organisation_id is not None:
        if p.organisation_id not in org_names:
            org_names.update(registry.organisation_names(uow, [p.organisation_id]))
        name = given or org_names.get(p.organisation_id, f"#{p.organisation_id}")
        return "buyer", name, f"buyer:{p.organisation_id}:{fold(name)}"[:120], p.organisation_id
    name = given or p.username
    return "officer", name, f"officer:{fold(name)}"[:120], None


def _check(uow: UnitOfWork, row: dict[str, Any], today: dt.date, places: dict[str, Place],
           org_names: dict[int, str], prefix: str = "") -> _Checked:
    """Every check of one quote; raises ValidationFailed naming the field."""
    errors: list[FieldError] = []

    def bad(loc: str, vi: str, en: str) -> None:
        errors.append(FieldError(prefix + loc, vi, en))

    product = None
    try:
        product = product_of(str(row["product"]), prefix + "product")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    level = row["level"]
    place = None
    code = str(row["place"] or "").strip()
    if code.isdigit() and len(code) in (2, 5):
        try:
            place = place_of(uow, code, prefix + "place_code")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    else:
        place = place_by_name(uow, code, province_code(), places)
        if place is None:
            bad("place_code", f"Không tìm thấy xã/phường «{code}».",
                f"Commune '{code}' was not found.")
    day = row["day"]
    if day > today:
        bad("observed_on", f"Ngày {format_date(day)} ở tương lai (hôm nay {format_date(today)}).",
            f"{format_date(day)} is in the future (today is {format_date(today)}).")
    parsed = None
    try:
        parsed = parse_price(str(row["price"]), row.get("unit"))
    except PriceParseError as exc:
        bad("price", exc.message_vi, exc.message_en)
    usd_rate = row.get("usd_rate")
    vnd = None
    if parsed is not None:
        if parsed.currency == "usd" and usd_rate is None:
            usd_rate = _fx(uow.session, day)
            if usd_rate is None:
                bad("usd_vnd_rate",
                    f"Giá bằng USD cần tỷ giá USD/VND của ngày {format_date(day)}: nhập tỷ giá "
                    "hoặc để cán bộ tỉnh ghi tỷ giá ngày đó.",
                    f"A price in USD needs the USD/VND rate of {format_date(day)}: give the "
                    "rate or have a province officer record that day's rate.")
        if parsed.currency == "vnd" or usd_rate is not None:
            vnd = to_vnd_per_kg(parsed, usd_rate)
            if product is not None:
                issue = check_plausible(product, vnd, parsed)
                if issue is not None:
                    bad("price", issue.message_vi, issue.message_en)
    if errors:
        raise ValidationFailed("Giá không hợp lệ.", "The price is not valid.", errors)
    assert product is not None and place is not None and parsed is not None and vnd is not None
    _may_write_place(uow, place, prefix + "place_code")
    kind, name, key, org = _source(uow, row.get("source"), org_names)
    return _Checked(product.code, level, place, day, parsed, round(vnd, 2),
                    usd_rate if parsed.currency == "usd" else None, row.get("market"), kind,
                    name, key, org, row.get("note"))


def _series_id(s: Session, product: str, level: str, place: Place,
               cache: dict[tuple[str, str, str], int]) -> int:
    key = (product, level, place.code)
    if key in cache:
        return cache[key]
    found = s.scalar(select(PriceSeries.id).where(
        PriceSeries.product_code == product, PriceSeries.level == level,
        PriceSeries.place_code == place.code))
    if found is None:
        row = PriceSeries(product_code=product, level=level, place_code=place.code,
                          province_code=place.province_code)
        s.add(row)
        s.flush()
        found = row.id
    cache[key] = found
    return found


def _store(uow: UnitOfWork, checked: Sequence[_Checked], skip_existing: bool = False
           ) -> list[PriceQuote]:
    """Insert the quotes and add them to their months (duplicates refused with 409, or
    skipped with ``skip_existing``)."""
    s = uow.session
    series: dict[tuple[str, str, str], int] = {}
    seen: dict[tuple[int, dt.date, str], int] = {}
    rows = []
    for n, c in enumerate(checked):
        sid = _series_id(s, c.product_code, c.level, c.place, series)
        key = (sid, c.day, c.source_key)
        if key in seen and skip_existing:
            continue
        if key in seen:
            raise Conflict(
                f"Hai giá cùng ngày {format_date(c.day)} cho cùng mặt hàng, cấp thị trường, nơi "
                f"và nguồn (dòng {seen[key] + 1} và {n + 1}).",
                f"Two quotes on {format_date(c.day)} for the same product, level, place and "
                f"source (items {seen[key] + 1} and {n + 1}).")
        seen[key] = n
        rows.append((sid, c))
    if rows:
        existing = {(sid, day, src): (qid, price) for qid, sid, day, src, price in s.execute(
            select(PriceQuote.id, PriceQuote.series_id, PriceQuote.observed_on,
                   PriceQuote.source_key, PriceQuote.price_vnd_per_kg)
            .where(PriceQuote.series_id.in_({sid for sid, _ in rows}),
                   PriceQuote.observed_on.in_({c.day for _, c in rows})))}
        if skip_existing:
            rows = [(sid, c) for sid, c in rows if (sid, c.day, c.source_key) not in existing]
        for sid, c in rows:
            hit = existing.get((sid, c.day, c.source_key))
            if hit is not None:
                raise Conflict(
                    f"Đã có giá ngày {format_date(c.day)} của nguồn «{c.source_name}» cho mặt "
                    f"hàng này ở {c.place.name} (#{hit[0]}, {hit[1]:,.0f} đ/kg): một nguồn chỉ "
                    "ghi một giá mỗi ngày; hãy sửa giá đã có.".replace(",", "."),
                    f"Source '{c.source_name}' already has a quote on {format_date(c.day)} for "
                    f"this product in {c.place.name} (#{hit[0]}, {hit[1]:,.0f} VND/kg): one "
                    "quote per source and day; correct the existing one.",
                    extra={"existing_id": hit[0]})
    p = uow.principal
    out = []
    months: dict[tuple[int, dt.date], list[float]] = {}
    for sid, c in rows:
        q = PriceQuote(
            series_id=sid, observed_on=c.day, price_vnd_per_kg=c.vnd_per_kg,
            original_text=c.price.text[:100], original_value=c.price.value,
            original_unit=c.price.unit_label, usd_vnd_rate=c.usd_rate,
            market_name=c.market_name, source_kind=c.source_kind, source_name=c.source_name,
            source_key=c.source_key, organisation_id=c.organisation_id, entered_by=p.user_id,
            note=c.note)
        s.add(q)
        out.append(q)
        months.setdefault((sid, month_of(c.day)), []).append(c.vnd_per_kg)
    s.flush()
    add_to_months(s, months)
    return out


def add_to_months(s: Session, months: dict[tuple[int, dt.date], list[float]]) -> None:
    """Add quotes to their series' monthly count and sum (rows made when missing)."""
    if not months:
        return
    have = set(s.execute(select(PriceMonth.series_id, PriceMonth.month).where(
        PriceMonth.series_id.in_({k[0] for k in months}),
        PriceMonth.month.in_({k[1] for k in months}))).all())
    for (sid, month), prices in months.items():
        if (sid, month) in have:
            s.execute(update(PriceMonth).where(PriceMonth.series_id == sid,
                                               PriceMonth.month == month)
                      .values(n=PriceMonth.n + len(prices),
                              total_vnd_per_kg=PriceMonth.total_vnd_per_kg + sum(prices)))
        else:
            s.add(PriceMonth(series_id=sid, month=month, n=len(prices),
                             total_vnd_per_kg=sum(prices)))
    s.flush()


def _quote_public(q: PriceQuote, series: PriceSeries, show_source: bool) -> QuotePublic:
    product = catalogue.product(series.product_code)
    return QuotePublic(
        id=q.id, series_id=series.id, product_code=series.product_code,
        product_name=product.name_vi if product else series.product_code,
        level=series.level,
        place_code=series.place_code, observed_on=q.observed_on,
        price_vnd_per_kg=q.price_vnd_per_kg, original_text=q.original_text,
        original_value=q.original_value, original_unit=q.original_unit,
        usd_vnd_rate=q.usd_vnd_rate, market_name=q.market_name, source_kind=q.source_kind,
        source_name=q.source_name if show_source else None, created_at=q.created_at)


def _row(data: QuoteCreate) -> dict[str, Any]:
    price = data.price
    if isinstance(price, float):
        price = str(int(price)) if price.is_integer() else repr(price)
    return {"product": data.product, "level": data.level, "place": data.place_code,
            "day": data.observed_on, "price": price, "unit": data.unit,
            "usd_rate": data.usd_vnd_rate, "market": data.market_name,
            "source": data.source_name, "note": data.note}


def add_quote(uow: UnitOfWork, data: QuoteCreate) -> QuotePublic:
    """Record one price (officers for their unit, buyers for the province)."""
    require_role(uow.principal, *WRITERS)
    with uow:
        checked = _check(uow, _row(data), clock.today_vn(), {}, {})
        quote = _store(uow, [checked])[0]
        series = uow.session.get(PriceSeries, quote.series_id)
        assert series is not None
        uow.commit()
        return _quote_public(quote, series, True)


def _sees_sources(uow: UnitOfWork) -> bool:
    return uow.principal.role in ("admin", "province_officer", "commune_officer", "inspector")


def list_quotes(uow: UnitOfWork, page: PageRequest, series_id: int | None = None,
                since: dt.date | None = None) -> Page[QuotePublic]:
    """The quotes behind the series (signed-in users; sources for officers, and a buyer's
    own)."""
    require_login(uow.principal)
    p = uow.principal
    with uow:
        s = uow.session
        stmt = select(PriceQuote, PriceSeries).join(
            PriceSeries, PriceSeries.id == PriceQuote.series_id)
        if series_id is not None:
            stmt = stmt.where(PriceQuote.series_id == series_id)
        if since is not None:
            stmt = stmt.where(PriceQuote.observed_on >= since)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.execute(stmt.order_by(PriceQuote.observed_on.desc(), PriceQuote.id.desc())
                         .limit(page.limit).offset(page.offset)).all()
        officer = _sees_sources(uow)
        return Page(items=[_quote_public(q, se, officer or (
            q.organisation_id is not None and q.organisation_id == p.organisation_id))
            for q, se in rows], total=total, limit=page.limit, offset=page.offset)


# --- series ---------------------------------------------------------------------------------

def place_names(uow: UnitOfWork, province: str) -> dict[str, str]:
    from nongso.units import services as units

    names = {c.code: c.name for c in units.communes_of_province(uow, province)}
    names[province] = units.get_unit(uow, province).name
    return names


def series_public(sid: int, product_code: str, level: str, place_code: str, months: int,
                  last_month: dt.date | None, last_price: float | None, names: dict[str, str],
                  lang: str) -> SeriesPublic:
    product = catalogue.product(product_code)
    return SeriesPublic(
        id=sid, product_code=product_code,
        product_name=product.name(lang) if product else product_code,
        level=level,
        level_name=catalogue.level_label(level, lang), place_code=place_code,
        place_name=names.get(place_code, place_code), months=months,
        last_month=last_month, last_price=round(last_price, 1) if last_price else None)


def list_series(uow: UnitOfWork, page: PageRequest, product: str | None = None,
                level: str | None = None, place_code: str | None = None,
                lang: str = "vi") -> Page[SeriesPublic]:
    """Price series with their number of months and latest monthly mean (public)."""
    with uow:
        s = uow.session
        stmt = select(PriceSeries).where(PriceSeries.province_code == province_code())
        if product:
            stmt = stmt.where(PriceSeries.product_code == product_of(product).code)
        if level:
            stmt = stmt.where(PriceSeries.level == level)
        if place_code:
            stmt = stmt.where(PriceSeries.place_code == place_code)
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.order_by(PriceSeries.product_code, PriceSeries.level,
                                            PriceSeries.place_code)
                              .limit(page.limit).offset(page.offset)))
        stats = months_summary(s, [r.id for r in rows])
        names = place_names(uow, province_code())
        items = [series_public(r.id, r.product_code, r.level, r.place_code,
                               *stats.get(r.id, (0, None, None)), names, lang) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def months_summary(s: Session, ids: Sequence[int]
                   ) -> dict[int, tuple[int, dt.date | None, float | None]]:
    """(months with quotes, latest month, its mean) per series, in two queries."""
    if not ids:
        return {}
    counts = {sid: (n, last) for sid, n, last in s.execute(
        select(PriceMonth.series_id, func.count(), func.max(PriceMonth.month))
        .where(PriceMonth.series_id.in_(ids)).group_by(PriceMonth.series_id))}
    wanted = [(sid, last) for sid, (_, last) in counts.items()]
    means: dict[int, float] = {}
    if wanted:
        for sid, month, n, total in s.execute(
                select(PriceMonth.series_id, PriceMonth.month, PriceMonth.n,
                       PriceMonth.total_vnd_per_kg)
                .where(PriceMonth.series_id.in_([w[0] for w in wanted]),
                       PriceMonth.month.in_({w[1] for w in wanted}))):
            if counts[sid][1] == month and n:
                means[sid] = total / n
    return {sid: (n, last, means.get(sid)) for sid, (n, last) in counts.items()}


def get_series(s: Session, series_id: int) -> PriceSeries:
    se = s.get(PriceSeries, series_id)
    if se is None:
        raise not_found("chuỗi giá", "price series", series_id)
    return se


def monthly(s: Session, series_id: int) -> list[tuple[dt.date, int, float]]:
    """(month, quotes, mean đ/kg) of one series, oldest first."""
    return [(m, n, total / n) for m, n, total in s.execute(
        select(PriceMonth.month, PriceMonth.n, PriceMonth.total_vnd_per_kg)
        .where(PriceMonth.series_id == series_id, PriceMonth.n > 0)
        .order_by(PriceMonth.month))]


# --- sheets and feeds -----------------------------------------------------------------------

def _sheet_row(cells: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    problems: list[tuple[str, str, str]] = []
    out: dict[str, Any] = {"product": cells.get("product") or "", "place": cells.get("place"),
                           "price": cells.get("price"), "unit": cells.get("unit") or None,
                           "market": str(cells["market"])[:200] if cells.get("market") else None,
                           "source": str(cells["source"])[:200] if cells.get("source") else None,
                           "note": str(cells["note"])[:500] if cells.get("note") else None}
    try:
        out["day"] = importer.parse_day(cells.get("date"))
    except importer.SheetError as exc:
        problems.append(("date", exc.message_vi, exc.message_en))
    try:
        out["level"] = importer.parse_level(cells.get("level"))
    except importer.SheetError as exc:
        problems.append(("level", exc.message_vi, exc.message_en))
    if out["price"] is None or str(out["price"]).strip() == "":
        problems.append(("price", "Thiếu giá.", "The price is missing."))
    rate = cells.get("usd_rate")
    if rate not in (None, ""):
        try:
            out["usd_rate"] = float(str(rate).replace(",", "."))
            if not 1000 < out["usd_rate"] < 1_000_000:
                raise ValueError
        except ValueError:
            problems.append(("usd_rate", f"Tỷ giá «{rate}» không hợp lệ.",
                             f"Invalid USD rate '{rate}'."))
    else:
        out["usd_rate"] = None
    if isinstance(out["price"], float):
        p = out["price"]
        out["price"] = str(int(p)) if p.is_integer() else repr(p)
    return out, problems


_COLUMNS_VI = {"product": "Mặt hàng", "level": "Cấp thị trường", "place_code": "Nơi",
               "price": "Giá", "observed_on": "Ngày", "date": "Ngày", "usd_vnd_rate": "Tỷ giá",
               "usd_rate": "Tỷ giá", "source": "Nguồn"}


_COLUMNS_EN = {"observed_on": "date", "place_code": "place", "usd_vnd_rate": "usd_rate"}


def _row_errors(number: int, errors: Sequence[FieldError], lang: str) -> list[RowError]:
    out = []
    for e in errors:
        column = e.loc.split("/")[-1]
        label = _COLUMNS_VI.get(column, column) if lang == "vi" else _COLUMNS_EN.get(column,
                                                                                    column)
        text = e.message_vi if lang == "vi" else e.message_en
        prefix = f"Dòng {number}, cột {label}: " if lang == "vi" else \
            f"Row {number}, column {label}: "
        out.append(RowError(row=number, column=column, message=prefix + text))
    return out


def import_prices(uow: UnitOfWork, content: bytes, filename: str, mode: str = "all",
                  dry_run: bool = False, lang: str = "vi") -> ImportReport:
    """A sheet of prices: every row checked; by default all or nothing (``only_valid`` keeps
    the good rows); nothing half-written either way."""
    require_role(uow.principal, *WRITERS)
    if mode not in ("all", "only_valid"):
        raise invalid("mode", "Chế độ nhập phải là all hoặc only_valid.",
                      "The mode must be all or only_valid.")
    try:
        rows = importer.read_rows(content, filename)
    except importer.SheetError as exc:
        raise ValidationFailed(exc.message_vi, exc.message_en,
                               [FieldError("file", exc.message_vi, exc.message_en)]) from exc
    with uow:
        today = clock.today_vn()
        places: dict[str, Place] = {}
        orgs: dict[int, str] = {}
        good: list[_Checked] = []
        errors: list[RowError] = []
        keys: dict[tuple[str, str, str, dt.date, str], int] = {}
        for row in rows:
            cells, problems = _sheet_row(row.cells)
            if problems:
                errors.extend(_row_errors(row.number, [FieldError(c, vi, en)
                                                       for c, vi, en in problems], lang))
                continue
            try:
                c = _check(uow, cells, today, places, orgs)
            except (ValidationFailed, PermissionDenied) as exc:
                errs = exc.errors or [FieldError("place_code", exc.message_vi, exc.message_en)]
                errors.extend(_row_errors(row.number, errs, lang))
                continue
            key = (c.product_code, c.level, c.place.code, c.day, c.source_key)
            if key in keys:
                vi = f"trùng với dòng {keys[key]} (cùng ngày, mặt hàng, cấp, nơi và nguồn)."
                en = f"duplicates row {keys[key]} (same day, product, level, place, source)."
                errors.extend(_row_errors(row.number, [FieldError("date", vi, en)], lang))
                continue
            keys[key] = row.number
            good.append(c)
        if errors and mode == "all":
            raise ValidationFailed(
                f"Tệp có {len(errors)} lỗi; chưa nhập dòng nào (dùng only_valid để nhập các "
                "dòng đúng).",
                f"The file has {len(errors)} errors; nothing was imported (use only_valid to "
                "import the good rows).",
                [FieldError(f"row {e.row}", e.message, e.message) for e in errors[:500]],
                extra={"rows_with_errors": len({e.row for e in errors})})
        if not dry_run and good:
            _store(uow, good)
            audit.record(uow.session, "import", "market_quotes", filename[:100],
                         {"rows": len(good), "errors": len(errors)})
            uow.commit()
        return ImportReport(rows_read=len(rows), rows_imported=0 if dry_run else len(good),
                            rows_with_errors=len({e.row for e in errors}), mode=mode,
                            dry_run=dry_run, errors=errors)


def pull_feed(uow: UnitOfWork, since: dt.date, feed: feeds.PriceFeed | None = None,
              lang: str = "vi") -> FeedReport:
    """Read an outside feed and store its valid quotes (each wrong one reported)."""
    require_role(uow.principal, "province_officer")
    try:
        source = feed or feeds.get_feed()
    except feeds.FeedError as exc:
        from nongso.core.errors import Conflict

        raise Conflict("Chưa cấu hình nguồn giá bên ngoài (NONGSO_PRICE_FEED).",
                       f"No outside price feed is configured (NONGSO_PRICE_FEED): {exc}.") from exc
    try:
        quotes = source.fetch(since)
    except feeds.FeedError as exc:
        from nongso.core.errors import Unavailable

        raise Unavailable(f"Không đọc được nguồn giá «{source.name}»: {exc}.",
                          f"The price feed '{source.name}' could not be read: {exc}.") from exc
    with uow:
        today = clock.today_vn()
        places: dict[str, Place] = {}
        good: list[_Checked] = []
        errors: list[RowError] = []
        for n, q in enumerate(quotes, 1):
            problems = []
            try:
                day = dt.date.fromisoformat(q.day[:10])
            except ValueError:
                problems.append(FieldError("date", f"Ngày «{q.day}» không hợp lệ.",
                                           f"Invalid date '{q.day}'."))
            try:
                level = importer.parse_level(q.level)
            except importer.SheetError as exc:
                problems.append(FieldError("level", exc.message_vi, exc.message_en))
            if problems:
                errors.extend(_row_errors(n, problems, lang))
                continue
            cells = {"product": q.product, "level": level, "place": q.place_code, "day": day,
                     "price": q.price, "unit": q.unit, "market": q.market,
                     "source": f"feed:{source.name}", "usd_rate": None, "note": None}
            try:
                good.append(_check(uow, cells, today, places, {}))
            except (ValidationFailed, PermissionDenied) as exc:
                errors.extend(_row_errors(n, exc.errors or [
                    FieldError("place_code", exc.message_vi, exc.message_en)], lang))
        # A feed sends the same quotes again: those already stored are skipped quietly.
        stored = _store(uow, good, skip_existing=True) if good else []
        uow.commit()
        return FeedReport(feed=source.name, received=len(quotes), imported=len(stored),
                          rejected=len({e.row for e in errors}), errors=errors)


# --- exchange rates -------------------------------------------------------------------------

def set_fx_rate(uow: UnitOfWork, day: dt.date, data: FxRateSet) -> FxRatePublic:
    require_role(uow.principal, "province_officer")
    if day > clock.today_vn():
        raise invalid("day", f"Ngày {format_date(day)} ở tương lai.",
                      f"{format_date(day)} is in the future.")
    with uow:
        row = uow.session.get(FxRate, day)
        if row is None:
            row = FxRate(day=day, usd_vnd=data.usd_vnd, source=data.source)
            uow.session.add(row)
        else:
            row.usd_vnd, row.source, row.updated_at = data.usd_vnd, data.source, clock.now()
        uow.commit()
        return FxRatePublic(day=day, usd_vnd=row.usd_vnd, source=row.source)


def list_fx_rates(uow: UnitOfWork, limit: int = 60) -> list[FxRatePublic]:
    with uow:
        return [FxRatePublic(day=r.day, usd_vnd=r.usd_vnd, source=r.source)
                for r in uow.session.scalars(select(FxRate).order_by(FxRate.day.desc())
                                             .limit(limit))]
