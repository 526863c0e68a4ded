"""Demo photo diagnosis: synthetic leaf photos sent with scouting records of the demo farmer's
plots, most confirmed by the plant-protection staff, a model trained from them (labelled as
trained on synthetic images), a few photos left pending for the staff's queue; and the GTINs of
some catalogue inputs, one of them banned, for the scanner."""

from __future__ import annotations

import functools
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
# A small demo (``scale`` below SMALL_SCALE: the tests, a quick look) sends fewer photos: the
# model still trains (vision.model.MIN_PER_LABEL) and has a held-out part.
SMALL_SCALE = 0.5
SMALL_PER_LABEL = 10
SMALL_NON_CROP = 8
PENDING = 6  # photos sent after the model is trained, waiting for the staff
SIZE = (320, 240)
# GTINs of the demo catalogue (GS1 prefix 952, kept for examples and demonstrations).
INPUT_GTINS = {
    "Rầy Sạch 50WG (pymetrozine)": "952820009001",
    "Đạo Ôn Tiêu 75WP (tricyclazole)": "952820009002",
    "Urê 46% N": "952820009003",
    "Lem Lép 50SC (carbendazim)": "952820009004",
}


def photo_counts(scale: float) -> tuple[int, int]:
    """Photos per crop label and non-crop photos sent for a demo of this scale."""
    if scale >= SMALL_SCALE:
        return PER_LABEL, NON_CROP
    return SMALL_PER_LABEL, SMALL_NON_CROP


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


@functools.lru_cache(maxsize=2)
def _photos(seed: int, per_label: int, non_crop: int) -> tuple[tuple[str, bytes], ...]:
    """The labelled synthetic photos as JPEG files with the staff's label (deterministic for
    the arguments: drawn once per process)."""
    samples = list(synthetic.labelled_set(seed, per_label, (SIZE,)))
    # Soil and objects: a sky or a screenshot would not pass the quality checks anyway.
    samples += [s for s in synthetic.non_crop_set(seed + 1, non_crop // 2, (SIZE,))
                if s.label in ("soil", "objects")]
    return tuple((s.label if s.crop else "not_crop", synthetic.jpeg(s.image, 88))
                 for s in samples)


def load(uow: UnitOfWork, seed: int = 2026, scale: float = 1.0) -> VisionDemo:
    """Photos, reviews, a trained model and input GTINs (runs inside the demo's transaction)."""
    admin = uow.as_principal(SYSTEM) if not uow.principal.is_admin else uow
    farmer_id = uow.session.scalar(select(User.farmer_id).where(User.username == "nongdan"))
    plots = _plots(uow, farmer_id)
    if not plots:
        return VisionDemo(0, 0, 0, None, {})
    rng = np.random.default_rng(seed)
    confirmed = 0
    for n, (label, photo_jpeg) in enumerate(_photos(seed, *photo_counts(scale))):
        consent = rng.random() > 0.1
        try:
            photo = services.upload_photo(admin, PhotoCreate(
                plot_id=plots[n % min(len(plots), 4)], consent=consent), photo_jpeg)
        except ValidationFailed:  # refused by the quality checks (a sky, a screenshot)
            continue
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

