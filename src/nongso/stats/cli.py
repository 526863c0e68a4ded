"""Command-line adapter of the statistics: ``nongso stats refresh``, ``rebuild``,
``report``, ``import``, ``analytics``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.core.progress import Progress, size_text
from nongso.stats import exports, services

app = typer.Typer(help="Thống kê / statistics", no_args_is_help=True)


def _fail(exc: AppError) -> None:
    typer.echo(f"LỖI: {exc.message_vi}", err=True)
    for e in exc.errors[:50]:
        typer.echo(f"  {e.loc}: {e.message_vi}", err=True)
    raise typer.Exit(1)


@app.command("refresh")
def refresh() -> None:
    """Đếm lại những gì đang chờ / recount what is queued now."""
    report = services.refresh(Platform.create().uow(SYSTEM), force_snapshots=True)
    typer.echo(report.model_dump_json())


@app.command("rebuild")
def rebuild() -> None:
    """Đếm lại mọi số liệu tự động từ nguồn (sửa chữa) / recount every automatic value."""
    report = services.rebuild(Platform.create().uow(SYSTEM))
    typer.echo(f"Đã đếm lại {report.keys} xã × kỳ: {report.values_written} số liệu ghi, "
               f"{report.values_removed} bỏ, {report.pending_after_approval} chờ sau phê "
               "duyệt.")


@app.command("report")
def report(
    season: Annotated[str, typer.Argument(help="Vụ, ví dụ dong_xuan:2025-2026")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Tệp .xlsx hoặc .pdf")],
    crop: Annotated[str, typer.Option(help="Cây trồng")] = "rice",
) -> None:
    """Báo cáo kết quả sản xuất theo vụ / the seasonal production report (xlsx or pdf)."""
    fmt = out.suffix.lstrip(".").lower()
    try:
        content, _ = services.season_report_file(Platform.create().uow(SYSTEM), season, fmt,
                                                 crop)
    except AppError as exc:
        _fail(exc)
        return
    out.write_bytes(content)
    typer.echo(f"Đã ghi {out} ({len(content)} byte).")


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx hoặc .csv")],
    encoding: Annotated[str, typer.Option(help="auto, utf-8, tcvn3, vni, cp1258")] = "auto",
    approved: Annotated[bool, typer.Option(help="Số liệu đã duyệt trên giấy")] = False,
    dry_run: Annotated[bool, typer.Option(help="Chỉ kiểm tra")] = False,
) -> None:
    """Nhập số liệu lịch sử (tất cả hoặc không) / import historic figures, all or nothing."""
    data = path.read_bytes()
    progress = Progress(typer.echo, f"Đang nhập số liệu / importing figures {path.name} "
                                    f"({size_text(len(data))})…")
    try:
        report = services.import_file(Platform.create().uow(SYSTEM), data,
                                      path.name, encoding=encoding, approved=approved,
                                      dry_run=dry_run)
    except AppError as exc:
        _fail(exc)
        return
    typer.echo(report.model_dump_json(indent=2))
    progress.done("Xong / done")


@app.command("analytics")
def analytics(
    dx: Annotated[str, typer.Option(help="sown_area.rice;rice_yield")],
    pe: Annotated[str, typer.Option(help="LAST_15_SEASONS")],
    ou: Annotated[str, typer.Option(help="LEVEL-2;82")] = "82",
) -> None:
    """Truy vấn phân tích (CSV ra màn hình) / analytics as CSV on stdout."""
    try:
        result = services.analytics(Platform.create().uow(SYSTEM), dx, pe, ou)
    except AppError as exc:
        _fail(exc)
        return
    typer.echo(exports.analytics_csv(result).decode("utf-8-sig"), nl=False)
