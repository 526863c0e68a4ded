"""Command-line adapter of monitoring: ``nongso mqtt run`` and ``nongso mqtt config``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import runtime, services

app = typer.Typer(help="Cầu nối MQTT và cấu hình máy chủ MQTT / the MQTT bridge",
                  no_args_is_help=True)


@app.command("run")
def run(
    url: Annotated[str | None, typer.Option(help="mqtt://user:password@host:port "
                                                 "(mặc định: NONGSO_MQTT_URL)")] = None,
    client_id: Annotated[str | None, typer.Option(help="Client id (phiên bền vững)")] = None,
) -> None:
    """Chạy cầu nối MQTT → cơ sở dữ liệu / run the MQTT bridge until Ctrl-C."""
    platform = Platform.create()
    url = url or platform.settings.mqtt_url
    if not url:
        typer.echo("Chưa có địa chỉ máy chủ MQTT: đặt NONGSO_MQTT_URL hoặc --url. / "
                   "No broker URL: set NONGSO_MQTT_URL or pass --url.", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bridge = runtime.start_bridge(platform, url, client_id=client_id)
    from nongso.monitor.bridge import public_url

    typer.echo(f"Cầu nối MQTT đang chạy ({public_url(url)}); Ctrl-C để dừng.")
    while not stop.wait(10):
        st = runtime.bridge_status()
        refused = sum(st.rejected.values())
        typer.echo(f"  {st.state}: nhận {st.received} tin, lưu {st.stored} quan trắc, "
                   f"trùng {st.duplicates}, lỗi {st.malformed}, từ chối {refused}")
    bridge.stop()
    runtime.set_bridge(None)


@app.command("config")
def config(
    out: Annotated[Path, typer.Option(help="Thư mục ghi passwd, acl, mosquitto.conf")],
    platform_password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, help="Mật khẩu MQTT của nền tảng (nongso-platform)")],
    directory: Annotated[str | None, typer.Option(
        help="Thư mục trên máy chủ MQTT (mặc định: --out)")] = None,
    port: Annotated[int, typer.Option()] = 1883,
) -> None:
    """Tạo cấu hình Mosquitto (mật khẩu, ACL) cho các thiết bị / write the broker's config."""
    try:
        files = services.mqtt_configuration(Platform.create().uow(SYSTEM), platform_password,
                                            directory or str(out.resolve()), port)
    except AppError as exc:
        typer.echo(f"Lỗi: {exc.message_vi} / {exc.message_en}", err=True)
        raise typer.Exit(2) from None
    out.mkdir(parents=True, exist_ok=True)
    (out / "passwd").write_text(files.passwd, encoding="utf-8")
    (out / "passwd").chmod(0o600)
    (out / "acl").write_text(files.acl, encoding="utf-8")
    (out / "mosquitto.conf").write_text(files.conf, encoding="utf-8")
    typer.echo(f"Đã ghi {out}/passwd, acl, mosquitto.conf. Máy chủ nền tảng dùng "
               f"NONGSO_MQTT_URL=mqtt://nongso-platform:<mật khẩu>@<máy chủ>:{port}")
    for name in files.devices_without_password:
        typer.echo(f"  Thiết bị {name} chưa có mật khẩu MQTT (tạo bằng POST "
                   "/api/v1/monitor/devices) / has no MQTT password.", err=True)
