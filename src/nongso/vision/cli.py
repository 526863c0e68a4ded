"""Command-line adapter of photo diagnosis: ``nongso vision train``, ``dataset``,
``diagnose``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.vision import services

app = typer.Typer(help="Chẩn đoán qua ảnh / photo diagnosis", no_args_is_help=True)


def _fail(exc: AppError) -> typer.Exit:
    typer.echo(f"{exc.message_vi}\n{exc.message_en}", err=True)
    return typer.Exit(1)


@app.command("train")
def train(seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên / random seed")] = 0
          ) -> None:
    """Huấn luyện mô hình từ ảnh đã xác nhận / train the classifier from the confirmed photos
    (ONNX), measure it on held-out photos and make it the active model."""
    platform = Platform.create()
    try:
        model = services.train_model(platform.uow(SYSTEM), seed)
    except AppError as exc:
        raise _fail(exc) from exc
    m = model.metrics
    typer.echo(
        f"Mô hình {model.id}: {model.photos} ảnh, {model.size_bytes / 1024:.0f} KB; trên "
        f"{m['n_test']} ảnh kiểm tra (không dùng để học): trả lời {m['coverage']:.0%}, đúng "
        f"{m['selective_accuracy']:.0%} trong số đó, top-3 {m['top3_accuracy']:.0%}; từ chối "
        f"{(m['non_crop_abstain'] or 0):.0%} ảnh không phải cây lúa.\n"
        f"Model {model.id}: {model.photos} photos; on {m['n_test']} held-out photos: answers "
        f"{m['coverage']:.0%}, {m['selective_accuracy']:.0%} of the answers right, top-3 "
        f"{m['top3_accuracy']:.0%}; abstains on {(m['non_crop_abstain'] or 0):.0%} of "
        "non-crop photos.")


@app.command("dataset")
def dataset(output: Annotated[Path | None, typer.Option(
        help="Ghi tệp ZIP bộ dữ liệu / write the dataset ZIP here")] = None) -> None:
    """Thống kê (hoặc xuất) bộ ảnh đã xác nhận / the dataset's counts (or its export)."""
    platform = Platform.create()
    try:
        if output is not None:
            output.write_bytes(services.export_dataset(platform.uow(SYSTEM)))
            typer.echo(f"{output}")
            return
        summary = services.dataset_summary(platform.uow(SYSTEM))
    except AppError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(summary.model_dump(), ensure_ascii=False, indent=2))


@app.command("diagnose")
def diagnose(photo: Path, lang: Annotated[str, typer.Option(help="vi | en")] = "vi") -> None:
    """Chẩn đoán một ảnh (không lưu) / diagnose one photo (not stored)."""
    platform = Platform.create()
    try:
        result = services.diagnose(platform.uow(SYSTEM), photo.read_bytes(), lang)
    except AppError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
