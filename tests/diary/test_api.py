"""The diary's HTTP API: CRUD contracts, bad input (nothing stored), sync, bulk, reports."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from nongso.alerts.models import Alert
from nongso.core.permissions import SYSTEM
from nongso.diary.models import Activity, Flag, Photo, Plot, Season
from nongso.registry import services as registry
from nongso.registry.schemas import ProductionUnitUpdate
from nongso.trace.models import Lot
from tests.diary.conftest import Diary, _unit
from tests.helpers import Actors, ApiCrudContract, assert_problem, count_queries

API = "/api/v1/diary"


class TestInputsApi(ApiCrudContract):
    path = f"{API}/inputs"
    writer = "admin"
    denied = "farmer_a"
    reader = "admin"
    update_field = "name"

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"kind": "fertiliser", "name": f"Phân bón thử số {n}", "n_pct": 16,
                "p2o5_pct": 16, "k2o_pct": 8}


class TestPlotsApi(ApiCrudContract):
    path = f"{API}/plots"
    writer = "admin"
    denied = "commune_b"
    reader = "admin"
    update_field = "name"
    denied_write_status = 404  # another commune's plots are not visible to its officer

    def make_payload(self, actors: Actors, n: int) -> dict[str, Any]:
        return {"farmer_id": actors.farmer_a.id, "code": f"P-{n:04d}", "name": f"Ruộng {n}",
                "area_ha": 1.25, "crop": "rice"}


@pytest.mark.parametrize(("how", "vi", "en"), [
    ("deleted", "đã bị xoá khỏi sổ đăng ký", "was deleted from the registry"),
    ("retired", "đã ngừng hoạt động", "is retired or no longer valid"),
    ("expired", "hết hiệu lực", "is retired or no longer valid"),
])
def test_no_new_plot_on_a_deleted_or_retired_production_unit(
        diary: Diary, how: str, vi: str, en: str) -> None:
    a = diary.actors
    admin = a.platform.uow(SYSTEM)
    unit = _unit(a.platform, a.farmer_a.id, a.coop_a.id, a.commune_a, f"A-{how}", 0.5)
    if how == "deleted":
        registry.delete_production_unit(admin, unit)
    elif how == "retired":
        registry.update_production_unit(admin, unit, ProductionUnitUpdate(status="retired"))
    else:  # still "active", but its validity ended before today (20/03/2026)
        registry.update_production_unit(admin, unit,
                                        ProductionUnitUpdate(valid_to=dt.date(2026, 1, 31)))

    def plots() -> int:
        with a.platform.uow() as uow:
            return uow.session.scalar(select(func.count()).select_from(Plot)) or 0

    before = plots()
    for lang, text in (("vi", vi), ("en", en)):
        r = a.client.post(f"{API}/plots", json={"production_unit_id": unit}, headers={
            **a.headers("farmer_a"), "Accept-Language": lang})
        body = assert_problem(r, 422)
        assert text in body["detail"] and f"#{unit}" in body["detail"], body
        assert [e["loc"] for e in body["errors"]] == ["production_unit_id"]
    assert plots() == before
    # An active unit of the same farmer still takes a new plot.
    fresh = _unit(a.platform, a.farmer_a.id, a.coop_a.id, a.commune_a, f"A-{how}-2", 0.5)
    r = a.client.post(f"{API}/plots", json={"production_unit_id": fresh},
                      headers=a.headers("farmer_a"))
    assert r.status_code == 201, r.text
    assert r.json()["production_unit_id"] == fresh and plots() == before + 1


def post(d: Diary, body: dict[str, Any], who: str = "farmer_a", lang: str = "vi") -> Any:
    return d.actors.client.post(f"{API}/activities", json=body, headers={
        **d.actors.headers(who), "Accept-Language": lang})


def spray(d: Diary, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"season_id": d.season_a.id, "kind": "spraying",
                            "at": "2026-01-18T07:30:00+07:00",
                            "inputs": [{"input_id": d.pymetrozine.id, "quantity": 0.36,
                                        "unit": "kg"}]}
    body.update(kw)
    return body


@pytest.mark.parametrize("case", [
    "future", "harvest_before_sowing", "negative", "unknown_unit", "not_a_pesticide",
    "other_farmers_plot", "wrong_dimension", "unknown_input"])
def test_bad_activities_are_refused_and_nothing_is_stored(diary: Diary, case: str) -> None:
    d = diary
    before = d.activity_count()
    if case == "future":
        r = post(d, spray(d, at="2026-03-25T07:00:00+07:00"))
        body = assert_problem(r, 422)
        assert "tương lai" in body["detail"] and body["errors"][0]["loc"] == "at"
    elif case == "harvest_before_sowing":
        r = post(d, {"season_id": d.season_a.id, "kind": "harvest", "at": "2025-11-30",
                     "quantity": 7000, "unit": "kg"})
        assert "trước ngày gieo sạ" in assert_problem(r, 422)["detail"]
    elif case == "negative":
        r = post(d, spray(d, inputs=[{"input_id": d.pymetrozine.id, "quantity": -1,
                                      "unit": "kg"}]))
        body = assert_problem(r, 422)
        assert body["errors"][0]["loc"] == "body/inputs/0/quantity"
    elif case == "unknown_unit":
        r = post(d, spray(d, inputs=[{"input_id": d.pymetrozine.id, "quantity": 1,
                                      "unit": "thùng"}]), lang="en")
        body = assert_problem(r, 422)
        assert "not supported" in body["detail"] and body["errors"][0]["loc"] == "inputs/0/unit"
    elif case == "not_a_pesticide":
        r = post(d, spray(d, inputs=[{"input_id": d.urea.id, "quantity": 50, "unit": "kg"}]))
        assert "không phải là thuốc BVTV" in assert_problem(r, 422)["detail"]
    elif case == "other_farmers_plot":
        r = post(d, spray(d, season_id=d.season_b.id))
        body = assert_problem(r, 404)  # another farmer's season is not even shown to exist
        assert body["type"].endswith("/not-found") and f"vụ «{d.season_b.id}»" in body["detail"]
        r2 = post(d, {"plot_id": d.plot_b.id, "kind": "irrigation", "at": "2026-03-01"})
        assert_problem(r2, 404)
    elif case == "wrong_dimension":
        r = post(d, spray(d, inputs=[{"input_id": d.pymetrozine.id, "quantity": 1,
                                      "unit": "L"}]))
        assert assert_problem(r, 422)["detail"] == ("«Rầy Sạch 50WG» tính theo kg; "
                                                    "không đổi được từ L.")
    elif case == "unknown_input":
        r = post(d, spray(d, inputs=[{"input_id": 987654, "quantity": 1, "unit": "kg"}]))
        assert "987654" in assert_problem(r, 422)["detail"]
    assert d.activity_count() == before


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 160, 60)).save(out, "JPEG")
    return out.getvalue()


def test_photos_images_only_and_size_limit(diary: Diary) -> None:
    d = diary
    r = post(d, spray(d))
    assert r.status_code == 201
    aid = r.json()["id"]
    h = d.actors.headers("farmer_a")
    r = d.actors.client.post(f"{API}/activities/{aid}/photos", headers=h,
                             files={"photo": ("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")})
    assert "không phải là ảnh" in assert_problem(r, 415)["detail"]
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)
    r = d.actors.client.post(f"{API}/activities/{aid}/photos", headers=h,
                             files={"photo": ("big.jpg", big, "image/jpeg")})
    assert_problem(r, 413)
    with d.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Photo)) == 0
    r = d.actors.client.post(f"{API}/activities/{aid}/photos", headers=h,
                             files={"photo": ("la.jpg", _jpeg(), "image/jpeg")},
                             data={"client_uuid": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    photo = d.actors.client.get(f"{API}/photos/{r.json()['id']}", headers=h)
    assert photo.headers["content-type"] == "image/jpeg" and photo.content[:2] == b"\xff\xd8"
    assert d.actors.client.get(f"{API}/photos/{r.json()['id']}",
                               headers=d.actors.headers("commune_b")).status_code == 404


def test_same_client_uuid_never_duplicates(diary: Diary) -> None:
    d = diary
    key = str(uuid.uuid4())
    first = post(d, spray(d, client_uuid=key))
    again = post(d, spray(d, client_uuid=key))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    r = d.actors.client.post(f"{API}/sync", headers=d.actors.headers("farmer_a"), json={"ops": [
        {"op": "create", "client_uuid": key, "create": spray(d)}]})
    assert r.json()["items"][0]["status"] == "duplicate"
    assert d.activity_count() == 1


def test_sync_applies_reports_errors_and_conflicts(diary: Diary) -> None:
    d = diary
    h = d.actors.headers("farmer_a")
    a, b, bad = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    r = d.actors.client.post(f"{API}/sync", headers=h, json={"ops": [
        {"op": "create", "client_uuid": a, "create": spray(d)},
        {"op": "create", "client_uuid": b, "create": {"plot_id": d.plot_a.id,
                                                       "kind": "irrigation", "at": "2026-03-01"}},
        {"op": "create", "client_uuid": bad, "create": {"plot_id": d.plot_a.id,
                                                         "kind": "irrigation",
                                                         "at": "2027-01-01"}},
    ]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["status"] for i in body["items"]] == ["applied", "applied", "error"]
    assert body["items"][2]["errors"][0]["loc"] == "at"
    assert d.activity_count() == 2
    # Device 1 edits from version 1; device 2 edits from version 1 too: a conflict.
    one = d.actors.client.post(f"{API}/sync", headers=h, json={"ops": [
        {"op": "update", "client_uuid": b, "base_version": 1, "update": {"notes": "máy 1"}}]})
    assert one.json()["items"][0]["status"] == "applied"
    two = d.actors.client.post(f"{API}/sync", headers=h, json={"ops": [
        {"op": "update", "client_uuid": b, "base_version": 1, "update": {"notes": "máy 2"}}]})
    item = two.json()["items"][0]
    assert item["status"] == "conflict" and item["server"]["notes"] == "máy 1"
    assert item["server"]["version"] == 2
    r = d.actors.client.patch(f"{API}/activities/{item['server']['id']}", headers=h,
                              json={"base_version": 1, "notes": "máy 2"})
    assert_problem(r, 409)
    assert d.actors.client.get(f"{API}/activities/{item['server']['id']}",
                               headers=h).json()["notes"] == "máy 1"


def test_compliance_flags_report_and_certification(diary: Diary) -> None:
    d = diary
    h = d.actors.headers("farmer_a")
    ok = post(d, spray(d))  # 0.3 kg/ha of a 0.4 max: fine
    assert ok.json()["flags"] == []
    banned_spray = spray(d, at="2025-12-20T07:00:00+07:00", inputs=[
        {"input_id": d.carbendazim.id, "quantity": 1.2, "unit": "L"}])
    # Evaluated before saving: a structured warning, nothing saved, until confirmed.
    warned = post(d, banned_spray)
    problem = assert_problem(warned, 409)
    assert problem["confirm_with"] == "confirm_flags" and "Chưa lưu" in problem["detail"]
    flag = problem["flags"][0]
    assert flag["rule_id"] == "banned-ingredient" and "03/QĐ-BNN-BVTV" in flag["source"]
    assert "carbendazim" in flag["message_vi"] and flag["advice_vi"] and flag["advice_en"]
    assert d.actors.client.get(f"{API}/activities", headers=h, params={
        "kind": "spraying"}).json()["total"] == 1  # only the clean spray
    old = post(d, {**banned_spray, "confirm_flags": True})
    assert old.status_code == 201 and set(old.json()["flags"]) == {"banned-ingredient"}
    over = post(d, spray(d, at="2026-02-27T07:00:00+07:00", confirm_flags=True, inputs=[
        {"input_id": d.pymetrozine.id, "quantity": 600, "unit": "g"}]))
    assert over.json()["flags"] == ["dose-above-label"]
    season = d.actors.client.get(f"{API}/seasons/{d.season_a.id}", headers=h).json()
    assert season["safe_harvest_date"] == "2026-03-13"  # 27/02 + 14 days
    early = post(d, {"season_id": d.season_a.id, "kind": "harvest", "at": "2026-03-10",
                     "quantity": 8500, "unit": "kg", "confirm_flags": True})
    assert early.json()["flags"] == ["pre-harvest-interval"]
    report = d.actors.client.get(f"{API}/seasons/{d.season_a.id}/report",
                                 headers=d.actors.headers("inspector")).json()
    assert not report["compliant"]
    rules = [f["rule_id"] for f in report["flags"]]
    assert rules == ["banned-ingredient", "dose-above-label", "pre-harvest-interval"]
    banned = report["flags"][0]
    assert "03/QĐ-BNN-BVTV" in banned["source"] and "03/01/2019" in banned["message"]
    assert "TCVN 11892-1:2017" in report["flags"][2]["source"]
    r = d.actors.client.post(f"{API}/seasons/{d.season_a.id}/certify",
                             headers=d.actors.headers("coop_a"))
    assert "vi phạm" in assert_problem(r, 409)["detail"]
    # A clean season can be certified.
    r = d.actors.client.post(f"{API}/seasons/{d.season_b.id}/certify",
                             headers=d.actors.headers("inspector"))
    assert r.status_code == 200 and r.json()["certified"]
    # Editing the overdose down clears its flag.
    d.actors.client.patch(f"{API}/activities/{over.json()['id']}", headers=h, json={
        "inputs": [{"input_id": d.pymetrozine.id, "quantity": 400, "unit": "g"}]})
    with d.platform.uow() as uow:
        assert set(uow.session.scalars(select(Flag.rule_id)).all()) == {
            "banned-ingredient", "pre-harvest-interval"}
    home = d.actors.client.get(f"{API}/me", headers=h).json()
    card = next(c for c in home["plots"] if c["plot"]["id"] == d.plot_a.id)
    assert card["safe_harvest_date"] == "2026-03-13" and card["safe_to_harvest_today"]


def test_coop_bulk_record_then_farmer_confirms(diary: Diary) -> None:
    d = diary
    body = {"client_uuid": str(uuid.uuid4()), "plot_ids": [d.plot_a.id, d.plot_a2.id],
            "kind": "spraying", "at": "2026-02-10T07:00:00+07:00", "pest": "đạo ôn",
            "inputs": [{"input_id": d.pymetrozine.id, "quantity_per_ha": 0.3, "unit": "kg"}]}
    coop = d.actors.headers("coop_a")
    r = d.actors.client.post(f"{API}/activities/bulk", headers=coop, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 2
    again = d.actors.client.post(f"{API}/activities/bulk", headers=coop, json=body)
    assert again.json()["created"] == 0 and again.json()["already_recorded"] == 2
    assert d.activity_count() == 2
    # A plot of another co-operative refuses the whole batch.
    bad = dict(body, client_uuid=str(uuid.uuid4()), plot_ids=[d.plot_a.id, d.plot_b.id])
    assert_problem(d.actors.client.post(f"{API}/activities/bulk", headers=coop, json=bad), 422)
    assert d.activity_count() == 2
    home = d.actors.client.get(f"{API}/me", headers=d.actors.headers("farmer_a")).json()
    proposed = {a["plot_id"]: a for a in home["proposed"]}
    assert set(proposed) == {d.plot_a.id, d.plot_a2.id}
    assert proposed[d.plot_a.id]["inputs"][0]["quantity"] == pytest.approx(0.36)  # 1.2 ha
    first = proposed[d.plot_a.id]["id"]
    r = d.actors.client.post(f"{API}/activities/{first}/confirm",
                             headers=d.actors.headers("farmer_a"),
                             json={"notes": "đã phun, thêm chất bám dính"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert r.json()["notes"] == "đã phun, thêm chất bám dính" and r.json()["confirmed_at"]
    assert_problem(d.actors.client.post(f"{API}/activities/{first}/confirm",
                                        headers=d.actors.headers("farmer_a")), 409)


def test_coop_and_area_views_use_season_figures(diary: Diary) -> None:
    d = diary
    post(d, {"season_id": d.season_a.id, "kind": "harvest", "at": "2026-03-12",
             "quantity": 8.4, "unit": "t"})
    post(d, {"season_id": d.season_b.id, "kind": "harvest", "at": "2026-03-12",
             "quantity": 12000, "unit": "kg"}, who="admin")
    post(d, spray(d))
    coop = d.actors.client.get(f"{API}/coops/{d.actors.coop_a.id}/summary",
                               params={"season": "dong_xuan:2025-2026"},
                               headers=d.actors.headers("coop_a")).json()
    assert coop["season_name"] == "Đông Xuân 2025-2026" and coop["seasons"] == 2
    assert coop["yield_t_ha"] == pytest.approx(7.0)  # 8.4 t on 1.2 ha
    assert coop["commune_yield_t_ha"] == pytest.approx(7.0)
    assert coop["inputs"][0]["name"] == "Rầy Sạch 50WG" and coop["inputs"][0]["per_ha"] == 0.3
    assert_problem(d.actors.client.get(f"{API}/coops/{d.actors.coop_b.id}/summary",
                                       params={"season": "dong_xuan:2025-2026"},
                                       headers=d.actors.headers("coop_a")), 404)
    agg = d.actors.client.get(f"{API}/aggregates", params={"unit": "82"},
                              headers=d.actors.headers("buyer")).json()
    rows = {r["commune_code"]: r for r in agg["rows"]}
    assert rows[d.actors.commune_a.__str__()]["harvest_t"] == pytest.approx(8.4)
    assert rows[d.actors.commune_b]["yield_t_ha"] == pytest.approx(6.0)
    assert "farmer" not in str(agg).lower()
    # The kept figures equal a plain GROUP BY over the activities.
    with d.platform.uow() as uow:
        plain = dict(uow.session.execute(
            select(Activity.season_id, func.count()).where(Activity.status != "planned")
            .group_by(Activity.season_id)).all())
        kept = dict(uow.session.execute(select(Season.id, Season.activities_count)).all())
    assert {k: v for k, v in kept.items() if v} == plain


def test_list_activities_has_no_n_plus_one(diary: Diary) -> None:
    d = diary
    for n in range(8):
        post(d, spray(d, at=f"2026-01-{10 + n:02d}T07:00:00+07:00", notes=f"lần {n}"))
    h = d.actors.headers("farmer_a")
    d.actors.client.get(f"{API}/activities", params={"limit": 1}, headers=h)
    with count_queries(d.platform.engine) as small:
        d.actors.client.get(f"{API}/activities", params={"limit": 2}, headers=h)
    with count_queries(d.platform.engine) as large:
        r = d.actors.client.get(f"{API}/activities", params={"limit": 8}, headers=h)
    assert len(r.json()["items"]) == 8
    assert large.count == small.count


def test_permissions_by_role(diary: Diary) -> None:
    d = diary
    post(d, spray(d))
    c = d.actors.client

    def total(who: str | None) -> int | None:
        r = c.get(f"{API}/activities", headers=d.actors.headers(who))
        return r.json()["total"] if r.status_code == 200 else r.status_code

    assert total("farmer_a") == 1 and total("coop_a") == 1 and total("commune_a") == 1
    assert total("commune_b") == 0 and total("province") == 1 and total("inspector") == 1
    assert total("other_province") == 0
    assert total("buyer") == 403 and total(None) == 401
    # Officers read but do not write.
    assert_problem(post(d, spray(d), who="commune_a"), 403)


def test_seasons_crossing_a_year_and_templates(diary: Diary) -> None:
    d = diary
    h = d.actors.headers("farmer_a")
    r = d.actors.client.post(f"{API}/seasons", headers=h, json={
        "plot_id": d.plot_a2.id, "season_kind": "he_thu", "sowing_date": "2026-04-20",
        "template_code": "lua-3-vu"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Hè Thu 2026" and r.json()["season_key"] == "he_thu:2026"
    r = d.actors.client.post(f"{API}/seasons", headers=h, json={
        "plot_id": d.plot_a2.id, "season_kind": "dong_xuan", "sowing_date": "2026-01-04"})
    assert_problem(r, 409)  # Đông Xuân 2025-2026 exists already (sown in January: same)
    planned = d.actors.client.get(f"{API}/activities", params={"status": "planned",
                                                               "limit": 100}, headers=h).json()
    assert planned["total"] == 15
    sowing = next(a for a in planned["items"] if a["kind"] == "sowing")
    assert sowing["inputs"][0]["name"] == "Lúa giống OM5451 xác nhận"
    assert sowing["inputs"][0]["quantity"] == pytest.approx(80.0)  # 100 kg/ha x 0.8 ha
    assert d.actors.client.get(f"{API}/templates").json()[0]["code"] == "lua-3-vu"


def test_record_book_exports_are_readable(diary: Diary) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    d = diary
    post(d, spray(d, at="2025-12-20T07:00:00+07:00", inputs=[
        {"input_id": d.carbendazim.id, "quantity": 1.2, "unit": "L"}], pest="lem lép hạt",
        confirm_flags=True))
    post(d, {"season_id": d.season_a.id, "kind": "harvest", "at": "2026-03-12",
             "quantity": 8400, "unit": "kg", "moisture_pct": 24})
    h = d.actors.headers("coop_a")
    r = d.actors.client.get(f"{API}/seasons/{d.season_a.id}/record-book.xlsx", headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Thông tin chung", "Mua vật tư", "Phân bón - giống", "Thuốc BVTV",
                             "Công việc khác", "Thu hoạch - bán", "Vi phạm"]
    pest = list(wb["Thuốc BVTV"].iter_rows(values_only=True))
    assert pest[1][2] == "Vàng Lá 500SC" and "Carbendazim 500 g/L" in pest[1][3]
    assert "banned-ingredient" in pest[1][10]
    general = {row[0]: row[1] for row in wb["Thông tin chung"].iter_rows(min_row=2,
                                                                          values_only=True)}
    assert general["Vụ / Season"] == "Đông Xuân 2025-2026"
    # Weighed fresh at 24 %: the book keeps the fresh weight and reports dry paddy at 14 %.
    assert general["Sản lượng tươi khi cân (kg) / Harvest, fresh as weighed"] == "8.400"
    assert general["Sản lượng quy khô 14 % (kg) / Harvest, dry paddy at 14 %"] == "7.423,3"
    assert general["Năng suất lúa khô 14 % (t/ha) / Yield, dry paddy at 14 %"] == "6,19"
    harvest = list(wb["Thu hoạch - bán"].iter_rows(values_only=True))
    assert harvest[1][2:5] == (8400, 24, 7423.3)
    r = d.actors.client.get(f"{API}/seasons/{d.season_a.id}/record-book.pdf", headers=h)
    assert r.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
                    .split())
    assert "SỔ NHẬT KÝ SẢN XUẤT" in text and "Đông Xuân 2025-2026" in text
    assert "Dùng hoạt chất bị cấm" in text and "Nguyễn Văn Thử" in text
    summary = d.actors.client.get(f"{API}/coops/{d.actors.coop_a.id}/harvest.xlsx",
                                  params={"season": "dong_xuan:2025-2026"}, headers=h)
    rows = list(load_workbook(io.BytesIO(summary.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "Mã thửa" and rows[2][0] == "A-001"
    assert rows[2][5:8] == (8400, pytest.approx(7423.256), pytest.approx(6.186))
    inputs = d.actors.client.get(f"{API}/coops/{d.actors.coop_a.id}/input-use.xlsx",
                                 params={"season": "dong_xuan:2025-2026"}, headers=h)
    rows = list(load_workbook(io.BytesIO(inputs.content)).active.iter_rows(values_only=True))
    assert rows[2][0] == "Vàng Lá 500SC" and rows[2][2] == 1.2
    assert d.actors.client.get(f"{API}/seasons/{d.season_a.id}/record-book.pdf",
                               headers=d.actors.headers("commune_b")).status_code == 404


def test_dates_time_zone(diary: Diary) -> None:
    r = post(diary, {"season_id": diary.season_a.id, "kind": "irrigation",
                     "at": "2026-03-01T06:00:00"})
    assert r.json()["at"].startswith("2026-02-28T23:00:00")  # 06:00 Vietnam time, in UTC
    assert dt.date(2026, 3, 1)


def test_brown_planthopper_scouting_is_checked_against_the_stage_threshold(
        diary: Diary) -> None:
    d = diary  # season_a: rice sown on 05/12/2025
    h = d.actors.headers("farmer_a")

    def scouting(at: str, density: float, **kw: Any) -> dict[str, Any]:
        return {"season_id": d.season_a.id, "kind": "scouting", "at": at, "pest": "Rầy nâu",
                "density_per_m2": density, **kw}

    # Day 45 (stem elongation): 1,200/m² reaches 1,000/m²: an observation, saved at once with
    # its advisory warning (no confirmation asked) and the commune's pest alert raised.
    saved = post(d, scouting("2026-01-19T08:00:00+07:00", 1200))
    assert saved.status_code == 201, saved.text
    assert saved.json()["flags"] == ["pest-threshold-reached"]
    r = d.actors.client.get(f"{API}/seasons/{d.season_a.id}/report",
                            headers=d.actors.headers("inspector"))
    flag = r.json()["flags"][0]
    assert flag["rule_id"] == "pest-threshold-reached" and flag["severity"] == "warning"
    assert "phun thuốc là hợp lý" in flag["message"] and "1000 con/m²" in flag["message"]
    assert "agronomy.md" in flag["source"]
    with d.platform.uow() as uow:
        raised = uow.session.scalars(select(Alert).where(
            Alert.rule_id == "pest.scouting_threshold")).all()
        assert [(a.status, a.key) for a in raised] == [
            ("raised", f"diary.pest:{d.actors.commune_a}:brown_planthopper:")]
        assert "Rầy nâu" in raised[0].headline_vi and "1200" in raised[0].headline_vi
    with d.platform.uow() as uow:
        lots = uow.session.scalars(select(Lot).where(Lot.status == "held")).all()
        assert lots == []
    # Below the threshold, and 1,500/m² after heading (day 75, 2,000/m²): nothing to confirm.
    below = post(d, scouting("2026-01-20T08:00:00+07:00", 800))
    assert below.status_code == 201 and below.json()["flags"] == []
    late = post(d, scouting("2026-02-18T08:00:00+07:00", 1500))
    assert late.status_code == 201 and late.json()["flags"] == []
    # An advisory, not a violation: the season stays compliant.
    season = d.actors.client.get(f"{API}/seasons/{d.season_a.id}", headers=h).json()
    assert season["flags_count"] == 0
    report = d.actors.client.get(f"{API}/seasons/{d.season_a.id}/report",
                                 headers=d.actors.headers("inspector")).json()
    assert report["compliant"]
    assert [f["rule_id"] for f in report["flags"]] == ["pest-threshold-reached"]
