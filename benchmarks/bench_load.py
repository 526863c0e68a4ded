"""Load: a Locust scenario against a real server on loopback (``uvicorn`` in its own process,
the app ``nongso serve`` runs), on the demo province at a small scale, SQLite then PostgreSQL.

The mix (Locust user weights; each user waits 0.5–2 s between tasks):

- farmers syncing their diary (weight 3): ``POST /api/v1/diary/sync`` with one new activity
  (a field visit in the open season) on the farmer's plot, then ``GET /api/v1/diary/activities``;
- devices posting observations (weight 3): ``POST /sta/v1.1/CreateObservations`` (dataArray,
  5 readings, ``X-API-Key``);
- consumers opening QR pages (weight 4): a lot's GS1 Digital Link page;
- officers opening dashboards and maps (weight 1): ``/``, ``/map``, ``/stats`` and a map view
  ``GET /api/v1/registry/map``.

One JSON line per database: requests per second, p95 per kind, error rate, and the server's
resident memory (RSS) after the first minute and at the end (growth in MB; with a run shorter
than two minutes, the first sample after the warm-up quarter is used instead). Duration:
``NONGSO_BENCH_LOAD_SECONDS`` (default 60; 600 for the 10-minute run), users
``NONGSO_BENCH_LOAD_USERS`` (default 20); a request unanswered after 60 s is an error.
Baseline in the same run: ``GET /healthz``, the cheapest request, under the same load.
Goal: 0 errors, no memory growth after the first minute.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

DURATION = int(os.environ.get("NONGSO_BENCH_LOAD_SECONDS", "60"))
USERS = int(os.environ.get("NONGSO_BENCH_LOAD_USERS", "20"))
WARM_UP = 60.0 if DURATION >= 120 else DURATION / 4


# --- the Locust side (a child process: gevent patches the standard library on import) ------

def _locust_main(config_path: str) -> None:
    import datetime as dt
    import random
    import uuid

    from locust import HttpUser, between, task
    from locust.env import Environment

    cfg = json.loads(Path(config_path).read_text())
    farmer = {"Authorization": f"Bearer {cfg['farmer_token']}"}
    officer = {"Authorization": f"Bearer {cfg['officer_token']}"}
    device = {"X-API-Key": cfg["device_key"]}
    counter = iter(range(10_000_000))

    class User(HttpUser):
        abstract = True
        # A request without an answer in a minute is an error (not a silent hang at the end).
        network_timeout = 60.0
        connection_timeout = 60.0

    class Farmer(User):
        weight = 3
        wait_time = between(0.5, 2)

        @task
        def sync(self) -> None:
            at = (dt.datetime.now() - dt.timedelta(minutes=1 + next(counter) % 5000))
            op = {"op": "create", "client_uuid": str(uuid.uuid4()),
                  "create": {"plot_id": cfg["plot_id"], "kind": "scouting",
                             "at": at.isoformat(timespec="seconds")}}
            with self.client.post("/api/v1/diary/sync", json={"ops": [op]}, headers=farmer,
                                  name="farmer: diary sync", catch_response=True) as r:
                if r.status_code == 200 and r.json()["applied"] != 1:
                    r.failure(f"not applied: {r.text[:200]}")
            self.client.get("/api/v1/diary/activities", params={"limit": 50},
                            headers=farmer, name="farmer: activities")

    class Device(User):
        weight = 3
        wait_time = between(0.5, 2)

        @task
        def post(self) -> None:
            start = dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                minutes=5 * next(counter))
            rows = [[(start + dt.timedelta(minutes=i)).isoformat(), round(random.random(), 3)]
                    for i in range(5)]
            body = [{"Datastream": {"@iot.id": cfg["datastream_id"]},
                     "components": ["phenomenonTime", "result"], "dataArray": rows}]
            self.client.post("/sta/v1.1/CreateObservations", json=body, headers=device,
                             name="device: observations")

    class Consumer(User):
        weight = 4
        wait_time = between(0.5, 2)

        @task
        def qr(self) -> None:
            self.client.get(random.choice(cfg["qr_paths"]), name="consumer: QR page")

    class Officer(User):
        weight = 1
        wait_time = between(0.5, 2)

        @task
        def pages(self) -> None:
            for path, name in (("/", "officer: dashboard"), ("/map", "officer: map page"),
                               ("/stats", "officer: statistics")):
                self.client.get(path, headers=officer, name=name)
            self.client.get("/api/v1/registry/map", headers=officer, name="officer: map view",
                            params={"bbox": cfg["bbox"], "zoom": 11})
            self.client.get("/healthz", name="baseline: healthz")

    env = Environment(user_classes=[Farmer, Device, Consumer, Officer], host=cfg["url"])
    runner = env.create_local_runner()
    runner.start(USERS, spawn_rate=USERS)
    time.sleep(DURATION)  # gevent's (Locust patches the standard library)
    runner.quit()
    kinds = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        kinds[name] = {"requests": entry.num_requests, "failures": entry.num_failures,
                       "p50_ms": entry.get_response_time_percentile(0.5),
                       "p95_ms": entry.get_response_time_percentile(0.95)}
    total = env.stats.total
    errors = {f"{e.method} {e.name}: {e.error}"[:200]: e.occurrences
              for e in env.stats.errors.values()}
    print(json.dumps({"requests": total.num_requests, "failures": total.num_failures,
                      "rps": total.num_requests / max(DURATION, 1), "kinds": kinds,
                      "errors": errors}))


# --- the driver ---------------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _serve(db_url: str, var: str) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "NONGSO_DATABASE_URL": db_url, "NONGSO_VAR_DIR": var,
           "NONGSO_MONITOR_DEVICE_RATE_PER_S": "100000",
           "NONGSO_MONITOR_DEVICE_BURST": "100000"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "nongso.app:create_app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the benchmark server stopped (exit {proc.returncode})")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the benchmark server did not start")
        time.sleep(0.2)


def _prepare(platform: Any, url: str) -> dict[str, Any]:
    """Tokens of the demo farmer and province officer, a device of a demo station, QR pages."""
    import httpx

    from nongso.core.permissions import SYSTEM
    from nongso.monitor import services as monitor
    from nongso.monitor.schemas import DeviceRegister

    password = platform.settings.demo_password

    def token(user: str) -> str:
        r = httpx.post(url + "/api/v1/auth/token", json={"username": user,
                                                         "password": password}, timeout=60)
        r.raise_for_status()
        return str(r.json()["access_token"])

    farmer_token, officer_token = token("nongdan"), token("canbo.tinh")
    plots = httpx.get(url + "/api/v1/diary/plots", timeout=60,
                      headers={"Authorization": f"Bearer {farmer_token}"}).json()["items"]
    things = monitor.sta_read(platform.uow(SYSTEM), "Things", {"$top": "1", "$orderby": "id",
                                                               "$expand": "Datastreams"},
                              url + "/sta/v1.1").body["value"]
    reg = monitor.register_device(platform.uow(SYSTEM), DeviceRegister(
        name="bench-load-device", thing_ids=[things[0]["@iot.id"]]))
    return {"farmer_token": farmer_token, "officer_token": officer_token,
            "plot_id": plots[0]["id"], "device_key": reg.api_key,
            "datastream_id": things[0]["Datastreams"][0]["@iot.id"]}


def main() -> None:
    from _common import emit
    from _market import databases

    from nongso.core.permissions import SYSTEM
    from nongso.demo import services as demo

    var = tempfile.mkdtemp(prefix="nongso-bench-var-")
    os.environ["NONGSO_VAR_DIR"] = var  # the build and the server share it
    os.environ.setdefault("NONGSO_SECRET_KEY", "bench-secret")
    for db, platform in databases():
        result = demo.build_demo(platform.uow(SYSTEM), "82", platform.settings.demo_password,
                                 2026, 0.05)
        db_url = platform.engine.url.render_as_string(hide_password=False)
        proc, url = _serve(db_url, var)
        try:
            cfg = _prepare(platform, url)
            cfg["url"] = url
            cfg["qr_paths"] = ["/" + link.split("/", 3)[3] for link in result.trace_links]
            cfg["bbox"] = "105.5,10.0,106.9,10.9"
            samples: list[tuple[float, float]] = []
            stop = threading.Event()
            t0 = time.monotonic()

            def sample(pid: int = proc.pid, stop: threading.Event = stop,
                       samples: list[tuple[float, float]] = samples, t0: float = t0) -> None:
                while not stop.wait(5):
                    samples.append((time.monotonic() - t0, _rss_mb(pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            path = Path(var) / "locust.json"
            path.write_text(json.dumps(cfg))
            out = subprocess.run([sys.executable, __file__, "--locust", str(path)],
                                 capture_output=True, text=True, check=False)
            stop.set()
            sampler.join()
            if out.returncode != 0:
                raise RuntimeError(f"locust failed: {out.stderr[-2000:]}")
            stats = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            proc.terminate()
            proc.wait(30)
        after_warm_up = [mb for at, mb in samples if at >= WARM_UP] or [s[1] for s in samples]
        kinds = stats["kinds"]
        emit("bench_load", db=db, duration_s=DURATION, users=USERS,
             requests=stats["requests"], requests_per_s=round(stats["rps"], 1),
             error_rate=round(stats["failures"] / max(stats["requests"], 1), 5),
             p95_ms={k: v["p95_ms"] for k, v in kinds.items()},
             requests_per_kind={k: v["requests"] for k, v in kinds.items()},
             errors=stats["errors"],
             rss_mb_after_warm_up=round(after_warm_up[0], 1) if after_warm_up else None,
             rss_mb_end=round(after_warm_up[-1], 1) if after_warm_up else None,
             rss_growth_mb=round(after_warm_up[-1] - after_warm_up[0], 1)
             if after_warm_up else None,
             baseline="GET /healthz under the same load",
             baseline_p95_ms=kinds.get("baseline: healthz", {}).get("p95_ms"),
             loadavg_1m=round(os.getloadavg()[0], 2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--locust":
        _locust_main(sys.argv[2])
    else:
        main()
