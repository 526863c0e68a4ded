"""``nongso demo``: migrate, build the demo province and serve it."""

from __future__ import annotations

from typing import Annotated

import typer

from nongso.core import migrate
from nongso.core.permissions import ROLE_LABELS, SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services


def demo_command(
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên (kết quả lặp lại được)")] = 2026,
    scale: Annotated[float, typer.Option(help="Hệ số quy mô dữ liệu (1 = tỉnh mẫu)")] = 1.0,
    serve: Annotated[bool, typer.Option(help="Chạy máy chủ sau khi tạo dữ liệu")] = True,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Tạo tỉnh mẫu (dữ liệu mô phỏng) và chạy máy chủ / build the demo province and serve it."""
    platform = Platform.create()
    settings = platform.settings
    migrate.upgrade(settings.resolved_database_url())
    result = services.build_demo(
        platform.uow(SYSTEM), settings.province_code, settings.demo_password, seed, scale
    )
    verb = "Đã tạo" if result.built else "Đã có sẵn"
    typer.echo(
        f"{verb} tỉnh mẫu {settings.province_code}: {result.organisations} tổ chức, "
        f"{result.farmers} nông hộ, {result.fields} thửa."
    )
    typer.echo(f"\nTài khoản mẫu (mật khẩu: {settings.demo_password}):")
    for acc in result.accounts:
        label = ROLE_LABELS[acc.role][0]
        typer.echo(f"  {acc.username:<12} {label} ({acc.role}, phạm vi {acc.scope})")
    for link in result.trace_links:
        typer.echo(f"Truy xuất (mã QR của lô): {link}")
    if serve:
        import uvicorn

        from nongso.app import create_app

        typer.echo(f"\nMở trình duyệt: http://{host}:{port}/  (API: /api/v1/docs)\n")
        uvicorn.run(create_app(platform), host=host, port=port, log_level="info")
