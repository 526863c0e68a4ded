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
from nongso.trace import exports, services

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


@app.command("labels")
def labels(
    lot_ids: Annotated[list[int], typer.Argument(help="Mã (id) các lô / lot ids")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp PDF")] = Path(
        "nhan-truy-xuat.pdf"),
    copies: Annotated[int, typer.Option(min=1, max=100, help="Số nhãn mỗi lô")] = 24,
) -> None:
    """In tờ nhãn QR khổ A4 cho các lô / an A4 sheet of QR labels for lots (PDF)."""
    from nongso.trace.schemas import LabelSheetRequest

    data = services.label_sheet(Platform.create().uow(SYSTEM),
                                LabelSheetRequest(lot_ids=lot_ids, copies=copies))
    _write(output, data)


@app.command("recall")
def recall(
    value: Annotated[str, typer.Argument(help="Số lô, lô vật tư, GLN hoặc mã vùng trồng")],
    kind: Annotated[str, typer.Option(help="lot | input_batch | farm | epc")] = "lot",
    direction: Annotated[str, typer.Option(help="both | forward | backward")] = "both",
    xlsx: Annotated[Path | None, typer.Option(help="Ghi báo cáo Excel vào tệp này")] = None,
) -> None:
    """Truy vết xuôi/ngược một lô / forward and backward trace (JSON, or Excel with --xlsx)."""
    from pydantic import ValidationError

    from nongso.trace.schemas import RecallRequest

    try:
        request = RecallRequest(kind=kind, value=value, direction=direction)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc.errors()[0]["msg"])) from exc
    report = services.recall_trace(Platform.create().uow(SYSTEM), request)
    if xlsx is not None:
        _write(xlsx, exports.recall_excel(report))
    else:
        typer.echo(report.model_dump_json(indent=2))


@app.command("ocop-export")
def ocop_export(
    output: Annotated[Path, typer.Option("-o", "--output")] = Path("ocop-truy-xuat.xlsx"),
    format: Annotated[str, typer.Option(help="csv | xlsx | json")] = "xlsx",
) -> None:
    """Xuất sản phẩm OCOP cho Cổng truy xuất quốc gia / OCOP export for the national portal."""
    if format not in ("csv", "xlsx", "json"):
        raise typer.BadParameter("csv, xlsx or json")
    _write(output, services.ocop_export(Platform.create().uow(SYSTEM), format))
