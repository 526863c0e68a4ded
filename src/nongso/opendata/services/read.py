"""Use cases: read the published catalogue, its datasets and files (public, no login).

Every read starts from the current catalogue version (or the version asked for), so while a
build runs the previous complete version is served. Unknown formats, versions, datasets and
files are 404s that say what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nongso.core.errors import FieldError, NotFound, ValidationFailed
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.opendata import catalog, vocab
from nongso.opendata.schemas import (
    CatalogueVersionPublic,
    CatalogueVersionRef,
    DatasetVersionPublic,
    UnitRefPublic,
)
from nongso.opendata.services.publish import store

CATALOGUE_FORMATS = {"jsonld": ("catalog.jsonld", "application/ld+json"),
                     "ttl": ("catalog.ttl", "text/turtle; charset=utf-8")}


@dataclass(frozen=True)
class FileAnswer:
    path: Path
    media_type: str
    file_name: str
    version: int


def _no_catalogue() -> NotFound:
    return NotFound("Chưa có danh mục dữ liệu mở nào được xuất bản.",
                    "No open-data catalogue has been published yet.")


def _version(version: int | None) -> int:
    st = store()
    if version is None:
        current = st.current()
        if current is None:
            raise _no_catalogue()
        return current
    kept = st.catalogue_versions()
    if version not in kept:
        listed = ", ".join(str(v) for v in kept) or "—"
        raise NotFound(
            f"Không có phiên bản danh mục {version}. Các phiên bản đang lưu: {listed}.",
            f"Catalogue version {version} does not exist. Versions kept: {listed}.",
            [FieldError("version", "Phiên bản không tồn tại", "Unknown version")])
    return version


def catalogue(version: int | None = None) -> CatalogueVersionPublic:
    n = _version(version)
    found = store().catalogue(n)
    if found is None:
        raise _no_catalogue()
    return found


def catalogue_versions() -> list[CatalogueVersionRef]:
    st = store()
    out = []
    for n in reversed(st.catalogue_versions()):
        cat = st.catalogue(n)
        if cat:
            out.append(CatalogueVersionRef(version=n, built_at=cat.built_at,
                                           datasets=len(cat.datasets), changed=cat.changed))
    return out


def catalogue_document(fmt: str, version: int | None = None) -> FileAnswer:
    """The catalogue as JSON-LD (``jsonld``) or Turtle (``ttl``)."""
    if fmt not in CATALOGUE_FORMATS:
        known = ", ".join(sorted(CATALOGUE_FORMATS))
        raise NotFound(
            f"Định dạng danh mục «{fmt}» không có. Có: {known} (và trang HTML /opendata).",
            f"Catalogue format '{fmt}' does not exist. Available: {known} (and the HTML page "
            "/opendata).", [FieldError("format", "Định dạng không hỗ trợ", "Unsupported format")])
    n = _version(version)
    name, media = CATALOGUE_FORMATS[fmt]
    path = store().catalogue_file(n, name)
    if path is None:
        raise _no_catalogue()
    return FileAnswer(path, media, name, n)


def dataset(dataset_id: str, version: int | None = None,
            catalogue_version: int | None = None) -> DatasetVersionPublic:
    """A dataset as the current catalogue (or ``catalogue_version``) publishes it, or one of
    its kept versions."""
    cat = catalogue(catalogue_version)
    found = next((d for d in cat.datasets if d.id == dataset_id), None)
    if found is None and version is None:
        raise NotFound(f"Không có tập dữ liệu «{dataset_id}» trong danh mục.",
                       f"Dataset '{dataset_id}' is not in the catalogue.")
    if version is None or (found is not None and found.version == version):
        assert found is not None
        return found
    meta = store().dataset_meta(dataset_id, version)
    if meta is None:
        kept = ", ".join(str(v) for v in store().dataset_versions(dataset_id)) or "—"
        raise NotFound(
            f"Tập dữ liệu «{dataset_id}» không có phiên bản {version}. Đang lưu: {kept}.",
            f"Dataset '{dataset_id}' has no version {version}. Versions kept: {kept}.",
            [FieldError("version", "Phiên bản không tồn tại", "Unknown version")])
    return meta


def distribution(dataset_id: str, fmt: str, version: int | None = None) -> FileAnswer:
    """A distribution of a dataset (its current version unless ``version``)."""
    if fmt not in vocab.FORMATS:
        known = ", ".join(vocab.FORMATS)
        raise NotFound(f"Định dạng «{fmt}» không có. Có: {known}.",
                       f"Format '{fmt}' does not exist. Available: {known}.",
                       [FieldError("format", "Định dạng không hỗ trợ", "Unsupported format")])
    meta = dataset(dataset_id, version)
    dist = next((d for d in meta.distributions if d.format == fmt), None)
    if dist is None:
        known = ", ".join(d.format for d in meta.distributions)
        raise NotFound(f"Tập dữ liệu «{dataset_id}» không có bản {fmt}. Có: {known}.",
                       f"Dataset '{dataset_id}' has no {fmt} distribution. Available: {known}.",
                       [FieldError("format", "Không có bản này", "No such distribution")])
    path = store().dataset_file(dataset_id, meta.version, dist.file_name)
    if path is None:
        raise NotFound(f"Tệp của phiên bản {meta.version} không còn được lưu.",
                       f"The files of version {meta.version} are no longer kept.")
    return FileAnswer(path, dist.media_type, dist.file_name, meta.version)


def download(dataset_id: str, version: int, file_name: str) -> FileAnswer:
    """A file by its download URL (``/opendata/files/{id}/v{k}/{file}``)."""
    meta = store().dataset_meta(dataset_id, version)
    dist = next((d for d in meta.distributions if d.file_name == file_name), None) if meta \
        else None
    path = store().dataset_file(dataset_id, version, file_name) if dist else None
    if meta is None or dist is None or path is None:
        kept = ", ".join(str(v) for v in store().dataset_versions(dataset_id)) or "—"
        raise NotFound(
            f"Không có tệp «{file_name}» của «{dataset_id}» phiên bản {version} (đang lưu các "
            f"phiên bản: {kept}).",
            f"No file '{file_name}' of '{dataset_id}' version {version} (versions kept: {kept}).")
    return FileAnswer(path, dist.media_type, file_name, version)


def unit(uow: UnitOfWork, generation: str, code: str) -> UnitRefPublic:
    """The administrative unit behind a minted unit URI."""
    from nongso.units import services as units

    if generation not in ("2025", "legacy"):
        raise ValidationFailed(
            f"Thế hệ đơn vị «{generation}» không có (2025 hoặc legacy).",
            f"Unknown unit generation '{generation}' (2025 or legacy).",
            [FieldError("generation", "Phải là 2025 hoặc legacy", "Must be 2025 or legacy")])
    uris = catalog.Uris(get_settings().base_url)
    detail = units.get_unit(uow, code, generation)
    links = detail.predecessors if generation == "2025" else detail.successors
    other = "legacy" if generation == "2025" else "2025"
    related = [UnitRefPublic(code=lk.unit.code, generation=other,
                             name=lk.unit.name, level=lk.unit.level, valid_from=lk.unit.valid_from,
                             valid_to=lk.unit.valid_to, uri=str(uris.unit(other, lk.unit.code)))
               for lk in links]
    return UnitRefPublic(code=detail.code, generation=generation,
                         name=detail.name, level=detail.level, valid_from=detail.valid_from,
                         valid_to=detail.valid_to, lon=detail.lon, lat=detail.lat,
                         uri=str(uris.unit(generation, code)), replaces=related)
