"""A Mosquitto broker the platform runs itself, configured as production is (the demo's
broker, and the broker tests use): the files ``nongso mqtt config`` writes (per-device
passwords, ACL, no anonymous client, ``max_queued_messages`` of a million, persistence on),
listening on loopback only, its state under one directory."""

from __future__ import annotations

import atexit
import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import mqtt_config, services


class BrokerUnavailable(RuntimeError):
    """No ``mosquitto`` binary, or it refused the configuration."""


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


def free_port(preferred: int | None = None) -> int:
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = s.getsockname()[1]
            return port
    raise BrokerUnavailable("no free port")


@dataclass
class LocalBroker:
    port: int
    directory: Path
    platform_password: str
    device_passwords: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        """The platform's bridge connects with this (its own user)."""
        return f"mqtt://{mqtt_config.PLATFORM_USER}:{self.platform_password}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _stop_stale(directory: Path) -> None:
    """A broker left running on this directory by a process that died (kill -9) is stopped, so
    that two brokers never share one persistence file."""
    pid_file = directory / "mosquitto.pid"
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return
    if "mosquitto" in cmdline and str(directory / "mosquitto.conf") in cmdline:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)


def start_local_broker(platform: Platform, directory: Path, port: int | None = None,
                       timeout: float = 15.0) -> LocalBroker:
    """Write the production configuration for every registered device (new random MQTT
    passwords, returned), start ``mosquitto`` with it on ``127.0.0.1`` and wait until it
    listens. Raises :class:`BrokerUnavailable` without the binary or when it exits."""
    binary = mosquitto_binary()
    if binary is None:
        raise BrokerUnavailable("mosquitto is not installed (apt-get install mosquitto)")
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(port)
    platform_password = secrets.token_urlsafe(24)
    passwords = services.issue_mqtt_passwords(platform.uow(SYSTEM))
    # As root, mosquitto would switch to the "mosquitto" user, who may not read the directory.
    run_as = getpass.getuser() if os.geteuid() == 0 else None
    files = services.mqtt_configuration(
        platform.uow(SYSTEM), platform_password, str(directory), port, bind="127.0.0.1",
        persistence_dir=f"{directory}/", run_as=run_as, log_file=str(directory / "log"))
    (directory / "mosquitto.conf").write_text(files.conf)
    (directory / "passwd").write_text(files.passwd)
    (directory / "passwd").chmod(0o600)
    (directory / "acl").write_text(files.acl)
    (directory / "acl").chmod(0o600)
    _stop_stale(directory)
    proc = subprocess.Popen([binary, "-c", str(directory / "mosquitto.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    (directory / "mosquitto.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise BrokerUnavailable(f"mosquitto exited ({proc.returncode}): {out.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                broker = LocalBroker(port, directory, platform_password, passwords, proc)
                atexit.register(broker.stop)  # also when the caller forgets or fails
                return broker
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise BrokerUnavailable(f"mosquitto did not listen on 127.0.0.1:{port}")
