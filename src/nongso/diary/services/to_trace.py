"""The contract with traceability: the events the diary publishes for a harvest, a
processing step or a sale (in the unit of work of the record), the same events published again
for rows written without them, and every input a season used with its dealer and lot.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, select

from nongso.core import events
from nongso.core.permissions import require_role
from nongso.core.uow import UnitOfWork
from nongso.diary import rules
from nongso.diary import seasons as season_names
from nongso.diary.models import (
    Activity,
    ActivityInput,
    ActivityLink,
    ActivityOutput,
    Flag,
    Input,
    Plot,
    Purchase,
    Season,
)
from nongso.diary.schemas import ActiveIngredient, InputUsePublic
from nongso.diary.services.seasons import _load_season
from nongso.registry import services as registry


def _violations_upstream(uow: UnitOfWork, harvest: Activity) -> tuple[str, ...]:
    """The violations of the harvest's season recorded up to and with the harvest."""
    s = uow.session
    s.flush()
    rows = s.execute(select(Flag.rule_id, Flag.message_vi)
                     .join(Activity, Activity.id == Flag.activity_id)
                     .where(Flag.season_id == harvest.season_id, Flag.severity == "violation",
                            Activity.at <= harvest.at)
                     .order_by(Activity.at, Flag.id)).all()
    return tuple(dict.fromkeys(f"{rule_id}: {message}" for rule_id, message in rows))


def _publish_recorded(uow: UnitOfWork, a: Activity) -> None:
    """The diary's events for other domains (traceability, statistics), in the same unit of
    work as the record."""
    if a.status != "done":
        return
    s = uow.session
    if a.kind == "harvest":
        season = s.get(Season, a.season_id) if a.season_id else None
        plot = s.get(Plot, a.plot_id) if a.plot_id else None
        if season is None or plot is None:
            return
        events.publish(uow, events.HarvestRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, season_id=season.id, plot_id=plot.id,
            production_unit_id=plot.production_unit_id, organisation_id=a.organisation_id,
            farmer_id=a.farmer_id, commune_code=a.commune_code, crop=season.crop,
            variety=season.variety, harvested_at=a.at, quantity_kg=float(a.quantity_base or 0),
            moisture_pct=a.moisture_pct, planting_area_code=plot.planting_area_code,
            certifications=tuple(plot.certifications or ()),
            season_name=season_names.season_label(season.season_kind, season.year_start,
                                                  season.year_end),
            area_ha=a.area_ha or season.area_ha, tree_id=a.tree_id,
            violations=_violations_upstream(uow, a),
        ))
    elif a.kind in rules.PROCESSING_KINDS:
        links = s.execute(select(ActivityLink.source_activity_id, ActivityLink.quantity_kg)
                          .where(ActivityLink.activity_id == a.id)
                          .order_by(ActivityLink.id)).all()
        outs = s.execute(select(ActivityOutput.product, ActivityOutput.quantity_kg,
                                ActivityOutput.is_main)
                         .where(ActivityOutput.activity_id == a.id)
                         .order_by(ActivityOutput.id)).all()
        events.publish(uow, events.ProcessingRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, kind=a.kind, at=a.at,
            organisation_id=a.organisation_id,
            inputs=tuple((int(i), float(kg)) for i, kg in links),
            outputs=tuple((str(p), float(kg), bool(m)) for p, kg, m in outs),
            season_id=a.season_id, plot_id=a.plot_id, farmer_id=a.farmer_id,
            commune_code=a.commune_code,
        ))
    elif a.kind == "sale":
        sold_from = s.execute(select(ActivityLink.source_activity_id)
                              .where(ActivityLink.activity_id == a.id)
                              .order_by(ActivityLink.id)).scalars().all()
        season = s.get(Season, a.season_id) if a.season_id else None
        events.publish(uow, events.SaleRecorded(
            activity_id=a.id, client_uuid=a.client_uuid, at=a.at,
            seller_organisation_id=a.organisation_id,
            buyer_organisation_id=a.buyer_organisation_id,
            source_activity_ids=tuple(int(x) for x in sold_from),
            quantity_kg=float(a.quantity_base or 0), price_vnd_per_kg=a.price_vnd_per_kg,
            season_id=a.season_id, plot_id=a.plot_id, farmer_id=a.farmer_id,
            commune_code=a.commune_code, product=season.crop if season is not None else None,
        ))


def season_input_uses(uow: UnitOfWork, season_id: int) -> list[InputUsePublic]:
    """Every input used in a season, with its dealer, lot and the rules it breaks."""
    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        rows = s.execute(
            select(Activity, ActivityInput, Input, Purchase)
            .join(ActivityInput, ActivityInput.activity_id == Activity.id)
            .join(Input, Input.id == ActivityInput.input_id)
            .outerjoin(Purchase, Purchase.id == ActivityInput.purchase_id)
            .where(Activity.season_id == season.id, Activity.status != "planned")
            .order_by(Activity.at, ActivityInput.id)
        ).all()
        # A flag names the input it is about (details.input_id): banned ingredient, dose.
        flags: dict[tuple[int, int | None], set[str]] = defaultdict(set)
        for aid, rule_id, details in s.execute(select(Flag.activity_id, Flag.rule_id,
                                                      Flag.details)
                                               .where(Flag.season_id == season.id)).all():
            flags[(aid, (details or {}).get("input_id"))].add(rule_id)
        out = []
        dealers = registry.organisation_names(
            uow, (purchase.dealer_organisation_id for *_, purchase in rows if purchase))
        for a, use, item, purchase in rows:
            dealer_name = dealers.get(purchase.dealer_organisation_id) if purchase else None
            rule_ids = flags.get((a.id, item.id), set())
            out.append(InputUsePublic(
                activity_id=a.id, client_uuid=a.client_uuid, at=a.at, kind=a.kind,
                plot_id=a.plot_id, season_id=a.season_id, input_id=item.id,
                input_kind=item.kind, product_name=item.name,
                active_ingredients=[ActiveIngredient.model_validate(x)
                                    for x in item.active_ingredients or []],
                quantity=use.quantity, unit=use.unit, quantity_base=use.quantity_base,
                base_unit=use.base_unit, dose_per_ha=use.dose_per_ha,
                dealer_organisation_id=purchase.dealer_organisation_id if purchase else None,
                dealer_name=dealer_name, purchase_id=use.purchase_id,
                purchase_lot=purchase.lot if purchase else None, flags=sorted(rule_ids),
            ))
        return out


def publish_recorded_events(uow: UnitOfWork, organisation_id: int | None = None,
                            season_key: str | None = None) -> int:
    """Publish HarvestRecorded / ProcessingRecorded / SaleRecorded again for activities
    already in the diary (admin): for rows written in bulk without events (the demo) or a
    subscriber that joins later. Returns how many events were published."""
    require_role(uow.principal, "admin")
    with uow:
        s = uow.session
        stmt = select(Activity).where(Activity.status == "done",
                                      Activity.kind.in_(rules.PRODUCE_KINDS | {"sale"}))
        if organisation_id is not None:
            stmt = stmt.where(Activity.organisation_id == organisation_id)
        if season_key:
            stmt = stmt.where(Activity.season_id.in_(
                select(Season.id).where(Season.season_key == season_key)))
        # Harvests first, then processing, then sales: each event's sources exist before it.
        order = case((Activity.kind == "harvest", 0), (Activity.kind == "sale", 2), else_=1)
        count = 0
        for a in s.scalars(stmt.order_by(order, Activity.at, Activity.id)).all():
            _publish_recorded(uow, a)
            count += 1
        uow.commit()
        return count
