"""Command-line adapter of the registry: ``nongso registry import|export|boundaries|...``.

Commands act as the system administrator (whoever can run them on the server already has the
database); every change is still audited and versioned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nongso.core.errors import AppError
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.core.progress import Progress, size_text
from nongso.registry import services
from nongso.registry.features import FeatureQuery

app = typer.Typer(help="Sổ đăng bạ và bản đồ số / registry and digital map",
                  no_args_is_help=True)
boundaries_app = typer.Typer(help="Ranh giới hành chính của bản đồ / map boundaries",
                             no_args_is_help=True)
app.add_typer(boundaries_app, name="boundaries")


def _fail(exc: AppError) -> None:
    typer.echo(f"Lỗi: {exc.message_vi}", err=True)
    for e in exc.errors[:50]:
        typer.echo(f"  {e.loc}: {e.message_vi}", err=True)
    raise typer.Exit(code=1)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="GeoJSON, KML/KMZ, Shapefile .zip, CSV, XLSX")],
    collection: Annotated[str, typer.Option(help="production_units, infrastructure, "
                                                 "soil_units")] = "production_units",
    kind: Annotated[str | None, typer.Option(help="Loại mặc định, ví dụ planting_area")] = None,
    only_valid: Annotated[bool, typer.Option(help="Chỉ nhập các dòng hợp lệ")] = False,
    dry_run: Annotated[bool, typer.Option(help="Chỉ kiểm tra, không lưu")] = False,
) -> None:
    """Nhập vùng sản xuất, hạ tầng, đơn vị đất từ tệp / import features from a file."""
    data = file.read_bytes()
    progress = Progress(typer.echo, f"Đang {'kiểm tra' if dry_run else 'nhập'} / "
                        f"{'checking' if dry_run else 'importing'} {file.name} "
                        f"({size_text(len(data))}) → {collection}…")
    try:
        report = services.import_features(
            Platform.create().uow(SYSTEM), collection, file.name, data, kind=kind,
            only_valid=only_valid, dry_run=dry_run)
    except AppError as exc:
        _fail(exc)
        return
    for e in report.errors:
        typer.echo(f"  {e.message}")
    verb = "Kiểm tra" if report.dry_run else "Đã nhập"
    progress.done(f"{verb}: {report.imported if not report.dry_run else report.valid}/"
                  f"{report.rows} dòng ({report.format}), {len(report.errors)} dòng lỗi / "
                  f"{'valid' if report.dry_run else 'imported'}: "
                  f"{report.imported if not report.dry_run else report.valid}/{report.rows} "
                  f"rows, {len(report.errors)} with errors")


@app.command("export")
def export(
    collection: Annotated[str, typer.Argument(help="production_units, planting_areas, …")],
    output: Annotated[Path, typer.Argument(dir_okay=False, help="Tệp .geojson, .csv, .xlsx")],
    commune_code: Annotated[str | None, typer.Option(help="Mã xã")] = None,
    crop: Annotated[str | None, typer.Option(help="Cây trồng")] = None,
) -> None:
    """Xuất một tập dữ liệu / export a collection (public data)."""
    fmt = output.suffix.lstrip(".").lower()
    progress = Progress(typer.echo, f"Đang xuất / exporting {collection} → {output}…")
    try:
        result = services.export_features(Platform.create().uow(), collection, fmt,
                                          FeatureQuery(commune_code=commune_code, crop=crop))
    except AppError as exc:
        _fail(exc)
        return
    output.write_bytes(result.content)
    progress.done(f"Đã ghi / written {output} ({size_text(len(result.content))})")


@app.command("planting-areas")
def planting_areas(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="Tệp .xlsx hoặc .csv")],
    commune_code: Annotated[str | None, typer.Option(help="Mã xã")] = None,
    crop: Annotated[str | None, typer.Option(help="Cây trồng")] = None,
) -> None:
    """Danh sách mã số vùng trồng theo mẫu của Chi cục Trồng trọt và BVTV."""
    fmt = output.suffix.lstrip(".").lower()
    progress = Progress(typer.echo, f"Đang xuất mã số vùng trồng / exporting planting areas → "
                                    f"{output}…")
    try:
        result = services.export_planting_areas(Platform.create().uow(SYSTEM), fmt,
                                                commune_code, crop)
    except AppError as exc:
        _fail(exc)
        return
    output.write_bytes(result.content)
    progress.done(f"Đã ghi / written {output} ({size_text(len(result.content))})")


@app.command("station")
def station(code: Annotated[str, typer.Argument(help="Mã trạm, ví dụ TV-TANCHAU")]) -> None:
    """Xem một trạm quan trắc / show a monitoring station."""
    try:
        found = services.get_station(Platform.create().uow(), code)
    except AppError as exc:
        _fail(exc)
        return
    typer.echo(json.dumps(found.model_dump(mode="json"), ensure_ascii=False, indent=2))


@boundaries_app.command("synthesize")
def synthesize(province: Annotated[str, typer.Option(help="Mã tỉnh")] = "82") -> None:
    """Dựng ranh giới xã mô phỏng nơi chưa có / synthetic boundaries where none exist."""
    try:
        summary = services.synthesize_boundaries(Platform.create().uow(SYSTEM), province)
    except AppError as exc:
        _fail(exc)
        return
    typer.echo(f"Tỉnh {summary.province_code}: {summary.communes} xã có ranh giới "
               f"({summary.real} chính thức, {summary.synthetic} mô phỏng).")


@boundaries_app.command("import")
def import_boundaries(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    source: Annotated[str, typer.Option(help="Nguồn ranh giới (cơ quan, năm)")],
    province: Annotated[str, typer.Option(help="Mã tỉnh")] = "82",
) -> None:
    """Nhập ranh giới xã chính thức (thay ranh giới mô phỏng) / import real boundaries."""
    try:
        report = services.import_boundaries(Platform.create().uow(SYSTEM), province, file.name,
                                            file.read_bytes(), source)
    except AppError as exc:
        _fail(exc)
        return
    typer.echo(f"Đã nhập ranh giới {report.imported} xã.")
