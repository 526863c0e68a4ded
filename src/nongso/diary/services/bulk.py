"""A co-operative records the same activity on many member plots at once; each farmer then
confirms or edits his own.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from nongso.core import audit
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity, Plot, Season
from nongso.diary.schemas import ActivityCreate, ActivityInputIn, BulkActivityCreate, BulkResult
from nongso.diary.services._common import _aware, _can_write, _check_not_future
from nongso.diary.services.activities import _prepare, _write
from nongso.diary.services.figures import _refresh_seasons


def _refused(plot_ids: list[int], refused: list[int], why: tuple[str, str],
             each: tuple[str, str]) -> ValidationFailed:
    """The whole batch refused for these plots (Vietnamese, English): the first 20 named in
    the message, the first 50 pointed at by their position in ``plot_ids``."""
    return ValidationFailed(
        f"{len(refused)} {why[0]}: {refused[:20]}.", f"{len(refused)} {why[1]}: {refused[:20]}.",
        [FieldError(f"plot_ids/{plot_ids.index(i)}", *each) for i in refused[:50]])


def bulk_record(uow: UnitOfWork, data: BulkActivityCreate) -> BulkResult:
    """The same activity on many member plots, proposed for each farmer to confirm or edit.

    All or nothing: a plot outside the co-operative or without an open season refuses the
    whole batch. Sending the same batch UUID again records nothing twice.
    """
    require_role(uow.principal, "coop_manager")
    p = uow.principal
    at = _aware(data.at)
    _check_not_future(at, "at")
    with uow:
        s = uow.session
        plot_ids = list(dict.fromkeys(data.plot_ids))
        plots = {x.id: x for x in s.scalars(select(Plot).where(Plot.id.in_(plot_ids))).all()}
        outside = [i for i in plot_ids if i not in plots or not _can_write(p, plots[i])]
        if outside:
            raise _refused(plot_ids, outside, ("thửa không thuộc hợp tác xã của bạn",
                                               "plots are not your co-operative's"),
                           ("Thửa không thuộc HTX", "Not a plot of your co-operative"))
        open_seasons: dict[int, Season] = {}
        for season in s.scalars(select(Season).where(Season.plot_id.in_(plot_ids),
                                                     Season.status == "open")
                                .order_by(Season.sowing_date, Season.id)).all():
            open_seasons[season.plot_id] = season  # the latest open one wins
        missing = [i for i in plot_ids if i not in open_seasons]
        if missing:
            raise _refused(plot_ids, missing, ("thửa chưa có vụ đang mở",
                                               "plots have no open season"),
                           ("Chưa có vụ đang mở", "No open season"))
        bulk_id = str(data.client_uuid)
        uuids = {i: str(uuid.uuid5(data.client_uuid, f"plot:{i}")) for i in plot_ids}
        existing = dict(s.execute(select(Activity.client_uuid, Activity.id).where(
            Activity.client_uuid.in_(list(uuids.values())))).all())
        created: list[Activity] = []
        for plot_id in plot_ids:
            if uuids[plot_id] in existing:
                continue
            season = open_seasons[plot_id]
            item = ActivityCreate(
                client_uuid=uuid.UUID(uuids[plot_id]), season_id=season.id, kind=data.kind,
                at=at, done_by=data.done_by, notes=data.notes, pest=data.pest,
                growth_stage=data.growth_stage,
                inputs=[ActivityInputIn(input_id=i.input_id, unit=i.unit,
                                        quantity=round(i.quantity_per_ha * season.area_ha, 6),
                                        purchase_id=i.purchase_id) for i in data.inputs],
            )
            prepared = _prepare(uow, item, None, season)
            prepared.values["status"] = "proposed"
            activity = Activity(client_uuid=uuids[plot_id], version=1, bulk_id=bulk_id,
                                recorded_by_user_id=p.user_id)
            _write(uow, prepared, activity)
            created.append(activity)
        _refresh_seasons(s, [open_seasons[i].id for i in plot_ids])
        audit.record(s, "bulk", "diary_activities", bulk_id,
                     {"kind": data.kind, "plots": len(plot_ids), "created": len(created)})
        uow.commit()
        by_plot = {a.plot_id: a.id for a in created}
        ids = [existing.get(uuids[i]) or by_plot[i] for i in plot_ids]
        return BulkResult(bulk_id=bulk_id, created=len(created),
                          already_recorded=len(plot_ids) - len(created), activity_ids=ids)
