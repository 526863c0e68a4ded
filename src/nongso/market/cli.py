"""``nongso market ...``: import prices, evaluate price anomalies, refresh forecasts, pull the
outside feed, run the matching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.progress import Progress, size_text
from nongso.core.uow import UnitOfWork

app = typer.Typer(help="Thị trường / market", no_args_is_help=True)


def _uow(username: str | None) -> UnitOfWork:
    from nongso.core.permissions import SYSTEM
    from nongso.core.platform import Platform
    from nongso.diary import services as diary

    platform = Platform.create()
    if username is None:
        return platform.uow(SYSTEM)
    principal = diary.principal_named(platform.uow(), username)
    if principal is None:
        raise typer.BadParameter(f"không có người dùng «{username}» / no such user")
    return platform.uow(principal)


def _fail(exc: AppError, lang: str) -> None:
    typer.echo(exc.message(lang), err=True)
    for fe in exc.errors[:200]:
        typer.echo(f"  {fe.loc}: {fe.message_vi if lang == 'vi' else fe.message_en}", err=True)
    raise typer.Exit(1) from exc


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp .xlsx/.csv")],
    user: Annotated[str, typer.Option(help="Người nhập (cán bộ xã/tỉnh, doanh nghiệp)")],
    only_valid: Annotated[bool, typer.Option(help="Nhập các dòng đúng, bỏ dòng lỗi")] = False,
    dry_run: Annotated[bool, typer.Option(help="Chỉ kiểm tra, không lưu")] = False,
    lang: Annotated[str, typer.Option(help="vi | en")] = "vi",
) -> None:
    """Nhập bảng giá / import a sheet of prices (all or nothing by default)."""
    from nongso.market import services

    data = file.read_bytes()
    progress = Progress(typer.echo, f"Đang nhập bảng giá / importing prices {file.name} "
                                    f"({size_text(len(data))})…")
    try:
        report = services.import_prices(_uow(user), data, file.name,
                                        "only_valid" if only_valid else "all", dry_run, lang)
    except AppError as exc:
        _fail(exc, lang)
        return
    progress.done(f"Đã đọc {report.rows_read} dòng, nhập {report.rows_imported}, lỗi "
                  f"{report.rows_with_errors} / read {report.rows_read} rows, imported "
                  f"{report.rows_imported}, with errors {report.rows_with_errors}"
                  + (" (chạy thử / dry run)" if dry_run else ""))
    for e in report.errors:
        typer.echo(f"  {e.message}")


@app.command("anomalies")
def anomalies(lang: Annotated[str, typer.Option(help="vi | en")] = "vi") -> None:
    """Tính IPA và cập nhật cảnh báo giá / evaluate price anomalies and alerts."""
    from nongso.market import services

    report = services.evaluate_anomalies(_uow(None))
    typer.echo(f"{report.series} chuỗi giá / series; {report.counts}; "
               f"+{report.raised} ~{report.updated} -{report.cleared} cảnh báo / alerts")
    del lang


@app.command("forecast")
def forecast(limit: Annotated[int, typer.Option(help="Số chuỗi tối đa")] = 10_000) -> None:
    """Tính lại dự báo giá / refresh the price forecasts."""
    from nongso.core.pagination import PageRequest
    from nongso.market import services

    uow = _uow(None)
    ids: list[int] = []
    while len(ids) < limit:
        page = services.list_series(uow, PageRequest(500, len(ids)))
        ids.extend(s.id for s in page.items)
        if len(ids) >= page.total:
            break
    done = services.refresh_price_forecasts(uow, ids[:limit])
    typer.echo(f"{done} dự báo mới / forecasts computed ({len(ids[:limit])} chuỗi / series).")


@app.command("feed")
def feed(since: Annotated[str, typer.Option(help="yyyy-mm-dd")],
         lang: Annotated[str, typer.Option(help="vi | en")] = "vi") -> None:
    """Đọc nguồn giá bên ngoài / pull the outside price feed (NONGSO_MARKET_FEED)."""
    from nongso.market import services

    try:
        report = services.pull_feed(_uow(None), dt.date.fromisoformat(since), lang=lang)
    except AppError as exc:
        _fail(exc, lang)
        return
    typer.echo(f"{report.feed}: {report.received} / {report.imported} / {report.rejected}")
    for e in report.errors:
        typer.echo(f"  {e.message}")


@app.command("match")
def match() -> None:
    """Ghép cung – cầu / propose supply–demand matches."""
    from nongso.market import services

    report = services.run_matching(_uow(None))
    typer.echo(f"{len(report.proposals)} đề xuất / proposals, {report.total_kg:,.0f} kg, "
               f"{report.kg_km:,.0f} kg·km")
