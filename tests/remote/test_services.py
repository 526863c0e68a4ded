"""Remote sensing end to end on both databases: ingest COGs, reduce, phenology, reconcile."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from nongso.core.errors import PermissionDenied
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM, Principal
from nongso.diary import services as diary
from nongso.diary.schemas import PlotCreate, SeasonCreate
from nongso.remote import services, zonal
from nongso.remote.models import FieldStat, Scene
from nongso.remote.schemas import DecisionIn
from tests.helpers import Actors
from tests.remote.conftest import SOWING, Scenes, register_fields


def _ingest(actors: Actors, scenes: Scenes) -> None:
    report = services.ingest(actors.platform.uow(SYSTEM), "local", str(scenes.path))
    assert report.rejected == []
    assert report.registered == len(scenes.files)


def test_ingest_is_incremental_and_reduce_only_new_dates(actors: Actors, scenes: Scenes) -> None:
    fields = register_fields(actors, scenes)
    _ingest(actors, scenes)
    again = services.ingest(actors.platform.uow(SYSTEM), "local", str(scenes.path))
    assert again.registered == 0 and again.already == len(scenes.files)

    first = services.reduce_new_scenes(actors.platform.uow(SYSTEM), "82")
    assert first.scenes == len(scenes.files)
    assert first.empty_scenes >= 1  # the all-cloud date
    assert first.fields == len(fields.ids)
    second = services.reduce_new_scenes(actors.platform.uow(SYSTEM), "82")
    assert second.scenes == 0 and second.field_values == 0

    with actors.platform.uow(SYSTEM) as uow:
        s = uow.session
        statuses = dict(s.execute(select(Scene.status, func.count()).group_by(Scene.status))
                        .tuples().all())
        assert statuses.get("registered", 0) == 0
        cloudy = s.scalar(select(Scene).where(Scene.uri.like("%s2_all_cloud.tif")))
        assert cloudy is not None and cloudy.status == "empty" and cloudy.cloud_share == 1.0
        # The all-cloud date: valid share 0 and no value (never NaN) for every field.
        rows = s.scalars(select(FieldStat).where(FieldStat.scene_id == cloudy.id)).all()
        assert rows and all(r.valid_share == 0 and r.mean is None for r in rows)
        # The field smaller than a pixel still gets a value from its pixel on radar dates.
        tiny = fields.ids[-1]
        vh = s.scalars(select(FieldStat).where(FieldStat.field_id == tiny,
                                               FieldStat.band == "vh")).all()
        assert vh and all(r.median is not None and r.valid_share > 0.9 for r in vh)
        means = s.scalars(select(FieldStat.mean).where(FieldStat.band == "vh")).all()
        assert all(m is None or -40 < m < 5 for m in means)  # dB, not linear


def test_a_failure_half_way_writes_nothing(actors: Actors, scenes: Scenes,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    register_fields(actors, scenes)
    _ingest(actors, scenes)
    calls = {"n": 0}
    real = zonal.zonal_scene

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("disk unplugged")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zonal, "zonal_scene", failing)
    with pytest.raises(RuntimeError):
        services.reduce_new_scenes(actors.platform.uow(SYSTEM), "82")
    with actors.platform.uow(SYSTEM) as uow:
        assert uow.session.scalar(select(func.count()).select_from(FieldStat)) == 0
        assert set(uow.session.scalars(select(Scene.status))) == {"registered"}


def test_phenology_and_reconciliation(actors: Actors, scenes: Scenes) -> None:
    fields = register_fields(actors, scenes)
    admin = actors.platform.uow(SYSTEM)
    # The diary: field 1 sown as seen, field 2 declared 20 days early, field 7 (bare) declared.
    manager = actors.platform.uow(Principal(role="coop_manager", username="m",
                                            organisation_id=actors.coop_a.id))
    declared = {0: SOWING[0], 1: SOWING[1] - dt.timedelta(days=20), 6: dt.date(2026, 4, 25)}
    for k, sowing in declared.items():
        plot = diary.create_plot(manager, PlotCreate(production_unit_id=fields.ids[k]))
        diary.create_season(manager, SeasonCreate(plot_id=plot.id, season_kind="he_thu",
                                                  sowing_date=sowing))
    _ingest(actors, scenes)
    services.reduce_new_scenes(admin, "82")
    report = services.compute_phenology(admin, "82")
    assert report.fields == len(fields.ids)
    truths = {fid: t for fid, t in zip(fields.ids, scenes.truths, strict=True)}
    for fid in fields.ids[:5]:  # the rice fields of a pixel or more
        curve = services.field_remote(admin, fid)
        assert curve.is_rice and curve.n_seasons == 2, (fid, curve.note)
        for seen, truth in zip(curve.seasons, truths[fid].seasons, strict=True):
            assert abs((seen.sowing - truth.sowing).days) <= 8
        assert len(curve.vh) > 15 and curve.vh[0].value is not None and curve.vh[0].value < 0
    for k in (5, 6, 7):  # orchard, bare, pond
        assert services.field_remote(admin, fields.ids[k]).is_rice is False

    rec = services.reconcile_province(admin, "82")
    officer = actors.platform.uow(Principal(role="commune_officer", username="xa",
                                            unit_code=actors.commune_a, province_code="82"))
    page = services.list_discrepancies(officer, actors.commune_a, PageRequest(100, 0))
    kinds = {(d.field_id, d.kind) for d in page.items}
    assert (fields.ids[1], "sowing_date") in kinds
    assert (fields.ids[6], "declared_rice_bare") in kinds
    assert (fields.ids[0], "sowing_date") not in kinds
    assert rec.new == page.total

    # Officers of another commune can neither read nor decide.
    other = actors.platform.uow(Principal(role="commune_officer", username="xb",
                                          unit_code=actors.commune_b, province_code="82"))
    target = next(d for d in page.items if d.kind == "sowing_date")
    with pytest.raises(PermissionDenied):
        services.decide(other, target.id, DecisionIn(decision="accepted"))
    before = {v.season_key: v for v in services.accepted_values(officer, actors.commune_a)
              if v.indicator == "rice_fields"}
    decided = services.decide(officer, target.id, DecisionIn(decision="accepted",
                                                             note="<b>đã kiểm tra</b>"))
    assert decided.status == "accepted" and decided.decided_by
    after = {v.season_key: v for v in services.accepted_values(officer, actors.commune_a)
             if v.indicator == "rice_fields"}
    key = target.season_key
    assert after[key].value == before[key].value + 1
    assert after[key].pending == before[key].pending - 1
    # A second run keeps the decision.
    again = services.reconcile_province(admin, "82")
    assert again.kept_decisions >= 1 and again.new == 0
