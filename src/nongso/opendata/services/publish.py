"""Use case: build (publish) a new version of the open-data catalogue.

Every registered provider's datasets are written as CSV, Parquet (and GeoJSON, GeoParquet for
map layers) into a temporary directory; a dataset whose content did not change keeps its
version, one that changed gets the next version linked to the previous one with a note. The
catalogue (DCAT-AP 3.0.1, JSON-LD and Turtle) is written last and made current in one atomic
step; old versions are pruned to what the province keeps.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from sqlalchemy import select

from nongso.core import clock
from nongso.core.errors import Conflict, NotFound
from nongso.core.permissions import require_role
from nongso.core.settings import get_settings
from nongso.core.uow import UnitOfWork
from nongso.opendata import catalog, formats, providers, vocab
from nongso.opendata.files import BuildBusy, Store
from nongso.opendata.models import OpendataSettings
from nongso.opendata.schemas import (
    BuildReport,
    CatalogueVersionPublic,
    DatasetVersionPublic,
    DistributionPublic,
    OpendataSettingsPublic,
    SeriesPublic,
    UnitRefPublic,
)

_root_override: Path | None = None


def use_root(path: Path | None) -> Path | None:
    """Put the published files elsewhere (tests); returns the previous override."""
    global _root_override
    previous, _root_override = _root_override, path
    return previous


def store() -> Store:
    return Store(_root_override or get_settings().var_dir / "opendata")


def default_settings() -> OpendataSettingsPublic:
    province = get_settings().province_code
    return OpendataSettingsPublic(
        licence_uri=vocab.DEFAULT_LICENCE,
        publisher_vi=f"Sở Nông nghiệp và Môi trường tỉnh (mã {province})",
        publisher_en=f"Provincial Department of Agriculture and Environment (code {province})",
        contact_name="Bộ phận dữ liệu mở / Open data desk",
        contact_email="dulieumo@nongso.invalid", min_farms=3, schedule_hours=24,
        debounce_seconds=300, keep_versions=5, updated_at=None)


def load_settings(uow: UnitOfWork) -> OpendataSettingsPublic:
    with uow:
        row = uow.session.scalar(select(OpendataSettings).where(OpendataSettings.id == 1))
        return OpendataSettingsPublic.model_validate(row) if row else default_settings()


class _Units:
    """Spatial coverage: units by URI; a legacy unit is named by the 2025 unit it became."""

    def __init__(self, uow: UnitOfWork, uris: catalog.Uris) -> None:
        self.uow = uow
        self.uris = uris
        self.cache: dict[str, list[UnitRefPublic]] = {}

    def _ref(self, u: object, generation: str, replaces: list[UnitRefPublic]) -> UnitRefPublic:
        code = str(getattr(u, "code"))  # noqa: B009
        return UnitRefPublic(
            code=code, generation="legacy" if generation == "legacy" else "2025",
            name=str(getattr(u, "name")), level=str(getattr(u, "level")),  # noqa: B009
            valid_from=getattr(u, "valid_from", None), valid_to=getattr(u, "valid_to", None),
            lon=getattr(u, "lon", None), lat=getattr(u, "lat", None),
            uri=str(self.uris.unit(generation, code)), replaces=replaces)

    def resolve(self, code: str) -> list[UnitRefPublic]:
        from nongso.units import services as units

        if code in self.cache:
            return self.cache[code]
        try:
            unit = units.get_unit(self.uow, code, "2025")
            out = [self._ref(unit, "2025", [self._ref(p.unit, "legacy", [])
                                             for p in unit.predecessors])]
        except NotFound:
            try:
                old = units.get_unit(self.uow, code, "legacy")
            except NotFound:
                out = []
            else:
                history = self._ref(old, "legacy", [])
                out = [self._ref(s.unit, "2025", [history]) for s in old.successors]
        self.cache[code] = out
        return out


def _unit_spec(u: UnitRefPublic) -> catalog.UnitRef:
    return catalog.UnitRef(u.code, u.generation, u.name, u.level, u.valid_from, u.valid_to,
                           u.lon, u.lat, tuple(_unit_spec(r) for r in u.replaces))


def dataset_spec(d: DatasetVersionPublic) -> catalog.DatasetSpec:
    return catalog.DatasetSpec(
        id=d.id, version=d.version, title_vi=d.title_vi, title_en=d.title_en,
        description_vi=d.description_vi, description_en=d.description_en,
        keywords_vi=tuple(d.keywords_vi), keywords_en=tuple(d.keywords_en),
        themes=tuple(d.themes), frequency=d.frequency, issued=d.issued, modified=d.modified,
        distributions=tuple(catalog.DistributionSpec(x.format, x.file_name, x.byte_size,
                                                     x.sha256, x.rows) for x in d.distributions),
        spatial=tuple(_unit_spec(u) for u in d.spatial),
        temporal=(d.temporal_start, d.temporal_end) if d.temporal_start and d.temporal_end
        else None, previous_version=d.previous_version, version_notes_vi=d.version_notes_vi,
        version_notes_en=d.version_notes_en, series=d.series, suppressed_rows=d.suppressed_rows)


def _write_publication(st: Store, uris: catalog.Uris, provider: str, pub: providers.Publication,
                       spatial: list[UnitRefPublic], now: dt.datetime,
                       force: bool) -> tuple[DatasetVersionPublic, bool]:
    """Write one dataset; returns its version and whether it is new."""
    previous = st.latest_dataset_meta(pub.id)
    temp = st.temp_dir(st.root / "datasets" / pub.id)
    try:
        fmts = ["csv", "parquet"] + (list(formats.GEO_FORMATS) if pub.geometries is not None
                                     else [])
        files: list[tuple[str, str, Path]] = []
        for fmt in fmts:
            name = f"{pub.id}{vocab.FORMATS[fmt].suffix}"
            formats.write(fmt, pub.table, pub.geometries, temp / name)
            files.append((fmt, name, temp / name))
        content = formats.sha256_of(temp / f"{pub.id}.csv")
        if previous and previous.content_sha256 == content and not force:
            shutil.rmtree(temp, ignore_errors=True)
            return previous, False
        version = previous.version + 1 if previous else 1
        rows = pub.table.num_rows
        if previous:
            notes_vi = f"{rows} dòng (phiên bản {previous.version}: {previous.rows} dòng)."
            notes_en = f"{rows} rows (version {previous.version}: {previous.rows} rows)."
        else:
            notes_vi, notes_en = f"Phiên bản đầu tiên, {rows} dòng.", f"First version, {rows} rows."
        if pub.suppressed_rows:
            notes_vi += f" {pub.suppressed_rows} nhóm dưới số hộ tối thiểu bị ẩn."
            notes_en += f" {pub.suppressed_rows} groups under the minimum of farms suppressed."
        meta = DatasetVersionPublic(
            id=pub.id, version=version, provider=provider, title_vi=pub.title_vi,
            title_en=pub.title_en, description_vi=pub.description_vi,
            description_en=pub.description_en, keywords_vi=list(pub.keywords_vi),
            keywords_en=list(pub.keywords_en), themes=list(pub.themes),
            frequency=pub.frequency, issued=previous.issued if previous else now, modified=now,
            temporal_start=pub.temporal[0] if pub.temporal else None,
            temporal_end=pub.temporal[1] if pub.temporal else None, spatial=spatial,
            previous_version=previous.version if previous else None,
            version_notes_vi=notes_vi, version_notes_en=notes_en, series=pub.series, rows=rows,
            suppressed_rows=pub.suppressed_rows, content_sha256=content,
            distributions=[DistributionPublic(
                format=fmt,
                file_name=name, media_type=vocab.FORMATS[fmt].media_type,
                byte_size=path.stat().st_size, sha256=formats.sha256_of(path), rows=rows,
                url=str(uris.download(pub.id, version, name))) for fmt, name, path in files],
            uri=str(uris.dataset(pub.id, version)))
        (temp / "meta.json").write_text(meta.model_dump_json(indent=1), encoding="utf-8")
        st.publish_dir(temp, st.dataset_dir(pub.id, version))
        return meta, True
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def build_catalogue(uow: UnitOfWork, *, force: bool = False) -> BuildReport:
    """Publish a new catalogue version from every registered provider (province officers and
    administrators; the regeneration worker runs as the system)."""
    require_role(uow.principal, "province_officer")
    started = time.perf_counter()
    conf = load_settings(uow)
    app = get_settings()
    st = store()
    uris = catalog.Uris(app.base_url)
    now = clock.now().replace(microsecond=0)
    ctx = providers.BuildContext(app.province_code, conf.min_farms, clock.today_vn())
    try:
        with st.lock():
            st.clean_temporary()
            units = _Units(uow, uris)
            province = units.resolve(app.province_code)
            metas: list[DatasetVersionPublic] = []
            series: list[SeriesPublic] = []
            changed: list[str] = []
            unchanged: list[str] = []
            for provider in providers.registered():
                for pub in provider.publications(uow, ctx):
                    spatial = list(province)
                    for code in pub.unit_codes:
                        spatial += [u for u in units.resolve(code) if u not in spatial]
                    meta, new = _write_publication(st, uris, provider.name, pub, spatial, now,
                                                   force)
                    metas.append(meta)
                    (changed if new else unchanged).append(meta.id)
                for s in provider.series():
                    members = [m.id for m in metas if m.series == s.id]
                    series.append(SeriesPublic(
                        id=s.id, title_vi=s.title_vi, title_en=s.title_en,
                        description_vi=s.description_vi, description_en=s.description_en,
                        frequency=s.frequency, themes=list(s.themes),
                        keywords_vi=list(s.keywords_vi), keywords_en=list(s.keywords_en),
                        members=members, uri=str(uris.series(s.id))))
            version = max(st.catalogue_versions(), default=0) + 1
            current = st.current()
            record = CatalogueVersionPublic(
                version=version, built_at=now, previous_version=current,
                licence=conf.licence_uri, publisher_vi=conf.publisher_vi,
                publisher_en=conf.publisher_en, datasets=metas, series=series, changed=changed)
            _write_catalogue(st, record, conf, province, series_specs(record, province))
            st.prune(conf.keep_versions)
    except BuildBusy as exc:
        raise Conflict("Đang có một lần xuất bản dữ liệu mở khác chạy; hãy thử lại sau.",
                       "Another open-data build is running; try again later.") from exc
    return BuildReport(version=version, datasets=len(metas), changed=changed,
                       unchanged=unchanged, seconds=round(time.perf_counter() - started, 3))


def series_specs(record: CatalogueVersionPublic,
                 province: list[UnitRefPublic]) -> list[catalog.SeriesSpec]:
    out = []
    by_id = {d.id: d for d in record.datasets}
    for s in record.series:
        members = [by_id[m] for m in s.members if m in by_id]
        starts = [m.temporal_start for m in members if m.temporal_start]
        ends = [m.temporal_end for m in members if m.temporal_end]
        out.append(catalog.SeriesSpec(
            id=s.id, title_vi=s.title_vi, title_en=s.title_en, description_vi=s.description_vi,
            description_en=s.description_en, frequency=s.frequency, themes=tuple(s.themes),
            keywords_vi=tuple(s.keywords_vi), keywords_en=tuple(s.keywords_en),
            spatial=tuple(_unit_spec(u) for u in province),
            temporal=(min(starts), max(ends)) if starts and ends else None,
            members=tuple(s.members)))
    return out


def catalogue_spec(record: CatalogueVersionPublic, conf: OpendataSettingsPublic,
                   province: list[UnitRefPublic]) -> catalog.CatalogueSpec:
    first = min((d.issued for d in record.datasets), default=record.built_at)
    return catalog.CatalogueSpec(
        base_url=get_settings().base_url, version=record.version, issued=first,
        modified=record.built_at, publisher_vi=record.publisher_vi,
        publisher_en=record.publisher_en, contact_name=conf.contact_name,
        contact_email=conf.contact_email, licence=record.licence,
        description_vi="Dữ liệu nông nghiệp của tỉnh được công bố dưới dạng dữ liệu mở, máy "
                       "đọc được (DCAT-AP 3.0.1): sổ đăng ký vùng sản xuất, thống kê mùa vụ, "
                       "quan trắc, cảnh báo, sản phẩm OCOP.",
        description_en="The province's agricultural data published as machine-readable open "
                       "data (DCAT-AP 3.0.1): registry layers, seasonal statistics, monitoring, "
                       "alerts, OCOP products.",
        datasets=tuple(dataset_spec(d) for d in record.datasets),
        series=tuple(series_specs(record, province)))


def _write_catalogue(st: Store, record: CatalogueVersionPublic, conf: OpendataSettingsPublic,
                     province: list[UnitRefPublic], _series: list[catalog.SeriesSpec]) -> None:
    graph = catalog.build_graph(catalogue_spec(record, conf, province))
    temp = st.temp_dir(st.root / "catalog")
    try:
        (temp / "catalog.jsonld").write_bytes(catalog.serialize(graph, "jsonld"))
        (temp / "catalog.ttl").write_bytes(catalog.serialize(graph, "ttl"))
        (temp / "build.json").write_text(record.model_dump_json(indent=1), encoding="utf-8")
        st.publish_dir(temp, st.catalogue_dir(record.version))
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    st.write_current(record.version)
