"""The farmer's diary offline in headless Chromium: record three activities with no network,
reload, come back online, sync, and the server has exactly three; an edit made meanwhile on
another device comes back as a visible conflict that the farmer resolves."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from nongso.app import create_app
from nongso.core.platform import Platform
from nongso.diary.models import Activity, Photo
from tests.diary.conftest import TODAY, Diary, diary, fixed_clock  # noqa: F401
from tests.helpers import PASSWORD


class Server:
    """A real uvicorn server that can be stopped and started again on the same port (so the
    service worker's own requests fail too: Chromium's offline switch does not cover them)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _count(platform: Platform) -> int:
    with platform.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Activity)
                                  .where(Activity.status == "done")) or 0


def test_offline_record_reload_sync_and_conflict(diary: Diary, phone: Page, artifacts: Path,  # noqa: F811
                                                 platform: Platform) -> None:
    leg = platform.dialect
    server = Server(create_app(platform))
    server.start()
    page = phone
    photo = artifacts / "la-lua.jpg"
    Image.new("RGB", (2400, 1800), (60, 150, 70)).save(photo, "JPEG")
    page.clock.set_fixed_time(TODAY)  # the same "today" as the server's clock
    try:
        page.goto(server.url + "/login?next=/diary")
        page.fill("#username", "t_farmer_a")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#page-title")).to_have_text("Nhật ký sản xuất")
        expect(page.locator("#diary-app")).to_have_attribute("data-ready", "1")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                               timeout=15000)
        expect(page.locator("#plots")).to_contain_text("Thửa A-001")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        before = _count(platform)

        # No network at all: the browser is offline and the server is gone.
        page.context.set_offline(True)
        server.stop()
        expect(page.locator("#net-status")).to_contain_text("ngoại tuyến")
        for n, (kind, qty) in enumerate([("fertilising", "45,5"), ("irrigation", ""),
                                         ("scouting", "")]):
            page.select_option("#f-plot", str(diary.plot_a.id))
            page.select_option("#f-kind", kind)
            if kind == "fertilising":
                page.select_option("#f-input", str(diary.urea.id))
                page.fill("#f-qty", qty)
                page.set_input_files("#f-photo", str(photo))
            page.fill("#f-notes", f"ghi khi mất mạng {n + 1}")
            page.click("#f-save")
            expect(page.locator("#queue-count")).to_have_text(str(n + 1))
        page.screenshot(path=str(artifacts / f"diary-offline-queue-{leg}.png"), full_page=True)

        page.reload()  # served by the service worker from its cache
        expect(page.locator("#diary-app")).to_have_attribute("data-ready", "1")
        expect(page.locator("#queue-count")).to_have_text("3")
        expect(page.locator("#recent li.pending")).to_have_count(3)
        expect(page.locator("#plots")).to_contain_text("Thửa A-001")  # cached data
        assert _count(platform) == before

        server.start()
        page.context.set_offline(False)  # the 'online' event syncs the queue
        expect(page.locator("#queue-count")).to_have_text("0", timeout=15000)
        expect(page.locator("#sync-message")).to_have_text("Đã đồng bộ")
        page.click("#sync-now")  # syncing again sends nothing twice
        expect(page.locator("#sync-message")).to_have_text("Đã đồng bộ")
        assert _count(platform) == before + 3
        with platform.uow() as uow:
            notes = sorted(uow.session.scalars(select(Activity.notes)
                                               .where(Activity.notes.like("ghi khi%"))).all())
            kg = uow.session.scalar(select(Activity.id).where(
                Activity.notes == "ghi khi mất mạng 1"))
        assert notes == ["ghi khi mất mạng 1", "ghi khi mất mạng 2", "ghi khi mất mạng 3"]
        with platform.uow() as uow:  # the photo waited offline too, made small on the phone
            photos = uow.session.execute(select(Photo.activity_id, Photo.width)).all()
        assert photos == [(kg, 1600)]
        page.screenshot(path=str(artifacts / f"diary-synced-{leg}.png"), full_page=True)

        # Another device edits the first record while this phone is offline again.
        item = page.locator("#recent li", has_text="ghi khi mất mạng 1")
        expect(item.locator("button.edit")).to_be_visible()
        page.context.set_offline(True)
        r = diary.actors.client.patch(f"/api/v1/diary/activities/{kg}", json={
            "base_version": 1, "notes": "sửa trên máy khác"},
            headers=diary.actors.headers("farmer_a"))
        assert r.status_code == 200 and r.json()["version"] == 2
        item.locator("button.edit").click()
        page.fill("#f-notes", "sửa trên điện thoại")
        page.click("#f-save")
        expect(page.locator("#queue-count")).to_have_text("1")
        page.context.set_offline(False)
        conflict = page.locator("#conflict-list li")
        expect(conflict).to_have_count(1, timeout=15000)
        expect(conflict.locator(".server-copy")).to_contain_text("sửa trên máy khác")
        expect(conflict.locator(".my-copy")).to_contain_text("sửa trên điện thoại")
        page.screenshot(path=str(artifacts / f"diary-conflict-{leg}.png"), full_page=True)
        with platform.uow() as uow:
            assert uow.session.get(Activity, kg).notes == "sửa trên máy khác"  # nothing lost
        conflict.locator("button.keep-mine").click()
        expect(page.locator("#conflicts")).to_be_hidden(timeout=15000)
        expect(page.locator("#queue-count")).to_have_text("0")
        with platform.uow() as uow:
            row = uow.session.get(Activity, kg)
            assert row.notes == "sửa trên điện thoại" and row.version == 3
        assert _count(platform) == before + 3
    finally:
        page.context.set_offline(False)
        server.stop()


def test_the_phone_warns_before_saving_a_banned_spray(diary: Diary, phone: Page,  # noqa: F811
                                                      live_server: str) -> None:
    page = phone
    page.clock.set_fixed_time(TODAY)
    page.goto(live_server + "/login?next=/diary")
    page.fill("#username", "t_farmer_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#diary-app")).to_have_attribute("data-ready", "1")
    page.select_option("#f-plot", str(diary.plot_a.id))
    page.select_option("#f-kind", "spraying")
    banned = page.locator(f"#f-input option[value='{diary.carbendazim.id}']")
    expect(banned).to_contain_text("cấm từ 03/01/2019")  # the input list marks the ban
    page.select_option("#f-input", str(diary.carbendazim.id))
    page.fill("#f-qty", "1")
    page.select_option("#f-unit", "L")
    page.click("#f-save")
    warning = page.locator("#f-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Dùng hoạt chất bị cấm")
    expect(warning).to_contain_text("03/QĐ-BNN-BVTV")
    expect(page.locator("#queue-count")).to_have_text("0")  # nothing queued yet
    page.click("#f-warning-save")
    expect(page.locator("#recent")).to_contain_text("banned-ingredient")
