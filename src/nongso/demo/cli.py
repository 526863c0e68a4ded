"""``nongso demo``: migrate, build the demo province and serve it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nongso.core import migrate
from nongso.core.permissions import ROLE_LABELS, SYSTEM
from nongso.core.platform import Platform
from nongso.core.settings import served_base_url
from nongso.demo import services


def demo_command(
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên (kết quả lặp lại được)")] = 2026,
    scale: Annotated[float, typer.Option(help="Hệ số quy mô dữ liệu (1 = tỉnh mẫu)")] = 1.0,
    serve: Annotated[bool, typer.Option(help="Chạy máy chủ sau khi tạo dữ liệu")] = True,
    scenario: Annotated[str, typer.Option(
        help="Kịch bản trạm mô phỏng: auto (lũ tháng 7–11, khô các tháng khác), dry (mùa khô, "
             "xâm nhập mặn), flood (mùa lũ) / simulated stations' scenario")] = "auto",
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    mqtt_port: Annotated[int, typer.Option(
        help="Cổng broker MQTT riêng của bản demo (khi chưa đặt NONGSO_MQTT_URL; bận thì "
             "chọn cổng khác) / the demo's own broker's port")] = 1884,
) -> None:
    """Tạo tỉnh mẫu (dữ liệu mô phỏng) và chạy máy chủ / build the demo province and serve it."""
    from nongso.core import clock
    from nongso.demo import monitor as demo_monitor

    if scenario not in ("auto", "dry", "flood"):
        raise typer.BadParameter("auto, dry hoặc flood / auto, dry or flood",
                                 param_hint="--scenario")
    platform = Platform.create()
    settings = platform.settings
    if serve:
        # QR codes, labels and the signed log's origin name the address actually served.
        settings.base_url, warning = served_base_url(settings, host, port)
        if warning:
            typer.echo(warning, err=True)
    migrate.upgrade(settings.resolved_database_url())
    typer.echo("Đang tạo tỉnh mẫu / building the demo province (từng bước / step by step):")
    result = services.build_demo(
        platform.uow(SYSTEM), settings.province_code, settings.demo_password, seed, scale,
        scenario=scenario, progress=typer.echo,
    )
    played = demo_monitor.scenario_for(clock.now(), scenario)
    verb = "Đã tạo" if result.built else "Đã có sẵn"
    typer.echo(
        f"{verb} tỉnh mẫu {settings.province_code}: {result.organisations} tổ chức, "
        f"{result.farmers} nông hộ, {result.fields} vùng sản xuất (thửa, cánh đồng lớn, "
        "mã số vùng trồng, ao nuôi…)."
    )
    typer.echo(f"\nTài khoản mẫu (mật khẩu: {settings.demo_password}):")
    for acc in result.accounts:
        label = ROLE_LABELS[acc.role][0]
        typer.echo(f"  {acc.username:<12} {label} ({acc.role}, phạm vi {acc.scope})")
    typer.echo(f"\nQuan trắc: {result.stations} trạm mô phỏng, {result.observations} quan trắc "
               f"lịch sử, {result.alerts} cảnh báo đang có.\n{played.label_vi}")
    if result.remote is not None:
        r = result.remote
        typer.echo(f"Viễn thám: {r.scenes} ảnh COG mô phỏng trên {r.fields} thửa của xã "
                   f"{r.commune_code}; {r.rice_fields} thửa lúa, {r.differences} chênh lệch với "
                   "nhật ký (trang /remote).")
    if result.opendata_version:
        typer.echo(f"Dữ liệu mở: danh mục phiên bản {result.opendata_version}, "
                   f"{result.opendata_datasets} tập dữ liệu (/opendata, /opendata/catalog.jsonld).")
    for link in result.trace_links:
        typer.echo(f"Truy xuất (mã QR của lô): {link}")
    if result.market is not None:
        m = result.market
        typer.echo(f"Thị trường: {m.series} chuỗi giá ({m.quotes} giá tháng, 7 năm), "
                   f"{m.warnings} cảnh báo giá, {m.proposals} đề xuất ghép cung – cầu, "
                   f"{m.listings} sản phẩm lên sàn, {m.bookings} lịch đặt máy: /market")
    if serve:
        import uvicorn

        from nongso.app import create_app
        background, simulator, close = _start_monitoring(platform, seed, played, mqtt_port)
        typer.echo(f"\nMở trình duyệt: http://{host}:{port}/  (API: /api/v1/docs)")
        typer.echo(f"Trạm & cảnh báo: http://{host}:{port}/monitor · /alerts "
                   "(cảnh báo mới xuất hiện trong vòng một phút)\n")
        try:
            uvicorn.run(create_app(platform), host=host, port=port, log_level="info")
        finally:
            simulator.stop()
            close()
            background.stop()


def _start_monitoring(platform: Platform, seed: int, scenario: Any,
                      mqtt_port: int = 1884) -> tuple[Any, Any, Any]:
    """The alerts worker, the MQTT bridge (when the broker answers) and the simulator."""
    from nongso.demo import monitor as demo_monitor
    from nongso.monitor.bridge import parse_url, public_url
    from nongso.monitor.config import monitor_settings
    from nongso.wiring import start_background

    uow_factory = lambda: platform.uow(SYSTEM)  # noqa: E731
    if not platform.settings.mqtt_url:
        # The demo's own broker, configured as production is (per-device passwords, ACL, no
        # anonymous client, a queue of a million messages, persistence), on loopback.
        from nongso.monitor.local_broker import BrokerUnavailable, start_local_broker

        try:
            local = start_local_broker(platform, platform.settings.var_dir / "mqtt", mqtt_port)
        except BrokerUnavailable as exc:
            typer.echo(f"Không chạy được broker MQTT riêng ({exc}). / No local broker.")
        else:
            # Its own broker: the standard SensorThings topics, no prefix; the service root
            # lists it (without the platform's password).
            platform.settings.mqtt_url = local.url
            background = start_background(platform, local.url, evaluate_s=20,
                                          client_id="nongso-demo", prefix="")
            send, close_clients = demo_monitor.mqtt_device_sender(
                "127.0.0.1", local.port, local.device_passwords)

            def close() -> None:
                try:
                    close_clients()
                finally:
                    local.stop()

            typer.echo(
                f"Cầu nối MQTT: BẬT; broker riêng của bản demo ở 127.0.0.1:{local.port} "
                f"(mật khẩu từng thiết bị, ACL, không cho vô danh; cấu hình ở {local.directory})"
                f". / MQTT bridge on; the demo's own broker on 127.0.0.1:{local.port}, "
                "configured as production (per-device passwords, ACL, no anonymous).")
            simulator = demo_monitor.Simulator(uow_factory, send, seed=seed, scenario=scenario)
            simulator.start()
            return background, simulator, close
    url = platform.settings.mqtt_url or "mqtt://127.0.0.1:1883"
    broker = parse_url(url)
    if demo_monitor.broker_reachable(broker.host, broker.port):
        # Standard SensorThings topics (v1.1/Datastreams(id)/Observations) without a prefix,
        # as the README says; a prefix only when one is configured (tests, for isolation).
        # The installation's own client id keeps its persistent session apart.
        import hashlib

        inst = hashlib.sha256(platform.settings.resolved_database_url().encode()).hexdigest()[:8]
        prefix = monitor_settings().mqtt_topic_prefix
        platform.settings.mqtt_url = url  # the service root lists this broker
        background = start_background(platform, url, evaluate_s=20,
                                      client_id=f"nongso-demo-{inst}", prefix=prefix)
        send, close = demo_monitor.mqtt_sender(broker.host, broker.port, prefix)
        typer.echo(f"Cầu nối MQTT: BẬT ({public_url(url)}); trạm mô phỏng gửi qua MQTT. / "
                   "MQTT bridge on; the simulated stations publish over MQTT.")
        if broker.username is None:
            typer.echo("Lưu ý: broker của bản demo là broker hệ thống, mở cho mọi người (không "
                       "mật khẩu, không ACL) và giữ tối đa 1.000 tin cho mỗi phiên: không dùng "
                       "như vậy khi chạy thật (xem README, «Security», `nongso mqtt config`). / "
                       "Note: the demo uses the system broker, open to anyone (no passwords, no "
                       "ACL) and lossy (Mosquitto's default queue of 1,000 messages); for "
                       "production see the README (Security) and `nongso mqtt config`.")
    else:
        background = start_background(platform, None, evaluate_s=20)
        send, close = demo_monitor.service_sender(uow_factory), (lambda: None)
        typer.echo(f"Cầu nối MQTT: TẮT (không kết nối được {public_url(url)}); trạm mô phỏng "
                   "gửi thẳng qua dịch vụ ghi dữ liệu. / MQTT bridge off: no broker; the "
                   "simulated stations write through the ingestion service.")
    simulator = demo_monitor.Simulator(uow_factory, send, seed=seed, scenario=scenario)
    simulator.start()
    return background, simulator, close
