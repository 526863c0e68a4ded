"""The demo province has lots with QR codes, journeys from the field to shops, OCOP products,
a recalled lot and a log that verifies."""

from __future__ import annotations

from sqlalchemy import func, select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.trace import services
from nongso.trace.digital_link import parse_digital_link
from nongso.trace.models import EpcisEvent, Location, Lot, OcopProduct


def test_demo_journeys_from_field_to_shop(platform: Platform) -> None:
    result = demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
    assert len(result.trace_links) >= 3
    with platform.uow() as uow:
        s = uow.session
        assert (s.scalar(select(func.count()).select_from(Lot)) or 0) > 20
        steps = dict(s.execute(select(EpcisEvent.biz_step, func.count())
                               .group_by(EpcisEvent.biz_step)).all())
        assert steps["commissioning"] > 10 and steps["creating_class_instance"] >= 3
        assert steps["packing"] >= 6 and steps["unpacking"] >= 3
        assert steps["shipping"] >= 9 and steps["receiving"] >= 9
        shops = s.scalar(select(func.count()).select_from(Location)
                         .where(Location.kind == "shop")) or 0
        assert shops >= 2
        assert s.scalar(select(func.count()).select_from(OcopProduct)) == 3
        assert all(o.image for o in s.scalars(select(OcopProduct)))
        assert s.scalar(select(func.count()).select_from(Lot)
                        .where(Lot.status == "recalled")) == 1
    link = parse_digital_link(result.trace_links[0])
    view = services.consumer_view(platform.uow(), link.gtin, link.lot)
    steps_seen = [t.step for t in view.timeline]
    assert steps_seen[0] == "commissioning" and "receiving" in steps_seen
    places = [t.place or "" for t in view.timeline if t.step == "receiving"]
    assert any(p.startswith(("Cửa hàng", "Siêu thị", "Quầy")) for p in places), places
    report = services.verify_log(platform.uow(SYSTEM))
    assert report.ok and report.events_checked > 30
