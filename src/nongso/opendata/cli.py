"""``nongso opendata ...``: publish the catalogue, export the lake, run the heavy reports."""

from __future__ import annotations

from typing import Annotated

import typer

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.opendata import services

app = typer.Typer(help="Dữ liệu mở, kho Parquet / open data, the Parquet lake",
                  no_args_is_help=True)


@app.command("build")
def build(force: Annotated[bool, typer.Option(help="Phiên bản mới cho mọi tập dữ liệu")] = False
          ) -> None:
    """Xuất bản danh mục dữ liệu mở / publish a new catalogue version."""
    report = services.build_catalogue(Platform.create().uow(SYSTEM), force=force)
    typer.echo(report.model_dump_json(indent=1))


@app.command("lake")
def lake(full: Annotated[bool, typer.Option(help="Xuất lại toàn bộ")] = False) -> None:
    """Xuất các bảng lớn sang Parquet (gia tăng) / export the large tables to Parquet."""
    report = services.export_lake(Platform.create().uow(SYSTEM), full=full)
    typer.echo(report.model_dump_json(indent=1))


@app.command("report")
def report(engine: Annotated[str, typer.Option(help="duckdb | dask")] = "duckdb") -> None:
    """Báo cáo xã × mùa vụ trên kho Parquet / the commune × season report on the lake."""
    if engine not in ("duckdb", "dask"):
        raise typer.BadParameter("duckdb | dask", param_hint="--engine")
    out = services.commune_season_report(Platform.create().uow(SYSTEM), engine)
    typer.echo(out.model_dump_json(indent=1))
