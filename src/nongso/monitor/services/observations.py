"""Observations over HTTP: the compact batch (``POST /api/v1/monitor/observations``) and
SensorThings ``CreateObservations`` (dataArray); resetting a datastream's observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete

from nongso.core import clock
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import require_login, require_role
from nongso.core.uow import UnitOfWork
from nongso.monitor import payloads, store
from nongso.monitor.ingest import SeriesIn
from nongso.monitor.models import Observation, ObservationDaily, ObservationHourly, to_epoch_us
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.schemas import IngestReport, RejectionPublic
from nongso.monitor.services._common import (
    _Outcome,
    _principal_allowed,
    _raise_for,
    _rate_limit,
    _write_series,
)


def _report(out: _Outcome, lang: str = "vi") -> IngestReport:
    return IngestReport(
        received=out.received, stored=out.stored, duplicates=out.duplicates,
        bad_quality=out.bad_quality,
        rejected=[RejectionPublic(loc=r.loc, code=r.code,
                                  message=r.message_vi if lang == "vi" else r.message_en,
                                  datastream_id=r.datastream_id, device=r.device)
                  for r in out.rejected[:1000]],
    )


def ingest(uow: UnitOfWork, series: Sequence[SeriesIn], *, limiter: RateLimiter | None = None,
           lang: str = "vi") -> IngestReport:
    """Store a batch all or nothing: any refused reading (unknown or foreign datastream,
    future time, wrong type) refuses the batch and nothing is stored."""
    require_login(uow.principal)
    _rate_limit(uow.principal, limiter)
    with uow:
        out = _write_series(uow, series, _principal_allowed(uow.principal),
                            all_or_nothing=True, now=clock.now())
        uow.commit()
    return _report(out, lang)


def ingest_compact(uow: UnitOfWork, body: Any, *, limiter: RateLimiter | None = None,
                   lang: str = "vi") -> IngestReport:
    """``POST /api/v1/monitor/observations``: the compact batch, all or nothing."""
    series, problems = payloads.parse_compact(body)
    if problems:
        raise payloads.PayloadError(problems)
    return ingest(uow, series, limiter=limiter, lang=lang)


def create_observations(uow: UnitOfWork, body: Any, base: str, *,
                        limiter: RateLimiter | None = None) -> list[str]:
    """``POST CreateObservations`` (dataArray): one selfLink per row, or ``"error"`` for a
    row that was refused (a time in the future, a wrong result type); a readings sent again
    answers the selfLink of the one already stored. A body that cannot be read, an unknown
    or a foreign datastream refuses the whole request."""
    require_login(uow.principal)
    series = payloads.parse_data_array(body)
    _rate_limit(uow.principal, limiter)
    with uow:
        s = uow.session
        infos = store.datastream_infos(s, (x.datastream_id for x in series))
        unknown = [x for x in series if x.datastream_id not in infos]
        if unknown:
            raise ValidationFailed(
                f"Không có Datastream mã {unknown[0].datastream_id}.",
                f"There is no Datastream {unknown[0].datastream_id}.",
                [FieldError(x.loc.rsplit('/', 1)[0] + "/Datastream", "Không tồn tại",
                            "Does not exist") for x in unknown])
        out = _write_series(uow, series, _principal_allowed(uow.principal),
                            all_or_nothing=False, now=clock.now())
        forbidden = [r for r in out.rejected if r.code == "forbidden"]
        if forbidden:
            _raise_for(forbidden)
        links: list[str] = []
        for x, p in out.prepared:
            bad = {r.index for r in p.rejected}
            ok_times = [t for i, t in enumerate(x.times) if i not in bad]
            ids = store.ids_by_time(s, x.datastream_id, ok_times)
            for i, t in enumerate(x.times):
                if i in bad:
                    links.append("error")
                else:
                    links.append(f"{base}/Observations({ids[to_epoch_us(t)]})")
        uow.commit()
    return links


def delete_observations_of(uow: UnitOfWork, datastream_id: int) -> int:
    """Remove every observation of a datastream (admin; used to reset a sensor)."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        n = s.execute(delete(Observation).where(Observation.datastream_id == datastream_id))
        s.execute(delete(ObservationHourly).where(
            ObservationHourly.datastream_id == datastream_id))
        s.execute(delete(ObservationDaily).where(ObservationDaily.datastream_id == datastream_id))
        uow.commit()
        return int(getattr(n, "rowcount", 0) or 0)
