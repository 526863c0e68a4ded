"""Data entry by commune officers, and the approval workflow commune -> province."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from nongso.core.audit import AuditEntry
from nongso.core.permissions import SYSTEM
from nongso.stats import services
from tests.helpers import Actors, assert_problem
from tests.stats.conftest import DX, Farm, add_unit
from tests.stats.helpers import put


def _form(client: TestClient, actors: Actors, who: str, dataset: str, period: str,
          unit: str) -> dict[str, object]:
    r = client.get(f"/api/v1/stats/forms/{dataset}/{period}/{unit}", headers=actors.headers(who))
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _save(client: TestClient, actors: Actors, who: str, values: list[dict[str, object]],
          dataset: str = "livestock", period: str = "2026Q1", unit: str | None = None,
          lang: str = "vi") -> object:
    return client.put("/api/v1/stats/forms", json={
        "dataset": dataset, "period": period, "org_unit": unit or actors.commune_a,
        "values": values}, headers={**actors.headers(who), "Accept-Language": lang})


def _act(client: TestClient, actors: Actors, who: str, action: str, unit: str,
         dataset: str = "livestock", period: str = "2026Q1", comment: str | None = None
         ) -> object:
    return client.post(f"/api/v1/stats/reports/{dataset}/{period}/{unit}/{action}",
                       json={"comment": comment}, headers=actors.headers(who))


def test_commune_officer_types_livestock_blank_and_zero_and_bad_cells(
        actors: Actors, client: TestClient) -> None:
    r = _save(client, actors, "commune_a", [
        {"element": "livestock_heads", "coc": "pig", "value": 1200},
        {"element": "livestock_heads", "coc": "cattle", "value": 0}])
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    cells = {c["coc"]: c for c in r.json()["cells"]}  # type: ignore[attr-defined]
    assert cells["pig"]["value"] == 1200 and cells["pig"]["source"] == "manual"
    assert cells["cattle"]["value"] == 0  # a zero is a figure
    assert cells["buffalo"]["value"] is None and cells["buffalo"]["editable"]
    r = _save(client, actors, "commune_a", [{"element": "livestock_heads", "coc": "cattle",
                                             "value": None}])
    cells = {c["coc"]: c for c in r.json()["cells"]}  # type: ignore[attr-defined]
    assert cells["cattle"]["value"] is None  # blank removes it
    bad = _save(client, actors, "commune_a", [
        {"element": "livestock_heads", "coc": "pig", "value": -3},
        {"element": "livestock_heads", "coc": "elephant", "value": 1},
        {"element": "sown_area", "coc": "rice", "value": 1}])
    body = assert_problem(bad, 422)
    assert [e["loc"] for e in body["errors"]] == ["values/0/value", "values/1/coc",
                                                  "values/2/element"]
    assert "âm" in body["errors"][0]["message"]
    form = _form(client, actors, "commune_a", "livestock", "2026Q1", actors.commune_a)
    assert {c["coc"]: c["value"] for c in form["cells"]}["pig"] == 1200  # type: ignore
    # Another commune's officer, a farmer, a wrong period type.
    assert _save(client, actors, "commune_b", [{"element": "livestock_heads", "coc": "pig",
                                                "value": 1}]).status_code == 403  # type: ignore
    assert _save(client, actors, "farmer_a", [{"element": "livestock_heads", "coc": "pig",
                                               "value": 1}]).status_code == 403  # type: ignore
    assert_problem(_save(client, actors, "commune_a", [{"element": "livestock_heads",
                                                        "coc": "pig", "value": 1}],
                         period=DX), 422)


def test_automatic_cells_are_read_only_with_their_source(farm: Farm, client: TestClient) -> None:
    actors = farm.actors
    farm.harvest(farm.season_a, 14_000)
    farm.refresh()
    form = _form(client, actors, "commune_a", "crop_season", DX, actors.commune_a)
    sown = next(c for c in form["cells"] if c["element"] == "sown_area")  # type: ignore
    assert (sown["source"], sown["editable"], sown["value"]) == ("diary", False, 3.0)
    assert sown["source_ref"].startswith("/api/v1/diary/seasons?")
    body = assert_problem(_save(client, actors, "commune_a", [
        {"element": "sown_area", "coc": "rice", "value": 5}], dataset="crop_season",
        period=DX), 422)
    assert "tự động" in body["errors"][0]["message"]


def test_approve_accept_return_and_the_province_after_its_communes(
        actors: Actors, client: TestClient) -> None:
    a, b = actors.commune_a, actors.commune_b
    platform = actors.platform
    for commune in (a, b):
        add_unit(platform, actors.farmer_a.id, actors.coop_a.id, commune, f"L-{commune}", 1.0,
                 crop=None, kind="livestock_farm")  # type: ignore[arg-type]
    _save(client, actors, "commune_a", [{"element": "livestock_heads", "coc": "pig",
                                         "value": 500}])
    # Nothing typed yet in B: nothing to approve.
    assert_problem(_act(client, actors, "commune_b", "approve", b), 422)
    assert _act(client, actors, "commune_a", "approve", a).status_code == 200  # type: ignore
    # Approved values are locked.
    locked = assert_problem(_save(client, actors, "commune_a", [
        {"element": "livestock_heads", "coc": "pig", "value": 501}]), 409)
    assert "đã được phê duyệt" in locked["detail"]
    # One-step dataset: no acceptance.
    assert_problem(_act(client, actors, "province", "accept", a), 409)
    # The province cannot approve while commune B has not.
    waiting = assert_problem(_act(client, actors, "province", "approve", "82"), 409)
    assert waiting["waiting"] == [b]
    # The province returns A with a comment (required): A can edit again.
    assert_problem(_act(client, actors, "province", "return", a), 422)
    r = _act(client, actors, "province", "return", a, comment="Số heo chưa khớp điều tra")
    assert r.json()["status"] == "returned"  # type: ignore[attr-defined]
    assert _save(client, actors, "commune_a", [{"element": "livestock_heads", "coc": "pig",
                                                "value": 520}]).status_code == 200  # type: ignore
    _act(client, actors, "commune_a", "approve", a)
    _save(client, actors, "commune_b", [{"element": "livestock_heads", "coc": "pig",
                                         "value": 80}], unit=b)
    _act(client, actors, "commune_b", "approve", b)
    r = _act(client, actors, "province", "approve", "82")
    assert r.status_code == 200 and r.json()["status"] == "approved"  # type: ignore
    # Under an approved province, a commune's report cannot be returned.
    assert_problem(_act(client, actors, "province", "return", a, comment="x"), 409)
    overview = client.get("/api/v1/stats/reports", params={"dataset": "livestock",
                                                           "period": "2026Q1"},
                          headers=actors.headers("province")).json()
    assert (overview["expected"], overview["received"], overview["completeness_pct"]) == \
        (2, 2, 100.0)
    assert overview["province"]["status"] == "approved"
    with platform.uow() as uow:
        steps = [e.after.get("status") for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "stats_reports")
            .order_by(AuditEntry.id)) if e.after and "status" in e.after]
    assert steps.count("approved") == 4 and "returned" in steps


def test_two_step_dataset_and_validation_blocks_approval(actors: Actors,
                                                         client: TestClient) -> None:
    a = actors.commune_a
    put(actors.platform, "sown_area", "he_thu:2026", a, 100)
    put(actors.platform, "harvested_area", "he_thu:2026", a, 120)  # more than sown
    body = assert_problem(_act(client, actors, "commune_a", "approve", a, "crop_season",
                               "he_thu:2026"), 422)
    assert body["errors"][0]["loc"] == "harvested_le_sown"
    violations = services.validate(actors.platform.uow(SYSTEM), "crop_season", "he_thu:2026")
    assert {v.rule for v in violations} >= {"harvested_le_sown", "rice_harvested_le_sown"}
    put(actors.platform, "sown_area", "thu_dong:2026", a, 100)
    assert _act(client, actors, "commune_a", "approve", a, "crop_season",
                "thu_dong:2026").status_code == 200  # type: ignore[attr-defined]
    assert _act(client, actors, "commune_b", "accept", a, "crop_season",
                "thu_dong:2026").status_code == 403  # type: ignore[attr-defined]
    r = _act(client, actors, "province", "accept", a, "crop_season", "thu_dong:2026")
    assert r.json()["status"] == "accepted"  # type: ignore[attr-defined]
    # The commune cannot withdraw what the province accepted.
    assert_problem(_act(client, actors, "commune_a", "unapprove", a, "crop_season",
                        "thu_dong:2026"), 409)


def test_a_recount_after_approval_is_kept_beside_the_approved_figure(farm: Farm,
                                                                     client: TestClient) -> None:
    actors = farm.actors
    a = actors.commune_a
    farm.harvest(farm.season_a, 14_000)
    farm.refresh()
    assert _act(client, actors, "commune_a", "approve", a, "crop_season",
                DX).status_code == 200  # type: ignore[attr-defined]
    farm.harvest(farm.season_a2, 7_000)  # a late harvest after approval
    farm.refresh()
    cells = {c["element"]: c for c in _form(client, actors, "commune_a", "crop_season", DX,
                                            a)["cells"]}  # type: ignore[union-attr]
    assert cells["output"]["value"] == 14.0  # the approved figure stands
    assert cells["output"]["pending_value"] == 21.0  # the recount waits beside it
