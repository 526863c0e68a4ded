"""The co-op manager in a real browser: record one spray on the member plots, import an Excel
diary with an error (nothing stored, the row and column shown), then the farmer confirms."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from nongso.core.platform import Platform
from nongso.diary import excel
from nongso.diary.models import Purchase
from tests.diary.conftest import TODAY, Diary, diary, fixed_clock  # noqa: F401
from tests.helpers import PASSWORD


def _file(tmp: Path, rows: list[list[object]]) -> Path:
    wb = load_workbook(io.BytesIO(excel.template_xlsx(example=False)))
    ws = wb["Nhật ký"]
    for r, values in enumerate(rows, start=5):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
    path = tmp / "nhat-ky.xlsx"
    wb.save(path)
    return path


def _login(page: Page, url: str, user: str, next_path: str) -> None:
    page.goto(f"{url}/login?next={next_path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def test_coop_bulk_import_and_farmer_confirmation(diary: Diary, live_server: str,  # noqa: F811
                                                  desktop: Page, phone: Page, artifacts: Path,
                                                  platform: Platform, tmp_path: Path) -> None:
    leg = platform.dialect
    page = desktop
    page.clock.set_fixed_time(TODAY)
    _login(page, live_server, "t_coop_a", "/diary/coop?season=dong_xuan:2025-2026")
    expect(page.locator("#page-title")).to_contain_text("HTX Thử nghiệm A")
    page.click("#bulk-box summary")
    page.select_option("#bulk-form select[name=kind]", "spraying")
    page.fill("#bulk-form input[name=day]", "2026-02-10")
    page.select_option("#bulk-form select[name=input_id]", str(diary.pymetrozine.id))
    page.fill("#bulk-form input[name=quantity_per_ha]", "0,3")
    boxes = page.locator("#bulk-form input[name=plot_ids]")
    expect(boxes).to_have_count(2)
    assert not any(b.is_checked() for b in boxes.all())  # no plot is ticked by default
    for box in boxes.all():
        box.check()
    page.click("#bulk-form button[type=submit]")
    expect(page.locator("#bulk-done")).to_contain_text("Đã ghi cho 2")
    assert diary.activity_count() == 2
    page.screenshot(path=str(artifacts / f"diary-coop-{leg}.png"), full_page=True)

    page.click("#purchase-box summary")
    page.select_option("#purchase-form select[name=input_id]", str(diary.pymetrozine.id))
    page.select_option("#purchase-form select[name=dealer_id]", str(diary.dealer.id))
    page.fill("#purchase-form input[name=purchased_on]", "2026-02-01")
    page.fill("#purchase-form input[name=quantity]", "2,5")
    page.fill("#purchase-form input[name=lot]", "L2602-11")
    page.click("#purchase-form button[type=submit]")
    expect(page.locator("#bought")).to_be_visible()
    with platform.uow() as uow:
        bought = uow.session.execute(select(Purchase.quantity_base, Purchase.lot,
                                            Purchase.organisation_id)).all()
    assert bought == [(2.5, "L2602-11", diary.actors.coop_a.id)]

    bad = _file(tmp_path, [["A-001", "Đông Xuân 2025-2026", "12/02/2026", "Tưới nước"],
                           ["A-002", "Đông Xuân 2025-2026", "30/02/2026", "Tưới nước"]])
    page.click("#import-box summary")
    page.set_input_files("#import-form input[type=file]", str(bad))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-errors")).to_contain_text(
        "Dòng 6, cột Ngày thực hiện: ngày không hợp lệ")
    assert diary.activity_count() == 2
    page.go_back()
    page.click("#import-box summary")
    page.set_input_files("#import-form input[type=file]", str(bad))
    page.check("#import-form input[name=mode]")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#rows-imported")).to_have_text("1")
    assert diary.activity_count() == 3

    farmer = phone
    farmer.clock.set_fixed_time(TODAY)
    _login(farmer, live_server, "t_farmer_a", "/diary")
    expect(farmer.locator("#proposed li")).to_have_count(2)
    farmer.locator("#proposed li button.confirm").first.click()
    expect(farmer.locator("#proposed li")).to_have_count(1)
    farmer.screenshot(path=str(artifacts / f"diary-farmer-confirm-{leg}.png"), full_page=True)
