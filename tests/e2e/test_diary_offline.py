"""The farmer's diary offline in headless Chromium: record three activities with no network,
reload, come back online, sync, and the server has exactly three; an edit made meanwhile on
another device comes back as a visible conflict that the farmer resolves."""

from __future__ import annotations

import datetime as dt
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


def test_a_refused_record_is_corrected_and_resent_or_discarded(diary: Diary, phone: Page,  # noqa: F811
                                                               live_server: str,
                                                               platform: Platform) -> None:
    """The phone's clock runs three days ahead of the server's: what it calls today is the
    server's future, so the server refuses it. The refusal is shown once, the status says so,
    the farmer corrects one record (it is sent again) and discards the other; then deletes the
    corrected one from the phone."""
    page = phone
    page.on("dialog", lambda d: d.accept())  # "discard/delete this record?"
    page.clock.set_fixed_time(TODAY + dt.timedelta(days=3))
    page.goto(live_server + "/login?next=/diary")
    page.fill("#username", "t_farmer_a")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#diary-app")).to_have_attribute("data-ready", "1")
    before = _count(platform)

    # The form checks what it can before queueing: no date after the phone's today.
    page.select_option("#f-plot", str(diary.plot_a.id))
    page.evaluate("document.getElementById('f-date').removeAttribute('max')")
    page.fill("#f-date", "2026-03-24")
    page.click("#f-save")
    expect(page.locator("#form-error")).to_contain_text("không được sau hôm nay")
    assert page.locator("#queue-count").inner_text() == "0"
    page.fill("#f-date", "2026-03-23")  # the phone's today, the server's future

    for note in ["ngày sai 1", "ngày sai 2"]:
        page.select_option("#f-plot", str(diary.plot_a.id))
        page.select_option("#f-kind", "irrigation")
        page.fill("#f-notes", note)
        page.click("#f-save")
        saved = page.locator("#f-saved")
        expect(saved).to_be_focused()  # the confirmation is where the farmer is looking
        expect(saved).to_contain_text("từ chối")
    refused = page.locator("#refused-list li")
    expect(refused).to_have_count(2)
    expect(page.locator("#queue-count")).to_have_text("0")
    message = page.locator("#sync-message")
    expect(message).to_contain_text("2 bản ghi bị máy chủ từ chối")
    expect(message).not_to_contain_text("Đã đồng bộ")
    first = refused.filter(has_text="ngày sai 1")
    expect(first.locator(".refusal")).to_contain_text("ở tương lai")
    assert page.locator("#diary-app").inner_text().count("ở tương lai") == 2  # once per record
    page.click("#sync-now")  # a refused record is not sent again as it is
    expect(message).to_contain_text("2 bản ghi bị máy chủ từ chối")
    page.reload()
    expect(page.locator("#diary-app")).to_have_attribute("data-ready", "1")
    expect(refused).to_have_count(2)
    expect(message).to_contain_text("2 bản ghi bị máy chủ từ chối")
    assert _count(platform) == before

    first.locator("button.fix").click()
    expect(page.locator("#form-title")).to_have_text("Sửa bản ghi bị từ chối")
    assert page.locator("#f-notes").input_value() == "ngày sai 1"
    page.fill("#f-date", "2026-03-19")
    page.click("#f-save")
    expect(page.locator("#f-saved")).to_have_text("Đã lưu và gửi lên máy chủ.")
    expect(refused).to_have_count(1)
    expect(message).to_contain_text("1 bản ghi bị máy chủ từ chối")
    with platform.uow() as uow:
        row = uow.session.scalars(select(Activity).where(Activity.notes == "ngày sai 1")).one()
        assert row.at.astimezone(dt.UTC).date() <= dt.date(2026, 3, 19)
    assert _count(platform) == before + 1

    refused.locator("button.discard").click()
    expect(page.locator("#refused")).to_be_hidden()
    expect(message).to_have_text("Đã đồng bộ")
    page.click("#sync-now")
    expect(message).to_have_text("Đã đồng bộ")
    assert _count(platform) == before + 1  # the discarded one never reached the server

    item = page.locator("#recent li", has_text="ngày sai 1")
    item.locator("button.delete").click()
    expect(page.locator("#recent li", has_text="ngày sai 1")).to_have_count(0)
    expect(page.locator("#queue-count")).to_have_text("0")
    assert _count(platform) == before
