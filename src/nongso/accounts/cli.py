"""Command-line adapter of accounts: ``nongso user create``."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from pydantic import ValidationError

from nongso.accounts import persons, services
from nongso.accounts.schemas import UserCreate
from nongso.core.errors import AppError
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform

app = typer.Typer(help="Tài khoản người dùng / user accounts", no_args_is_help=True)


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    role: Annotated[str, typer.Option(help="admin, province_officer, commune_officer, ...")],
    full_name: Annotated[str, typer.Option("--name", help="Họ tên")] = "",
    unit: Annotated[str | None, typer.Option(help="Mã tỉnh (2 số) hoặc xã (5 số)")] = None,
    organisation: Annotated[int | None, typer.Option(help="Mã số tổ chức")] = None,
    farmer: Annotated[int | None, typer.Option(help="Mã số nông hộ")] = None,
    password: Annotated[
        str | None, typer.Option(help="Mật khẩu (hỏi nếu bỏ trống; không ghi vào nhật ký)")
    ] = None,
) -> None:
    """Tạo tài khoản / create a user account."""
    if password is None:
        password = getpass.getpass("Mật khẩu / password: ")
    try:
        data = UserCreate(
            username=username, full_name=full_name or username, password=password, role=role,
            unit_code=unit, organisation_id=organisation, farmer_id=farmer,
        )
        user = services.create_user(Platform.create().uow(SYSTEM), data)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"Lỗi / error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    except AppError as exc:
        typer.echo(f"Lỗi: {exc.message_vi} / {exc.message_en}", err=True)
        for e in exc.errors:
            typer.echo(f"  {e.loc}: {e.message_vi}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Đã tạo tài khoản «{user.username}» ({user.role}, {user.unit_code or '-'}).")


@app.command("export-person")
def export_person(
    farmer: Annotated[int, typer.Argument(help="Mã số nông hộ / farmer id")],
) -> None:
    """Xuất dữ liệu cá nhân của một nông hộ (JSON) / export a farmer's personal data."""
    try:
        data = persons.export_person(Platform.create().uow(SYSTEM), farmer)
    except AppError as exc:
        typer.echo(f"Lỗi: {exc.message_vi} / {exc.message_en}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command("erase-person")
def erase_person(
    farmer: Annotated[int, typer.Argument(help="Mã số nông hộ / farmer id")],
    yes: Annotated[bool, typer.Option("--yes", help="Không hỏi lại / do not ask")] = False,
) -> None:
    """Xoá (ẩn danh hoá) dữ liệu cá nhân của một nông hộ / erase a farmer's personal data."""
    if not yes and not typer.confirm(f"Xoá dữ liệu cá nhân của nông hộ #{farmer}?"):
        raise typer.Exit(1)
    try:
        report = persons.erase_person(Platform.create().uow(SYSTEM), farmer)
    except AppError as exc:
        typer.echo(f"Lỗi: {exc.message_vi} / {exc.message_en}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Đã xoá dữ liệu cá nhân của nông hộ #{farmer} / erased: "
               f"{json.dumps(report, ensure_ascii=False)}")
