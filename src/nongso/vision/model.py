"""The photo classifier: trained from scratch on computed features, exported to ONNX, run with
onnxruntime, and able to say that it does not know.

Training (scikit-learn) takes the confirmed photos' feature vectors and labels and splits them,
stratified by label, into a training part (60 %), a calibration part (20 %) and a held-out
test part (20 %):

* the classifier — standardisation and a small multi-layer perceptron — learns on the
  training part;
* the out-of-distribution gate — standardisation, PCA (10 components) and a Gaussian
  mixture of the crop photos' features — gives each photo a log-likelihood; a photo scoring
  below the 2nd percentile of the calibration crop photos is "not the crop" and the model
  abstains (so does it when the classifier's own answer is ``not_crop``, a label staff give
  to photos that are not of the crop);
* the confidence threshold is the lowest top-1 probability at which the calibration photos it
  accepts are right at least 90 % of the time (never below 0.4); below it the model abstains;
* the figures shown on the pages are measured on the held-out test part only: coverage
  (share answered), accuracy of the answers, top-3 accuracy, per-label recall; and, when
  given, the abstention rate on photos that are not of the crop.

Both models are converted with skl2onnx and joined into ONE ONNX graph with one input
(``features``) and two outputs (``probabilities``, ``ood_score``). Training is deterministic
for a seed. Pure apart from CPU time: arrays in, bytes and figures out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

NOT_CROP = "not_crop"
MIN_PER_LABEL = 5
TARGET_PRECISION = 0.9
MIN_CONFIDENCE = 0.4
OOD_QUANTILE = 0.02
MAX_MODEL_BYTES = 10 * 1024 * 1024


class TrainingError(ValueError):
    """The data cannot make a model (too few photos of a label, one label only…)."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Prediction:
    top: list[tuple[str, float]]  # up to 3 labels with their probabilities, best first
    abstain: str | None  # None, "low_confidence" or "not_crop"
    ood_score: float

    @property
    def label(self) -> str | None:
        return None if self.abstain else self.top[0][0]


@dataclass
class Metrics:
    """Figures measured on the held-out part of the confirmed photos."""

    n_train: int
    n_calibration: int
    n_test: int
    coverage: float  # share of test crop photos answered (not abstained)
    selective_accuracy: float  # share right among those answered
    accuracy: float  # share right among all test crop photos (an abstention counts as wrong)
    top3_accuracy: float
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    non_crop_n: int = 0
    non_crop_abstain: float | None = None  # share of non-crop photos the model abstains on

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trained:
    onnx: bytes
    labels: list[str]
    confidence_threshold: float
    ood_threshold: float
    metrics: Metrics
    test_rows: list[int]  # the rows of the input held out for the figures


