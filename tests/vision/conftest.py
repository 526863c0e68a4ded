"""Vision fixtures: farmers' plots with an open season in two communes, inputs (one with a
banned ingredient), a planting area, and a classifier trained once on synthetic photos."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.diary import services as diary
from nongso.diary.schemas import (
    ActiveIngredient,
    InputCreate,
    InputPublic,
    PlotCreate,
    PlotPublic,
    SeasonCreate,
)
from nongso.registry.models import ProductionUnit
from nongso.vision import features, model, synthetic
from nongso.vision.models import VisionModel
from tests.helpers import Actors


@dataclass
class Farm:
    actors: Actors
    plot_a: PlotPublic  # farmer_a, commune A
    plot_b: PlotPublic  # farmer_b, commune B
    safe: InputPublic
    banned: InputPublic  # carbendazim
    area_id: int  # planting area VN-DTOR-0042

    @property
    def platform(self) -> Platform:
        return self.actors.platform


def _unit(platform: Platform, kind: str, farmer_id: int | None, org_id: int, commune: str,
          code: str, area: float) -> int:
    with platform.uow() as uow:
        unit = ProductionUnit(kind=kind, code=code, name=f"Thửa {code}", commune_code=commune,
                              province_code="82", organisation_id=org_id, farmer_id=farmer_id,
                              crop="rice", area_ha=area, declared_area_ha=area, attributes={})
        uow.session.add(unit)
        uow.commit()
        return unit.id


@pytest.fixture
def farm(actors: Actors) -> Farm:
    platform = actors.platform
    admin = platform.uow(SYSTEM)
    plots = []
    for farmer, coop, commune, code in [
            (actors.farmer_a, actors.coop_a, actors.commune_a, "VA-001"),
            (actors.farmer_b, actors.coop_b, actors.commune_b, "VB-001")]:
        unit = _unit(platform, "plot", farmer.id, coop.id, commune, code, 1.0)
        plot = diary.create_plot(admin, PlotCreate(production_unit_id=unit))
        diary.create_season(admin, SeasonCreate(
            plot_id=plot.id, season_kind="dong_xuan",
            sowing_date=dt.date.today() - dt.timedelta(days=30)))
        plots.append(plot)
    area = _unit(platform, "planting_area", None, actors.coop_a.id, actors.commune_a,
                 "VN-DTOR-0042", 12.0)
    safe = diary.create_input(admin, InputCreate(
        kind="pesticide", name="Rầy Sạch 50WG", formulation="WG",
        active_ingredients=[ActiveIngredient(name="pymetrozine", concentration=500,
                                             unit="g/kg")],
        phi_days=14))
    banned = diary.create_input(admin, InputCreate(
        kind="pesticide", name="Vàng Lá 500SC",
        active_ingredients=[ActiveIngredient(name="Carbendazim", concentration=500,
                                             unit="g/L")], phi_days=7))
    return Farm(actors, plots[0], plots[1], safe, banned, area)


@pytest.fixture(scope="session")
def trained() -> model.Trained:
    """One classifier for the session (synthetic photos, 'not the crop' included)."""
    crop = list(synthetic.labelled_set(301, 30))
    others = list(synthetic.non_crop_set(302, 10))
    x = features.extract_many([s.image for s in crop + others])
    return model.train(x, [s.label for s in crop] + [model.NOT_CROP] * len(others), seed=1)


@pytest.fixture
def active_model(platform: Platform, trained: model.Trained) -> int:
    """The trained classifier stored as the active model."""
    with platform.uow() as uow:
        row = VisionModel(
            labels=trained.labels, onnx=trained.onnx, size_bytes=len(trained.onnx),
            sha256=hashlib.sha256(trained.onnx).hexdigest(),
            feature_version=features.FEATURE_VERSION,
            confidence_threshold=trained.confidence_threshold,
            ood_threshold=trained.ood_threshold, metrics=trained.metrics.as_dict(),
            photos=len(trained.labels), source="synthetic", active=True)
        uow.session.add(row)
        uow.commit()
        return row.id


def photo(label: str, seed: int = 0, size: tuple[int, int] = (640, 480),
          exif: bytes | None = None) -> bytes:
    """A JPEG of a synthetic photo: a crop label, a non-crop kind or a problem kind."""
    rng = np.random.default_rng(seed)
    if label in synthetic.CROP_LABELS:
        image = synthetic.crop_photo(rng, label, size)
    elif label in synthetic.NON_CROP_KINDS:
        image = synthetic.non_crop_photo(rng, label, size)
    else:
        image = synthetic.problem_photo(rng, label, size)
    return synthetic.jpeg(image, 88, exif)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
