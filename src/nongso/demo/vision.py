"""Demo photo diagnosis: synthetic leaf photos sent with scouting records of the demo farmer's
plots, most confirmed by the plant-protection staff, a model trained from them (labelled as
trained on synthetic images), a few photos left pending for the staff's queue; and the GTINs of
some catalogue inputs, one of them banned, for the scanner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from nongso.accounts.models import User
from nongso.core.errors import ValidationFailed
from nongso.core.permissions import SYSTEM
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Input, Plot, Season
from nongso.trace.gs1 import check_digit
from nongso.vision import services, synthetic
from nongso.vision.schemas import InputCodeCreate, PhotoCreate, PhotoReview

PER_LABEL = 24
NON_CROP = 12  # photos that are not of the crop (those the quality checks let through are
# labelled "not the crop" by the staff)
PENDING = 6  # photos sent after the model is trained, waiting for the staff
SIZE = (320, 240)
# GTINs of the demo catalogue (GS1 prefix 952, kept for examples and demonstrations).
INPUT_GTINS = {
    "Rầy Sạch 50WG (pymetrozine)": "952820009001",
    "Đạo Ôn Tiêu 75WP (tricyclazole)": "952820009002",
    "Urê 46% N": "952820009003",
    "Lem Lép 50SC (carbendazim)": "952820009004",
}


@dataclass(frozen=True)
class VisionDemo:
    photos: int
    confirmed: int
    pending: int
    model_id: int | None
    input_codes: dict[str, str]


def _plots(uow: UnitOfWork, farmer_id: int | None) -> list[int]:
    """Plots with an open season: the demo farmer's first, then others."""
    rows = uow.session.execute(
        select(Plot.id, Plot.farmer_id).join(Season, Season.plot_id == Plot.id)
        .where(Season.status == "open").order_by(Plot.id)).all()
    ids = list(dict.fromkeys(pid for pid, fid in rows if fid == farmer_id))
    ids += [pid for pid, _ in rows if pid not in ids][:20]
    return ids


def load(uow: UnitOfWork, seed: int = 2026) -> VisionDemo:
    """Photos, reviews, a trained model and input GTINs (runs inside the demo's transaction)."""
    admin = uow.as_principal(SYSTEM) if not uow.principal.is_admin else uow
    farmer_id = uow.session.scalar(select(User.farmer_id).where(User.username == "nongdan"))
    plots = _plots(uow, farmer_id)
    if not plots:
        return VisionDemo(0, 0, 0, None, {})
    rng = np.random.default_rng(seed)
    samples = list(synthetic.labelled_set(seed, PER_LABEL, (SIZE,)))
    # Soil and objects: a sky or a screenshot would not pass the quality checks anyway.
    samples += [s for s in synthetic.non_crop_set(seed + 1, NON_CROP // 2, (SIZE,))
                if s.label in ("soil", "objects")]
    confirmed = 0
    for n, sample in enumerate(samples):
        consent = rng.random() > 0.1
        try:
            photo = services.upload_photo(admin, PhotoCreate(
                plot_id=plots[n % min(len(plots), 4)], consent=consent),
                synthetic.jpeg(sample.image, 88))
        except ValidationFailed:  # refused by the quality checks (a sky, a screenshot)
            continue
        label = sample.label if sample.crop else "not_crop"
        services.review_photo(admin, photo.id, PhotoReview(
            label=label, note="Mẫu trình diễn (ảnh tổng hợp)"))
        confirmed += 1
    model = services.train_model(admin, seed, source="synthetic")
    for n in range(PENDING):
        label = synthetic.CROP_LABELS[n % len(synthetic.CROP_LABELS)]
        image = synthetic.crop_photo(rng, label, SIZE)
        services.upload_photo(admin, PhotoCreate(plot_id=plots[n % len(plots)], consent=True),
                              synthetic.jpeg(image, 88))
    codes: dict[str, str] = {}
    for name, body in INPUT_GTINS.items():
        item = uow.session.scalar(select(Input).where(Input.name == name,
                                                      Input.organisation_id.is_(None)))
        if item is None:
            continue
        gtin = body + check_digit(body)  # GTIN-13 (EAN-13 on the pack)
        services.add_input_code(admin, InputCodeCreate(gtin=gtin, input_id=item.id))
        codes[name] = gtin
    return VisionDemo(confirmed + PENDING, confirmed, PENDING, model.id, codes)

