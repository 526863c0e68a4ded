"""``nongso diary ...``: import an Excel diary, print a season's compliance report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.progress import Progress, size_text
from nongso.core.uow import UnitOfWork

app = typer.Typer(help="Nhật ký sản xuất / farm diary", no_args_is_help=True)


def _uow(username: str) -> UnitOfWork:
    from nongso.core.platform import Platform
    from nongso.diary import services

    platform = Platform.create()
    principal = services.principal_named(platform.uow(), username)
    if principal is None:
        raise typer.BadParameter(f"không có người dùng «{username}» / no such user")
    return platform.uow(principal)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp .xlsx")],
    user: Annotated[str, typer.Option(help="Người nhập (nông dân hoặc quản lý HTX)")],
    partial: Annotated[bool, typer.Option(help="Nhập các dòng đúng, bỏ qua dòng lỗi")] = False,
    dry_run: Annotated[bool, typer.Option(help="Chỉ kiểm tra, không lưu")] = False,
    lang: Annotated[str, typer.Option(help="vi | en")] = "vi",
) -> None:
    """Nhập nhật ký từ Excel / import activities from an Excel file (all or nothing)."""
    from nongso.diary import services

    uow = _uow(user)
    data = file.read_bytes()
    progress = Progress(typer.echo, f"Đang nhập nhật ký / importing the diary {file.name} "
                                    f"({size_text(len(data))})…")
    try:
        report = services.import_activities(
            uow, data, file.name, "partial" if partial else "all", dry_run, lang)
    except AppError as exc:
        typer.echo(exc.message(lang), err=True)
        for fe in exc.errors[:200]:
            typer.echo(f"  {fe.message_vi if lang == 'vi' else fe.message_en}", err=True)
        raise typer.Exit(1) from exc
    if lang == "vi":
        progress.done(f"Đã đọc {report.rows_read} dòng; nhập {report.rows_imported}; đã có "
                   f"{report.rows_already_imported}; lỗi {report.rows_with_errors}"
                      + (" (chạy thử)" if dry_run else ""))
    else:
        progress.done(f"Read {report.rows_read} rows; imported {report.rows_imported}; already "
                   f"there {report.rows_already_imported}; with errors "
                      f"{report.rows_with_errors}" + (" (dry run)" if dry_run else ""))
    for e in report.errors:
        typer.echo(f"  {e.message}")


@app.command("template")
def template(out: Annotated[Path, typer.Argument(help="Tệp .xlsx sẽ ghi")] =
             Path("mau-nhap-nhat-ky.xlsx")) -> None:
    """Ghi tệp mẫu nhập nhật ký / write the import template."""
    from nongso.diary import services

    out.write_bytes(services.import_template())
    typer.echo(str(out))