def _split(y: NDArray[np.str_], seed: int) -> tuple[NDArray[np.intp], NDArray[np.intp],
                                                     NDArray[np.intp]]:
    """Stratified 60/20/20 split of the indices (each label in every part)."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    cal: list[int] = []
    test: list[int] = []
    for label in sorted(set(y.tolist())):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        n = len(idx)
        n_test = max(1, round(n * 0.2))
        n_cal = max(1, round(n * 0.2))
        test.extend(idx[:n_test])
        cal.extend(idx[n_test : n_test + n_cal])
        train.extend(idx[n_test + n_cal :])
    return np.array(train), np.array(cal), np.array(test)


def _check(y: Sequence[str]) -> list[str]:
    counts: dict[str, int] = {}
    for label in y:
        counts[label] = counts.get(label, 0) + 1
    crop = [k for k in counts if k != NOT_CROP]
    if len(crop) < 2:
        raise TrainingError(
            "Cần ảnh đã xác nhận của ít nhất 2 nhãn bệnh hại/khỏe mạnh để huấn luyện.",
            "At least 2 labels (diseases, pests or healthy) need confirmed photos to train.")
    few = sorted(k for k, n in counts.items() if n < MIN_PER_LABEL)
    if few:
        listed = ", ".join(f"{k} ({counts[k]})" for k in few)
        raise TrainingError(
            f"Mỗi nhãn cần ít nhất {MIN_PER_LABEL} ảnh đã xác nhận; còn thiếu: {listed}.",
            f"Each label needs at least {MIN_PER_LABEL} confirmed photos; too few: {listed}.")
    return sorted(counts)


def _merge(classifier: Any, gate: Any, n_features: int) -> bytes:
    """One ONNX graph: input ``features``; outputs ``probabilities`` and ``ood_score``."""
    import onnx
    from onnx import compose, helper

    def rename_input(model: Any, new: str) -> None:
        old = model.graph.input[0].name
        for node in model.graph.node:
            node.input[:] = [new if name == old else name for name in node.input]
        del model.graph.input[:]

    classifier = compose.add_prefix(classifier, "clf_")
    gate = compose.add_prefix(gate, "ood_")
    rename_input(classifier, "features")
    rename_input(gate, "features")
    nodes = list(classifier.graph.node) + list(gate.graph.node)
    prob = next(o for o in classifier.graph.output if o.name.endswith("probabilities"))
    score = next(o for o in gate.graph.output if o.name.endswith("score_samples"))
    nodes += [helper.make_node("Identity", [prob.name], ["probabilities"]),
              helper.make_node("Identity", [score.name], ["ood_score"])]
    outputs = []
    for source, name in ((prob, "probabilities"), (score, "ood_score")):
        value = onnx.ValueInfoProto()
        value.CopyFrom(source)
        value.name = name
        outputs.append(value)
    graph = helper.make_graph(
        nodes, "nongso_photo_classifier",
        [helper.make_tensor_value_info("features", onnx.TensorProto.FLOAT, [None, n_features])],
        outputs,
        initializer=list(classifier.graph.initializer) + list(gate.graph.initializer))
    opsets: dict[str, int] = {}
    for imp in list(classifier.opset_import) + list(gate.opset_import):
        opsets[imp.domain] = max(opsets.get(imp.domain, 0), imp.version)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v)
                                                    for d, v in opsets.items()],
                              producer_name="nongso")
    model.ir_version = min(classifier.ir_version, gate.ir_version)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def train(x: NDArray[np.float32], y: Sequence[str], *, seed: int = 0,
          non_crop: NDArray[np.float32] | None = None) -> Trained:
    """Train, calibrate, evaluate on the held-out part, export (see the module's docstring).

    ``non_crop``: feature vectors of photos known not to be of the crop, used only to report
    how often the model abstains on them (never for training).
    """
    from skl2onnx import to_onnx
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = _check(y)
    ya = np.array(list(y))
    x = np.asarray(x, dtype=np.float32)
    tr, ca, te = _split(ya, seed)
    clf = make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(32,), alpha=1e-2, max_iter=500, random_state=seed))
    clf.fit(x[tr], ya[tr])
    crop_tr = tr[ya[tr] != NOT_CROP]
    n_feat = x.shape[1]
    n_pca = int(min(10, n_feat, len(crop_tr) - 1))
    n_comp = int(max(1, min(len([k for k in labels if k != NOT_CROP]), len(crop_tr) // 15)))
    gate = make_pipeline(StandardScaler(), PCA(n_pca, random_state=seed), GaussianMixture(
        n_comp, covariance_type="full", reg_covar=1e-3, random_state=seed))
    gate.fit(x[crop_tr])
    onnx_bytes = _merge(
        to_onnx(clf, x[:1], options={id(clf.steps[-1][1]): {"zipmap": False}},
                target_opset={"": 17, "ai.onnx.ml": 3}),
        to_onnx(gate, x[:1], options={id(gate.steps[-1][1]): {"score_samples": True}},
                target_opset={"": 17, "ai.onnx.ml": 3}),
        n_feat)
    classes = [str(c) for c in clf.classes_]
    runner = Classifier(onnx_bytes, classes, 0.0, -np.inf)

    # Calibration: the gate's threshold and the confidence threshold.
    cal_prob, cal_score = runner.raw(x[ca])
    cal_crop = ya[ca] != NOT_CROP
    crop_scores = cal_score[cal_crop]
    q1, median, q3 = np.quantile(crop_scores, [0.25, 0.5, 0.75])
    # The 2nd percentile, but never further below the median than 6 interquartile ranges
    # (one wild calibration photo must not open the gate to everything).
    ood_threshold = float(max(np.quantile(crop_scores, OOD_QUANTILE), median - 6 * (q3 - q1)))
    confidence = _confidence_threshold(cal_prob[cal_crop], ya[ca][cal_crop], classes)
    runner = Classifier(onnx_bytes, classes, confidence, ood_threshold)

    metrics = _evaluate(runner, x[te], ya[te], len(tr), len(ca), non_crop)
    if len(onnx_bytes) > MAX_MODEL_BYTES:
        raise TrainingError("Mô hình vượt quá 10 MB.", "The model is larger than 10 MB.")
    return Trained(onnx_bytes, classes, confidence, ood_threshold, metrics,
                   [int(i) for i in te])


def _confidence_threshold(prob: NDArray[np.float32], truth: NDArray[np.str_],
                          classes: list[str]) -> float:
    top = prob.max(axis=1)
    right = np.array(classes)[prob.argmax(axis=1)] == truth
    for t in np.arange(MIN_CONFIDENCE, 0.96, 0.05):
        kept = top >= t
        if kept.sum() and right[kept].mean() >= TARGET_PRECISION:
            return float(round(t, 2))
    return 0.95


def _evaluate(runner: Classifier, x: NDArray[np.float32], y: NDArray[np.str_], n_train: int,
              n_cal: int, non_crop: NDArray[np.float32] | None) -> Metrics:
    preds = runner.predict(x)
    crop = [i for i, label in enumerate(y) if label != NOT_CROP]
    answered = [i for i in crop if preds[i].abstain is None]
    right = [i for i in answered if preds[i].top[0][0] == y[i]]
    top3 = [i for i in crop if y[i] in [k for k, _ in preds[i].top]]
    per_label: dict[str, dict[str, float]] = {}
    confusion: dict[str, dict[str, int]] = {}
    for label in sorted(set(y.tolist())):
        mine = [i for i in range(len(y)) if y[i] == label]
        said = [NOT_CROP if preds[i].abstain == NOT_CROP else (preds[i].label or "abstain")
                for i in mine]
        confusion[label] = {k: said.count(k) for k in sorted(set(said))}
        per_label[label] = {"n": len(mine), "recall": round(said.count(label) / len(mine), 4)}
    metrics = Metrics(
        n_train=n_train, n_calibration=n_cal, n_test=len(y),
        coverage=round(len(answered) / max(len(crop), 1), 4),
        selective_accuracy=round(len(right) / max(len(answered), 1), 4),
        accuracy=round(len(right) / max(len(crop), 1), 4),
        top3_accuracy=round(len(top3) / max(len(crop), 1), 4),
        per_label=per_label, confusion=confusion)
    if non_crop is not None and len(non_crop):
        out = runner.predict(np.asarray(non_crop, dtype=np.float32))
        metrics.non_crop_n = len(out)
        metrics.non_crop_abstain = round(sum(p.abstain is not None for p in out) / len(out), 4)
    return metrics


class Classifier:
    """An exported model run with onnxruntime (one thread: many requests share the CPU)."""

    def __init__(self, onnx_bytes: bytes, labels: Sequence[str], confidence_threshold: float,
                 ood_threshold: float) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(onnx_bytes, options,
                                             providers=["CPUExecutionProvider"])
        self.labels = list(labels)
        self.confidence_threshold = confidence_threshold
        self.ood_threshold = ood_threshold

    def raw(self, x: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        prob, score = self._session.run(["probabilities", "ood_score"],
                                        {"features": np.asarray(x, dtype=np.float32)})
        return np.asarray(prob), np.asarray(score).reshape(-1)

    def predict(self, x: NDArray[np.float32]) -> list[Prediction]:
        if len(x) == 0:
            return []
        prob, score = self.raw(x)
        out = []
        for p, s in zip(prob, score, strict=True):
            order = np.argsort(-p)[:3]
            top = [(self.labels[i], round(float(p[i]), 4)) for i in order]
            abstain: str | None = None
            if not np.isfinite(s) or s < self.ood_threshold or top[0][0] == NOT_CROP:
                abstain = "not_crop"
            elif top[0][1] < self.confidence_threshold:
                abstain = "low_confidence"
            out.append(Prediction(top, abstain, float(s)))
        return out


def metrics_json(metrics: Metrics) -> str:
    return json.dumps(metrics.as_dict(), ensure_ascii=False)
