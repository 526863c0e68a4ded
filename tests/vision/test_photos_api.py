"""Photos for a diagnosis through the API, on SQLite and PostgreSQL: stored with the scouting
record, diagnosed (top 3 or abstain), refused with a clear reason when unusable, reviewed by
the plant-protection staff of their own unit, the dataset with consent only, training."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import func, select

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.diary import services as diary
from nongso.diary.models import Activity
from nongso.diary.schemas import ActivityCreate
from nongso.vision import synthetic
from nongso.vision.models import VisionModel, VisionPhoto
from tests.helpers import assert_problem
from tests.vision.conftest import Farm, photo, png


def _upload(farm: Farm, content: bytes, *, who: str = "farmer_a", plot: int | None = None,
            consent: bool = True, lang: str = "vi", name: str = "la.jpg",
            activity_id: int | None = None) -> Any:
    data = {"consent": str(consent).lower()}
    if activity_id is not None:
        data["activity_id"] = str(activity_id)
    else:
        data["plot_id"] = str(plot or farm.plot_a.id)
    return farm.actors.client.post(
        "/api/v1/vision/photos", data=data, files={"photo": (name, content, "image/jpeg")},
        headers={**farm.actors.headers(who), "Accept-Language": lang})


def _counts(farm: Farm) -> tuple[int, int]:
    with farm.platform.uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(Activity)) or 0,
                s.scalar(select(func.count()).select_from(VisionPhoto)) or 0)


def test_photo_is_stored_with_a_scouting_record_and_diagnosed(farm: Farm, active_model: int
                                                              ) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    r = _upload(farm, photo("brown_spot", 1, (640, 480), exif.tobytes()))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rotated"] and (body["width"], body["height"]) == (480, 640)
    assert body["status"] == "pending" and body["consent"] and body["licence"] == "CC-BY-4.0"
    d = body["diagnosis"]
    assert d["model_id"] == active_model and len(d["top"]) == 3
    assert d["accuracy"]["n_test"] > 0 and 0 <= d["accuracy"]["selective_accuracy"] <= 1
    if d["abstain"] is None:
        assert d["advice_url"] == f"/vision/advice/{d['top'][0]['label']}"
    activity = diary.get_activity(farm.platform.uow(SYSTEM), body["activity_id"])
    assert activity.kind == "scouting" and body["diary_photo_id"] in activity.photo_ids
    image = farm.actors.client.get(body["image_url"], headers=farm.actors.headers("farmer_a"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (480, 640)
    # Another farmer sees neither the record nor the photo.
    other = farm.actors.client.get(body["image_url"], headers=farm.actors.headers("commune_b"))
    assert_problem(other, 404)


def test_without_a_model_the_photo_waits_for_the_staff(farm: Farm) -> None:
    r = _upload(farm, photo("healthy", 2), lang="en")
    assert r.status_code == 201, r.text
    d = r.json()["diagnosis"]
    assert d["abstain"] == "no_model" and d["top"] == [] and "staff" in d["message"]


def test_unusable_photos_get_a_clear_answer_and_nothing_is_stored(farm: Farm) -> None:
    before = _counts(farm)
    cases = [("blurry", photo("blurry", 3)), ("dark", photo("dark", 4)),
             ("whole_field", photo("whole_field", 5)),
             ("no_plant", photo("sky", 6))]
    cases.append(("screenshot", png(synthetic.screenshot(np.random.default_rng(7),
                                                         (720, 1280)))))
    for code, content in cases:
        vi = _upload(farm, content)
        body = assert_problem(vi, 422)
        assert body["problems"][0] == code, body
        assert body["errors"][0]["loc"] == "photo"
        en = _upload(farm, content, lang="en")
        assert assert_problem(en, 422)["detail"] != body["detail"]
    assert _counts(farm) == before


def test_oversized_and_wrong_files(farm: Farm) -> None:
    before = _counts(farm)
    big = _upload(farm, b"\xff\xd8" + b"\x00" * (12 * 1024 * 1024))
    assert big.status_code == 413
    text = _upload(farm, b"hello, not a photo", name="note.txt")
    assert "JPEG" in assert_problem(text, 415)["detail"]
    assert _counts(farm) == before


def test_another_farmers_plot_is_refused_without_half_writing(farm: Farm) -> None:
    before = _counts(farm)
    r = _upload(farm, photo("blast", 8), plot=farm.plot_b.id)
    assert r.status_code in (403, 404), r.text
    assert _counts(farm) == before


def test_a_photo_goes_with_a_scouting_record_only(farm: Farm) -> None:
    spray, _ = diary.create_activity(farm.platform.uow(SYSTEM), ActivityCreate(
        kind="irrigation", plot_id=farm.plot_a.id, at=clock.now()))
    r = _upload(farm, photo("blast", 9), activity_id=spray.id)
    assert "scouting" in assert_problem(r, 422)["detail"]


def test_non_crop_photos_are_not_diagnosed(farm: Farm, active_model: int) -> None:
    answers = []
    for seed in range(4):
        r = _upload(farm, photo("soil", 20 + seed))
        if r.status_code == 422:  # refused by the quality checks: no plant seen
            answers.append("no_plant")
            continue
        assert r.status_code == 201, r.text
        answers.append(r.json()["diagnosis"]["abstain"])
    assert sum(a in ("not_crop", "no_plant") for a in answers) >= 3, answers


def test_staff_review_in_their_own_unit_only(farm: Farm) -> None:
    first = _upload(farm, photo("blast", 10)).json()
    client, h = farm.actors.client, farm.actors.headers
    url = f"/api/v1/vision/photos/{first['id']}/review"
    assert_problem(client.post(url, json={"label": "blast"}, headers=h("commune_b")), 403)
    assert_problem(client.post(url, json={"label": "blast"}, headers=h("farmer_a")), 403)
    assert_problem(client.post(url, json={"label": "rust"}, headers=h("commune_a")), 422)
    missing = client.post(url, json={"status": "confirmed"}, headers=h("commune_a"))
    assert "label" in assert_problem(missing, 422)["errors"][0]["loc"]
    r = client.post(url, json={"label": "brown_spot", "note": "đốm tròn, quầng vàng"},
                    headers=h("commune_a"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["label"] == "brown_spot"
    queue = client.get("/api/v1/vision/photos", params={"status": "pending"},
                       headers=h("commune_a")).json()
    assert first["id"] not in [p["id"] for p in queue["items"]]
    assert client.get("/api/v1/vision/photos", headers=h("commune_b")).json()["total"] == 0
    province = client.get("/api/v1/vision/photos", headers=h("province")).json()
    assert province["total"] == 1


def test_dataset_holds_confirmed_photos_with_consent_only(farm: Farm) -> None:
    client, h = farm.actors.client, farm.actors.headers
    ids = []
    for n, consent in enumerate([True, True, False]):
        body = _upload(farm, photo("healthy", 30 + n), consent=consent).json()
        ids.append(body["id"])
        client.post(f"/api/v1/vision/photos/{body['id']}/review", json={"label": "healthy"},
                    headers=h("commune_a"))
    _upload(farm, photo("blast", 40))  # pending
    withdrawn = client.put(f"/api/v1/vision/photos/{ids[1]}/consent", json={"consent": False},
                           headers=h("farmer_a"))
    assert withdrawn.status_code == 200 and withdrawn.json()["licence"] is None
    assert_problem(client.put(f"/api/v1/vision/photos/{ids[0]}/consent",
                              json={"consent": False}, headers=h("commune_a")), 403)
    summary = client.get("/api/v1/vision/dataset", headers=h("province")).json()
    healthy = next(x for x in summary["labels"] if x["label"] == "healthy")
    assert (healthy["confirmed"], healthy["without_consent"]) == (1, 2)
    assert summary["in_dataset"] == 1 and summary["pending"] == 1
    z = client.get("/api/v1/vision/dataset.zip", headers=h("province"))
    assert z.status_code == 200
    with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
        names = archive.namelist()
        labels = archive.read("labels.csv").decode()
        assert f"photos/healthy/{ids[0]}.jpg" in names and len(
            [n for n in names if n.endswith(".jpg")]) == 1
        assert "CC-BY-4.0" in labels and "Nguyễn" not in labels
    assert_problem(client.get("/api/v1/vision/dataset", headers=h("commune_a")), 403)


def test_training_needs_enough_photos_then_builds_the_active_model(farm: Farm) -> None:
    client, h = farm.actors.client, farm.actors.headers
    too_few = client.post("/api/v1/vision/models", json={}, headers=h("province"))
    assert "2" in assert_problem(too_few, 422)["detail"]
    for n in range(12):
        label = "healthy" if n % 2 else "hopperburn"
        body = _upload(farm, photo(label, 50 + n, (320, 240))).json()
        client.post(f"/api/v1/vision/photos/{body['id']}/review", json={"label": label},
                    headers=h("commune_a"))
    assert_problem(client.post("/api/v1/vision/models", json={}, headers=h("commune_a")), 403)
    r = client.post("/api/v1/vision/models", json={"seed": 1}, headers=h("province"))
    assert r.status_code == 201, r.text
    built = r.json()
    assert built["active"] and built["photos"] == 12 and built["size_bytes"] < 10 * 1024 * 1024
    assert built["metrics"]["n_test"] == 2 and built["metrics"]["non_crop_n"] == 40
    assert set(built["labels"]) == {"healthy", "hopperburn"}
    accuracy = client.get("/api/v1/vision/accuracy", headers=h("farmer_a")).json()
    assert accuracy["model_id"] == built["id"] and accuracy["source"] == "confirmed"
    after = _upload(farm, photo("hopperburn", 99, (320, 240))).json()
    assert after["diagnosis"]["model_id"] == built["id"]
    with farm.platform.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(VisionModel).where(
            VisionModel.active.is_(True))) == 1
