"""Photo diagnosis: classifier latency per photo on this CPU (goal < 200 ms), on SQLite and
PostgreSQL.

A classifier is trained on synthetic labelled photos (as ``nongso vision train`` does on the
confirmed set) and stored as the active model; then phone-sized JPEGs (2000 × 1500) are
diagnosed one at a time. Figures, each with a baseline measured in the same run:

* ``pipeline``: decode (with EXIF rotation and downscaling), quality checks, features and the
  ONNX model through onnxruntime — vs decoding the same JPEG at full size with Pillow alone;
* ``service``: the whole ``services.diagnose`` use case (unit of work, active model look-up)
  on SQLite and on PostgreSQL — vs the pipeline above;
* ``onnx``: the ONNX model alone on one feature vector.

``--photos N`` sets the number of photos (default 60); ``--scale`` is a multiplier of it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
from _common import emit, fresh_platform, percentiles
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.vision import features, imaging, model, quality, services, synthetic
from nongso.vision.models import VisionModel

PG_ADMIN = os.environ.get("NONGSO_BENCH_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _train() -> model.Trained:
    crop = list(synthetic.labelled_set(11, 30))
    others = list(synthetic.non_crop_set(12, 8))
    x = features.extract_many([s.image for s in crop + others])
    return model.train(x, [s.label for s in crop] + [model.NOT_CROP] * len(others), seed=0,
                       non_crop=features.extract_many(
                           [s.image for s in synthetic.non_crop_set(13, 10)]))


def _store(platform: Platform, trained: model.Trained) -> None:
    with platform.uow() as uow:
        uow.session.add(VisionModel(
            labels=trained.labels, onnx=trained.onnx, size_bytes=len(trained.onnx),
            sha256=hashlib.sha256(trained.onnx).hexdigest(),
            feature_version=features.FEATURE_VERSION,
            confidence_threshold=trained.confidence_threshold,
            ood_threshold=trained.ood_threshold, metrics=trained.metrics.as_dict(),
            photos=0, source="synthetic", active=True))
        uow.commit()


def _photos(n: int) -> list[bytes]:
    rng = np.random.default_rng(5)
    out = []
    for i in range(n):
        label = synthetic.CROP_LABELS[i % len(synthetic.CROP_LABELS)]
        out.append(synthetic.jpeg(synthetic.crop_photo(rng, label, (2000, 1500)), 90))
    return out


def _each(photos: list[bytes], fn: object) -> list[float]:
    samples = []
    for content in photos:
        start = time.perf_counter()
        fn(content)  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--scale", type=float, default=float(
        os.environ.get("NONGSO_BENCH_SCALE", "1")))
    args = parser.parse_args()
    n = max(5, int(args.photos * args.scale))
    trained = _train()
    runner = model.Classifier(trained.onnx, trained.labels, trained.confidence_threshold,
                              trained.ood_threshold)
    photos = _photos(n)

    def pipeline(content: bytes) -> None:
        small = imaging.analysis_copy(imaging.open_photo(content, 1024).image)
        quality.problems(quality.measure(small))
        runner.predict(features.extract(small)[None, :])

    def decode_only(content: bytes) -> None:
        Image.open(io.BytesIO(content)).load()

    pipeline(photos[0])  # warm up (imports, the ONNX session's first run)
    full = percentiles(_each(photos, pipeline))
    base = percentiles(_each(photos, decode_only))
    vector = features.extract(imaging.open_photo(photos[0], 1024).image)[None, :]
    onnx_samples = []
    for _ in range(200):
        start = time.perf_counter()
        runner.predict(vector)
        onnx_samples.append(time.perf_counter() - start)
    emit("vision_classifier", photos=n, photo_size="2000x1500 JPEG", model_bytes=len(
        trained.onnx), pipeline=full, baseline_pillow_decode=base,
        ratio_to_decode_p50=round(full["p50_ms"] / base["p50_ms"], 3),
        onnx_only=percentiles(onnx_samples), goal_ms=200,
        meets_goal=full["p95_ms"] < 200, held_out_accuracy=trained.metrics.selective_accuracy,
        held_out_coverage=trained.metrics.coverage,
        non_crop_abstain=trained.metrics.non_crop_abstain)

    for dialect in ("sqlite", "postgresql"):
        cleanup = None
        if dialect == "sqlite":
            platform = fresh_platform()
        else:
            admin = make_url(PG_ADMIN)
            name = f"nongso_bench_{uuid.uuid4().hex[:8]}"
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
            platform = fresh_platform(admin.set(database=name).render_as_string(False))

            def cleanup(engine: object = engine, name: str = name) -> None:
                with engine.connect() as conn:  # type: ignore[attr-defined]
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        try:
            _store(platform, trained)
            uow = platform.uow(SYSTEM)
            services.diagnose(uow, photos[0])
            service = percentiles(_each(photos, lambda c, u=uow: services.diagnose(u, c)))
            emit("vision_diagnose_service", database=dialect, photos=n, service=service,
                 pipeline=full, ratio_to_pipeline_p50=round(
                     service["p50_ms"] / full["p50_ms"], 3),
                 meets_goal=service["p95_ms"] < 200)
        finally:
            platform.engine.dispose()
            if cleanup:
                cleanup()


if __name__ == "__main__":
    main()
