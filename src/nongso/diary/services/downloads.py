"""Files to download: a season's record book (Excel or PDF) and a co-operative's input
use and harvest sheets. The data is gathered here; the pure ``diary.exports`` writes the files.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from nongso.core.uow import UnitOfWork
from nongso.diary.models import Activity, Flag, Purchase
from nongso.diary.services.activities import _activity_publics
from nongso.diary.services.compliance import _flag_publics
from nongso.diary.services.purchases import _purchase_publics
from nongso.diary.services.seasons import _load_season, _season_publics
from nongso.diary.services.views import coop_summary
from nongso.registry import services as registry


def season_record_book(uow: UnitOfWork, season_id: int, fmt: str) -> tuple[bytes, str]:
    """The season's VietGAP-style record book as Excel ("xlsx") or PDF ("pdf")."""
    from nongso.diary import exports
    from nongso.units import services as units

    with uow:
        s = uow.session
        season = _load_season(uow, season_id)
        public = _season_publics(s, [season])[0]
        acts = s.scalars(select(Activity).where(Activity.season_id == season.id)
                         .order_by(Activity.at, Activity.id)).all()
        activities = _activity_publics(uow, acts)
        purchase_ids = {i.purchase_id for a in activities for i in a.inputs if i.purchase_id}
        purchases = s.scalars(select(Purchase).where(
            (Purchase.id.in_(purchase_ids)) | (
                (Purchase.farmer_id == season.farmer_id) & Purchase.farmer_id.is_not(None)
                & (Purchase.purchased_on >= (season.sowing_date or dt.date.min)
                   - dt.timedelta(days=60))
                & (Purchase.purchased_on <= (season.first_harvest_date or dt.date.max))))
            .order_by(Purchase.purchased_on, Purchase.id)).all()
        flags = s.scalars(select(Flag).where(Flag.season_id == season.id)
                          .order_by(Flag.id)).all()
        farmer = registry.farmer_names(uow, [season.farmer_id]).get(season.farmer_id or 0)
        org = registry.organisation_names(uow, [season.organisation_id]).get(
            season.organisation_id or 0)
        buyers = registry.organisation_names(uow, (a.buyer_organisation_id for a in activities))
        commune = units.get_unit(uow, season.commune_code).name
        book = exports.RecordBook(
            season=public, farmer_name=farmer, organisation_name=org, commune_name=commune,
            activities=activities, purchases=_purchase_publics(uow, purchases),
            flags=sorted(_flag_publics(s, flags, "vi"), key=lambda f: (f.activity_at, f.id)),
            buyers=buyers)
    name = f"so-nhat-ky-{public.plot_code}-{public.season_key.replace(':', '-')}"
    if fmt == "pdf":
        return exports.record_book_pdf(book), name + ".pdf"
    return exports.record_book_xlsx(book), name + ".xlsx"


def coop_input_use_xlsx(uow: UnitOfWork, organisation_id: int, season_key: str
                        ) -> tuple[bytes, str]:
    from nongso.diary import exports

    summary = coop_summary(uow, organisation_id, season_key)
    return exports.input_use_xlsx(summary), \
        f"vat-tu-{organisation_id}-{season_key.replace(':', '-')}.xlsx"


def coop_harvest_xlsx(uow: UnitOfWork, organisation_id: int, season_key: str
                      ) -> tuple[bytes, str]:
    from nongso.diary import exports

    summary = coop_summary(uow, organisation_id, season_key)
    return exports.harvest_xlsx(summary), \
        f"san-luong-{organisation_id}-{season_key.replace(':', '-')}.xlsx"
