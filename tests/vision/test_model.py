"""The classifier: trained on synthetic labelled photos, it answers with its top 3, abstains on
photos that are not of the crop, and its figures are those of the held-out part (no
database)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nongso.vision import features, model, synthetic


def _jpeg_features(samples: list[synthetic.Sample]) -> np.ndarray:
    """Features of the photos after a trip through JPEG, as uploads arrive."""
    return features.extract_many([
        Image.open(io.BytesIO(synthetic.jpeg(s.image, 85))).convert("RGB") for s in samples])


@pytest.fixture(scope="module")
def trained() -> tuple[model.Trained, np.ndarray, list[str]]:
    crop = list(synthetic.labelled_set(101, 40))
    # Staff label some photos "not the crop" (soil, sky, objects, screenshots).
    seen = list(synthetic.non_crop_set(102, 12))
    x = features.extract_many([s.image for s in crop + seen])
    y = [s.label for s in crop] + [model.NOT_CROP] * len(seen)
    return model.train(x, y, seed=3), x, y


def test_model_is_small_onnx_with_top3(trained: tuple[model.Trained, np.ndarray, list[str]]
                                       ) -> None:
    result, x, _ = trained
    assert len(result.onnx) <= model.MAX_MODEL_BYTES
    assert set(result.labels) == {*synthetic.CROP_LABELS, model.NOT_CROP}
    runner = model.Classifier(result.onnx, result.labels, result.confidence_threshold,
                              result.ood_threshold)
    prediction = runner.predict(x[:1])[0]
    assert len(prediction.top) == 3
    probs = [p for _, p in prediction.top]
    assert probs == sorted(probs, reverse=True) and 0 < probs[0] <= 1
    assert model.MIN_CONFIDENCE <= result.confidence_threshold <= 0.95


def test_reported_figures_are_the_held_out_ones(
        trained: tuple[model.Trained, np.ndarray, list[str]]) -> None:
    result, x, y = trained
    runner = model.Classifier(result.onnx, result.labels, result.confidence_threshold,
                              result.ood_threshold)
    rows = result.test_rows
    assert result.metrics.n_test == len(rows) and len(rows) < 0.3 * len(y)
    assert result.metrics.n_train + result.metrics.n_calibration + len(rows) == len(y)
    preds = runner.predict(x[rows])
    crop = [(p, y[i]) for p, i in zip(preds, rows, strict=True) if y[i] != model.NOT_CROP]
    answered = [(p, t) for p, t in crop if p.abstain is None]
    assert result.metrics.coverage == round(len(answered) / len(crop), 4)
    right = sum(p.top[0][0] == t for p, t in answered)
    assert result.metrics.selective_accuracy == round(right / len(answered), 4)
    assert result.metrics.accuracy == round(right / len(crop), 4)


def test_fresh_photos_are_recognised(trained: tuple[model.Trained, np.ndarray, list[str]]
                                     ) -> None:
    result, _, _ = trained
    runner = model.Classifier(result.onnx, result.labels, result.confidence_threshold,
                              result.ood_threshold)
    fresh = list(synthetic.labelled_set(103, 8, ((640, 480), (480, 640))))
    preds = runner.predict(_jpeg_features(fresh))
    answered = [(p, s) for p, s in zip(preds, fresh, strict=True) if p.abstain is None]
    assert len(answered) >= 0.8 * len(fresh)
    assert sum(p.label == s.label for p, s in answered) >= 0.8 * len(answered)
    assert sum(s.label in [k for k, _ in p.top] for p, s in zip(preds, fresh, strict=True)
               ) >= 0.9 * len(fresh)


def test_abstains_on_at_least_95_percent_of_non_crop_photos(
        trained: tuple[model.Trained, np.ndarray, list[str]]) -> None:
    result, _, _ = trained
    runner = model.Classifier(result.onnx, result.labels, result.confidence_threshold,
                              result.ood_threshold)
    others = list(synthetic.non_crop_set(104, 20, ((256, 256), (640, 480))))
    preds = runner.predict(_jpeg_features(others))
    abstained = [p.abstain is not None for p in preds]
    assert sum(abstained) >= 0.95 * len(others), [
        (s.label, p.top[0]) for s, p in zip(others, preds, strict=True) if p.abstain is None]
    # The out-of-distribution gate alone (without the "not the crop" label) catches most.
    gate = [p.ood_score < result.ood_threshold for p in preds]
    assert sum(gate) >= 0.5 * len(others)


def test_too_few_photos_is_a_clear_error() -> None:
    x = np.zeros((8, len(features.feature_names())), dtype=np.float32)
    with pytest.raises(model.TrainingError) as err:
        model.train(x, ["blast"] * 5 + ["healthy"] * 3)
    assert "healthy (3)" in err.value.message_en and "healthy (3)" in err.value.message_vi
    with pytest.raises(model.TrainingError):
        model.train(x, ["blast"] * 8)
