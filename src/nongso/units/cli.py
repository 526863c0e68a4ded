"""Command-line adapter of administrative units: ``nongso units search``."""

from __future__ import annotations

from typing import Annotated

import typer

from nongso.core.pagination import PageRequest
from nongso.core.platform import Platform
from nongso.units import services

app = typer.Typer(help="Đơn vị hành chính / administrative units", no_args_is_help=True)


@app.command("search")
def search(
    q: Annotated[str, typer.Argument(help="Tên (có thể không dấu) hoặc mã")],
    legacy: Annotated[bool, typer.Option(help="Tìm đơn vị trước 01/07/2025")] = False,
) -> None:
    """Tìm đơn vị hành chính / search administrative units."""
    page = services.search_units(
        Platform.create().uow(), PageRequest(50, 0), q=q, generation="legacy" if legacy else "2025"
    )
    for u in page.items:
        typer.echo(f"{u.code}\t{u.level}\t{u.name}\t(tỉnh {u.province_code})")
    typer.echo(f"— {page.total} kết quả / results")
