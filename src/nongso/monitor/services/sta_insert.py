"""SensorThings ``POST`` on a collection, with deep insert; an Observation goes through the
common ingestion path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import require_login
from nongso.core.uow import UnitOfWork
from nongso.monitor import odata, payloads, sta, store
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import FeatureOfInterest, to_epoch_us
from nongso.monitor.schemas import FeatureOfInterestCreate
from nongso.monitor.services._common import (
    StaAnswer,
    _all_communes_known,
    _context,
    _principal_allowed,
    _write_series,
)
from nongso.monitor.sta_write import Writer, parse_body


def sta_create(uow: UnitOfWork, path: str, body: Any, base: str) -> StaAnswer:
    """POST on a collection path (with deep insert); answers 201 with ``Location``."""
    require_login(uow.principal)
    resource = sta.parse_path(path)
    if resource.property is not None or resource.ref:
        raise ValidationFailed("Không tạo được thực thể tại đường dẫn này.",
                               "Cannot create an entity at this path.")
    with uow:
        s = uow.session
        target = sta.resolve_target(s, resource, uow.principal)
        if target.single:
            raise ValidationFailed("POST phải gửi vào một tập thực thể, không phải một thực thể.",
                                   "POST goes to a collection, not to one entity.")
        now = clock.now()
        writer = Writer(uow, now, _all_communes_known(uow, _commune_hint(body)))
        es = target.es
        if es.name == "Observations":
            ds_id = feature_id = None
            if target.parent is not None:
                pes, pid, _ = target.parent
                if pes.name == "Datastreams":
                    ds_id = pid
                elif pes.name == "FeaturesOfInterest":
                    feature_id = pid
            new_id = _create_observation(uow, writer, body, ds_id, feature_id)
        else:
            created = writer.create(es.name, body, target.parent)
            new_id = created.id
            for ds_id, observations, loc in created.observations:
                for n, obs in enumerate(observations):
                    _create_observation(uow, writer, obs, ds_id, None, f"{loc}/{n}")
        uow.commit()
        ctx = _context(uow, base)
        _, doc = sta.read_entity(s, sta.Target(es, sta.ENTITY_SETS[es.name].model.id == new_id,
                                               True, new_id), odata.QueryOptions(), ctx)
    return StaAnswer(doc, 201, ctx.link(es, new_id))


def _commune_hint(body: Any) -> str:
    if isinstance(body, Mapping):
        props = body.get("properties")
        if isinstance(props, Mapping) and isinstance(props.get("communeCode"), str):
            return str(props["communeCode"])
    return ""


def _create_observation(uow: UnitOfWork, writer: Writer, body: Any, datastream_id: int | None,
                        feature_id: int | None, loc: str = "") -> int:
    """One STA Observation through the common ingestion path; returns its id."""
    now = clock.now()
    ds, start, result, extras, new_feature = payloads.parse_observation(
        body, loc, datastream_id, now)
    if feature_id is not None:
        extras = replace(extras, feature_id=feature_id)
    if new_feature is not None:
        feature = writer.feature(
            parse_body(FeatureOfInterestCreate, new_feature, f"{loc}/FeatureOfInterest"),
            f"{loc}/FeatureOfInterest")
        extras = replace(extras, feature_id=feature.id)
    if extras.feature_id is not None and uow.session.get(FeatureOfInterest,
                                                         extras.feature_id) is None:
        raise ValidationFailed("Không có FeatureOfInterest này.", "No such FeatureOfInterest.",
                               [FieldError(f"{loc}/FeatureOfInterest", "Không tồn tại",
                                           "Does not exist")])
    series = SeriesIn(ds, [start], [result], [extras], loc)
    _write_series(uow, [series], _principal_allowed(uow.principal), all_or_nothing=True,
                        now=now)
    ids = store.ids_by_time(uow.session, ds, [start])
    return ids[to_epoch_us(start)]
