"""The ``nongso`` command: gathers every domain's commands."""

from __future__ import annotations

from typing import Annotated

import typer

from nongso.accounts.cli import app as user_app
from nongso.demo.cli import demo_command
from nongso.diary.cli import app as diary_app
from nongso.market.cli import app as market_app
from nongso.monitor.cli import app as mqtt_app
from nongso.opendata.cli import app as opendata_app
from nongso.registry.cli import app as registry_app
from nongso.remote.cli import app as remote_app
from nongso.stats.cli import app as stats_app
from nongso.trace.cli import app as trace_app
from nongso.units.cli import app as units_app
from nongso.vision.cli import app as vision_app
from nongso.wiring import register_handlers

app = typer.Typer(help="Nông Số — nền tảng nông nghiệp số", no_args_is_help=True)
db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(units_app, name="units")
app.add_typer(mqtt_app, name="mqtt")
app.add_typer(registry_app, name="registry")
app.add_typer(diary_app, name="diary")
app.add_typer(trace_app, name="trace")
app.add_typer(remote_app, name="remote")
app.add_typer(opendata_app, name="opendata")
app.add_typer(vision_app, name="vision")
app.add_typer(market_app, name="market")
app.add_typer(stats_app, name="stats")
app.command("demo")(demo_command)


@app.callback()
def main() -> None:
    """Nông Số — nền tảng nông nghiệp số."""
    # Every command works on the connected domains (events, finders, authentication).
    register_handlers()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Chạy migration và nạp danh mục đơn vị hành chính / migrate and load reference data."""
    from nongso.core import migrate
    from nongso.core.platform import Platform
    from nongso.units import services as units

    platform = Platform.create()
    migrate.upgrade(platform.settings.resolved_database_url())
    loaded = units.load_reference_data(platform.uow())
    from nongso.stats import services as stats

    stats.install_reference_data(platform.uow())
    typer.echo(f"Cơ sở dữ liệu đã cập nhật ({platform.dialect}); nạp {loaded} đơn vị hành chính.")


@db_app.command("check")
def db_check() -> None:
    """Kiểm tra models và migrations khớp nhau / alembic check."""
    from nongso.core import migrate
    from nongso.core.settings import get_settings

    migrate.check(get_settings().resolved_database_url())
    typer.echo("Models và migrations khớp nhau.")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
) -> None:
    """Chạy máy chủ web và API / serve the web UI and the API."""
    import uvicorn

    from nongso.app import create_app
    from nongso.core.platform import Platform
    from nongso.core.settings import served_base_url
    from nongso.wiring import start_background

    platform = Platform.create()
    platform.settings.base_url, warning = served_base_url(platform.settings, host, port)
    if warning:
        typer.echo(warning, err=True)
    # The alerts worker, the statistics refresher, the open-data regeneration, and the MQTT
    # bridge when NONGSO_MQTT_URL is set (the app starts and serves even if the broker is down;
    # the bridge retries and reports its state).
    background = start_background(platform, platform.settings.mqtt_url or None)
    if not platform.settings.mqtt_url:
        typer.echo("Cầu nối MQTT tắt (chưa đặt NONGSO_MQTT_URL). / MQTT bridge off.")
    try:
        uvicorn.run(create_app(platform), host=host, port=port, log_level="info")
    finally:
        background.stop()


if __name__ == "__main__":
    app()
