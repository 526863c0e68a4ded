"""Command-line adapter of traceability: ``nongso trace verify``, ``labels``, ``recall``,
``ocop-export``."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.trace import services

app = typer.Typer(help="Truy xuất nguồn gốc / traceability", no_args_is_help=True)


def _public_key(text: str | None) -> bytes | None:
    """A raw Ed25519 public key from base64, or from a signed-note verifier key."""
    if text is None:
        return None
    if "+" in text and text.count("+") >= 2:
        raw = base64.b64decode(text.split("+", 2)[2])
        if raw[:1] != b"\x01":
            raise typer.BadParameter("not an Ed25519 verifier key")
        return raw[1:]
    return base64.b64decode(text)


@app.command("verify")
def verify(
    public_key: Annotated[str | None, typer.Option(
        help="Khoá công khai tin cậy (base64 hoặc verifier key); mặc định khoá của máy chủ")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
) -> None:
    """Tính lại toàn bộ nhật ký Merkle / recompute the whole tamper-evident log.

    Exits with status 1 and names the first inconsistency if anything was altered.
    """
    report = services.verify_log(Platform.create().uow(SYSTEM), _public_key(public_key))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif report.ok:
        typer.echo(f"Nhật ký toàn vẹn: {report.events_checked} sự kiện, "
                   f"{report.checkpoints_checked} điểm kiểm tra đã ký hợp lệ.")
        typer.echo(f"Log intact: {report.events_checked} events, "
                   f"{report.checkpoints_checked} signed checkpoints verified.")
    else:
        where = f" (vị trí {report.leaf_index}" + (
            f", {report.event_id})" if report.event_id else ")") if report.leaf_index is not None \
            else ""
        typer.echo(f"LỖI [{report.problem_code}]{where}: {report.problem_vi}", err=True)
        typer.echo(f"FAILED [{report.problem_code}]: {report.problem_en}", err=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint() -> None:
    """In điểm kiểm tra mới nhất (signed note) / print the latest signed checkpoint."""
    typer.echo(services.latest_checkpoint(Platform.create().uow(SYSTEM)).note, nl=False)


@app.command("proof")
def proof(event_id: Annotated[str, typer.Argument(help="eventID")]) -> None:
    """Bằng chứng có mặt của một sự kiện / inclusion proof of an event (JSON)."""
    result = services.inclusion_proof(Platform.create().uow(SYSTEM), event_id=event_id)
    typer.echo(json.dumps(result.model_dump(), indent=2, ensure_ascii=False))


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    typer.echo(f"{path} ({len(data)} bytes)")


__all__ = ["_write", "app"]
