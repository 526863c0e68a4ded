"""The demo province has photo diagnosis: photos with scouting records of the demo farmer,
most confirmed, some pending, a model trained on synthetic images, input GTINs to scan."""

from __future__ import annotations

from sqlalchemy import func, select

from nongso.accounts.models import User
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM, Principal
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.demo import vision as demo_vision
from nongso.trace.gs1 import check_digit
from nongso.vision import services
from nongso.vision.models import VisionModel, VisionPhoto


def test_demo_has_photos_a_model_and_codes(platform: Platform) -> None:
    demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
    with platform.uow() as uow:
        s = uow.session
        by_status = dict(s.execute(select(VisionPhoto.status, func.count())
                                   .group_by(VisionPhoto.status)).all())
        model = s.scalars(select(VisionModel).where(VisionModel.active.is_(True))).one()
        source, size, metrics = model.source, model.size_bytes, model.metrics
        farmer = s.scalars(select(User).where(User.username == "nongdan")).one()
        user_id, farmer_id = farmer.id, farmer.farmer_id
    assert by_status["pending"] == demo_vision.PENDING
    per_label, non_crop = demo_vision.photo_counts(0.05)
    assert per_label < demo_vision.PER_LABEL  # a small demo sends fewer photos
    assert 5 * per_label <= by_status["confirmed"] <= 5 * per_label + non_crop
    assert source == "synthetic" and size < 10 * 1024 * 1024
    assert metrics["n_test"] > 0 and metrics["non_crop_abstain"] is not None
    mine = services.list_photos(platform.uow(Principal(
        role="farmer", user_id=user_id, username="nongdan", farmer_id=farmer_id)),
        PageRequest(50, 0))
    assert mine.total > 0
    body = demo_vision.INPUT_GTINS["Lem Lép 50SC (carbendazim)"]
    banned = services.interpret(platform.uow(SYSTEM), body + check_digit(body))
    assert banned.kind == "input" and banned.banned
