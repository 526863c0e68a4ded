"""The demo market: seven years of prices with the planted anomalies found, supply and demand
matched; deterministic and idempotent."""

from __future__ import annotations

from nongso.core import clock
from nongso.core.pagination import PageRequest
from nongso.core.permissions import SYSTEM
from nongso.demo import market as demo_market
from nongso.market import services as market
from tests.helpers import Actors


def test_demo_prices_warnings_and_matches(actors: Actors) -> None:
    uow = actors.platform.uow(SYSTEM)
    with uow:
        built = demo_market.load(uow, "82", clock.today_vn(), clock.now(), seed=2026)
        uow.commit()
    assert built.series > 40 and built.quotes > built.series * 60
    report = market.anomaly_report(actors.platform.uow(SYSTEM), everything=True)
    status = {(r.series.product_code, r.series.level): r.status for r in report.warnings
              if r.series.place_code in ("82", actors.commune_a)}
    # The planted spikes are found; the stopped and the young series say why they are silent.
    assert status[("lua_tuoi_thuong", "farm_gate")] == "alert"
    assert status[("sau_rieng_ri6", "wholesale")] == "alert"
    assert report.counts.get("stale") == 1 and report.counts.get("insufficient_history") == 1
    history = market.series_detail(actors.platform.uow(SYSTEM), report.warnings[0].series.id)
    assert len(history.history) == 84  # seven years of months
    assert built.warnings >= 2 and built.proposals >= 1
    proposals = market.list_proposals(actors.platform.uow(SYSTEM), PageRequest(50, 0))
    assert proposals.total == built.proposals
    again = demo_market.load(actors.platform.uow(SYSTEM), "82", clock.today_vn(), clock.now())
    assert again.series == 0  # already there: nothing added
