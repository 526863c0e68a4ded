"""'Việc hôm nay' on the farmer's phone lists the due tasks of the season template."""

from __future__ import annotations

import datetime as dt

from nongso.core.permissions import SYSTEM
from nongso.diary import services
from nongso.diary.schemas import PlotCreate, SeasonCreate
from tests.diary.conftest import Diary, _unit


def test_today_tasks_come_from_the_season_template(diary: Diary) -> None:
    a = diary.actors
    unit = _unit(diary.platform, a.farmer_a.id, a.coop_a.id, a.commune_a, "A-009", 1.0)
    admin = diary.platform.uow(SYSTEM)
    plot = services.create_plot(admin, PlotCreate(production_unit_id=unit))
    # Sown 8 days before "today" (20/03/2026): the first top-dressing (day 8) is due today,
    # the pre-emergence herbicide (day 2) is overdue; later steps are not shown yet.
    services.create_season(admin, SeasonCreate(
        plot_id=plot.id, season_kind="xuan_he", sowing_date=dt.date(2026, 3, 12),
        template_code="lua-3-vu"))
    r = a.client.get("/api/v1/diary/me", headers=a.headers("farmer_a"))
    assert r.status_code == 200, r.text
    tasks = [t for t in r.json()["tasks"] if t["plot_id"] == plot.id]
    due = {(t["kind"], t["due"], t["overdue"]) for t in tasks}
    assert ("fertilising", "2026-03-20", False) in due, due
    assert ("spraying", "2026-03-14", True) in due, due
    assert all(t["due"] <= "2026-03-24" for t in tasks), tasks
    assert any(t["title"] and t["title"].startswith("Bón thúc lần 1") for t in tasks), tasks
