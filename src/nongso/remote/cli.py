"""Command-line adapter of remote sensing: ``nongso remote ingest|reduce|phenology|reconcile``."""

from __future__ import annotations

from typing import Annotated

import typer

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.remote import services

app = typer.Typer(help="Viễn thám / remote sensing", no_args_is_help=True)


@app.command("ingest")
def ingest(
    location: Annotated[str, typer.Argument(help="Thư mục ảnh COG / folder of COGs")],
    source: Annotated[str, typer.Option(help="Loại nguồn ảnh / source kind")] = "local",
) -> None:
    """Đăng ký ảnh mới / register the new scenes of a source."""
    report = services.ingest(Platform.create().uow(SYSTEM), source, location)
    typer.echo(f"{report.registered} ảnh mới, {report.already} đã có, "
               f"{len(report.rejected)} bị từ chối (trên {report.found}).")
    for r in report.rejected:
        typer.echo(f"  ✗ {r.uri} [{r.loc}]: {r.message}")


@app.command("run")
def run(
    province: Annotated[str | None, typer.Option(help="Mã tỉnh / province code")] = None,
) -> None:
    """Thống kê vùng, vật hậu, đối chiếu / zonal statistics, phenology, reconciliation."""
    platform = Platform.create()
    r = services.reduce_new_scenes(platform.uow(SYSTEM), province)
    typer.echo(f"Thống kê vùng: {r.scenes} ảnh ({r.empty_scenes} mây phủ kín), "
               f"{r.field_values} giá trị thửa, {r.commune_values} giá trị xã.")
    p = services.compute_phenology(platform.uow(SYSTEM), province)
    typer.echo(f"Vật hậu: {p.fields} thửa, {p.rice_fields} thửa lúa, {p.seasons} vụ.")
    c = services.reconcile_province(platform.uow(SYSTEM), province)
    typer.echo(f"Đối chiếu: {c.differences} chênh lệch ({c.new} mới, {c.open} chờ kiểm tra).")
