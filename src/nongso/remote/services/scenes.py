"""Registering scenes from a source (incremental: a known file is not registered twice)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from nongso.core.errors import AppError, FieldError, ValidationFailed, not_found
from nongso.core.pagination import Page, PageRequest
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.remote import rasters, sources
from nongso.remote.models import Scene
from nongso.remote.schemas import IngestReport, RejectedFile, ScenePublic
from nongso.remote.services._common import province_of, require_login_only, require_run


def scene_public(s: Scene) -> ScenePublic:
    return ScenePublic(
        id=s.id, source=s.source, uri=s.uri, acquired_on=s.acquired_on, sensor=s.sensor,
        product=s.product, bands=list(s.bands), units=s.units, crs=s.crs, width=s.width,
        height=s.height, pixel_m=s.pixel_m, footprint=json.loads(s.footprint),
        cloud_share=s.cloud_share, is_cog=s.is_cog, status=s.status,
        fields_reduced=s.fields_reduced, registered_at=s.registered_at,
        reduced_at=s.reduced_at)


def scenes_root() -> Path:
    """Where the web API may read scene folders from (``<var>/remote``)."""
    return (get_settings().var_dir / "remote").resolve()


def confine(location: str) -> Path:
    """A folder given over HTTP: relative to :func:`scenes_root`, never outside it."""
    root = scenes_root()
    path = (root / location).resolve()
    if path != root and root not in path.parents:
        raise ValidationFailed(
            f"Thư mục ảnh phải nằm trong {root} (đường dẫn tương đối).",
            f"The scene folder must lie inside {root} (a relative path).",
            [FieldError("location", "Ngoài thư mục ảnh", "Outside the scene folder")])
    return path


def ingest(uow: UnitOfWork, source: str, location: str, lang: str = "vi",
           province_code: str | None = None, confined: bool = False) -> IngestReport:
    """Register the new scenes a source offers. Every file is checked first (tags, bands,
    units, nodata, CRS, footprint); a wrong file is reported and skipped, the others are
    registered together (nothing half-written: one transaction)."""
    province = province_of(uow.principal, province_code)
    require_run(uow.principal, province)
    if confined and source == "local":
        location = str(confine(location))
    try:
        src = sources.open_source(source, location)
        files = src.scenes()
    except OSError as exc:  # a name too long for the file system, a folder one cannot read
        raise ValidationFailed(f"Không đọc được thư mục ảnh «{location[:80]}»: {exc.strerror}.",
                               f"The scene folder '{location[:80]}' cannot be read: "
                               f"{exc.strerror}.") from exc
    rejected: list[RejectedFile] = []
    ids: list[int] = []
    already = 0
    with uow:
        s = uow.session
        known = {u: fp for u, fp in s.execute(select(Scene.uri, Scene.fingerprint))}
        for f in files:
            if known.get(f.uri) == f.fingerprint:
                already += 1
                continue
            if f.uri in known:
                rejected.append(RejectedFile(
                    uri=f.uri, loc="file",
                    message="Tệp đã đăng ký nhưng nội dung đã đổi: đặt tên mới cho ảnh mới."
                    if lang == "vi" else
                    "This file is registered but its content changed: give a new scene a "
                    "new name."))
                continue
            try:
                info = rasters.inspect(f.path)
            except AppError as exc:
                loc = exc.errors[0].loc if exc.errors else "file"
                rejected.append(RejectedFile(uri=f.uri, loc=loc, message=exc.message(lang)))
                continue
            lo0, la0, lo1, la1 = info.lonlat_bbox
            scene = Scene(
                source=source, uri=f.uri, path=str(f.path), fingerprint=f.fingerprint,
                acquired_on=info.acquired_on, sensor=info.sensor, product=info.product,
                bands=list(info.bands), units=info.units, crs=info.crs, width=info.width,
                height=info.height, pixel_m=info.pixel_m,
                footprint=json.dumps(info.footprint), min_lon=lo0, min_lat=la0, max_lon=lo1,
                max_lat=la1, nodata=info.nodata, cloud_share=info.cloud_share,
                is_cog=info.is_cog, status="registered")
            s.add(scene)
            s.flush()
            ids.append(scene.id)
        uow.commit()
    return IngestReport(found=len(files), registered=len(ids), already=already,
                        rejected=rejected, scene_ids=ids)


def list_scenes(uow: UnitOfWork, page: PageRequest, status: str | None = None,
                sensor: str | None = None) -> Page[ScenePublic]:
    require_login_only(uow.principal)
    with uow:
        stmt = select(Scene)
        if status:
            stmt = stmt.where(Scene.status == status)
        if sensor:
            stmt = stmt.where(Scene.sensor == sensor)
        total = uow.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = uow.session.scalars(stmt.order_by(Scene.acquired_on.desc(), Scene.id.desc())
                                   .limit(page.limit).offset(page.offset)).all()
        return Page(items=[scene_public(r) for r in rows], total=total, limit=page.limit,
                    offset=page.offset)


def get_scene(uow: UnitOfWork, scene_id: int) -> ScenePublic:
    require_login_only(uow.principal)
    with uow:
        row = uow.session.get(Scene, scene_id)
        if row is None:
            raise not_found("ảnh", "scene", scene_id)
        return scene_public(row)
