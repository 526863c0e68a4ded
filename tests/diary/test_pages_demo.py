"""The diary's pages (server-rendered, Vietnamese first) and the demo diaries."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from nongso.diary import services
from nongso.diary.models import Activity, Flag, Season
from tests.diary.conftest import Diary


def test_pages_by_role(diary: Diary) -> None:
    d = diary
    c = d.actors.client
    r = c.get("/diary", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/diary"
    page = c.get("/diary", headers={**d.actors.headers("farmer_a"), "Accept": "text/html"})
    assert page.status_code == 200 and "Nhật ký sản xuất" in page.text
    assert 'rel="manifest"' in page.text and "/static/js/diary.js" in page.text
    sw = c.get("/diary/sw.js")
    assert sw.headers["service-worker-allowed"] == "/diary" and "caches.open" in sw.text
    # Every file of the offline shell exists: one missing one and the worker never installs.
    shell = re.search(r"const SHELL = \[(.*?)\];", sw.text, re.S)
    assert shell is not None
    for url in re.findall(r'"([^"]+)"', shell.group(1)):
        got = c.get(url, headers={**d.actors.headers("farmer_a"), "Accept": "text/html"})
        assert got.status_code == 200, url
    manifest = c.get("/diary/manifest.webmanifest").json()
    assert manifest["start_url"] == "/diary" and manifest["display"] == "standalone"
    coop = c.get("/diary/coop", params={"season": "dong_xuan:2025-2026"},
                 headers=d.actors.headers("coop_a"))
    assert coop.status_code == 200 and "HTX Thử nghiệm A" in coop.text
    assert "Năng suất TB xã" in coop.text
    banned = c.post("/api/v1/diary/activities", headers=d.actors.headers("farmer_a"), json={
        "season_id": d.season_a.id, "kind": "spraying", "at": "2026-01-10T07:00:00+07:00",
        "inputs": [{"input_id": d.carbendazim.id, "quantity": 1, "unit": "L"}],
        "confirm_flags": True})
    assert banned.json()["flags"] == ["banned-ingredient"]
    inspector = c.get("/diary/area", headers=d.actors.headers("inspector"))
    assert "Vụ có vi phạm" in inspector.text and "A-001" in inspector.text
    assert "Vụ có vi phạm" not in c.get("/diary/area", headers=d.actors.headers("buyer")).text
    area = c.get("/diary/area", headers=d.actors.headers("province"))
    assert area.status_code == 200 and "Đông Xuân 2025-2026" in area.text
    assert "Nguyễn Văn Thử" not in area.text  # aggregates only
    en = c.get("/diary/area?lang=en", headers=d.actors.headers("buyer"))
    assert "Diary by commune" in en.text and "Winter–spring 2025-2026" in en.text
    season = c.get(f"/diary/seasons/{d.season_a.id}", headers=d.actors.headers("inspector"))
    assert season.status_code == 200 and "Sổ nhật ký VietGAP" in season.text
    assert c.get(f"/diary/seasons/{d.season_a.id}", headers={
        **d.actors.headers("commune_b"), "Accept": "text/html"}).status_code == 404


def test_demo_builds_diaries_with_flags(platform: Platform) -> None:
    result = demo.build_demo(platform.uow(SYSTEM), "82", "mat-khau-demo", scale=0.05)
    assert result.built
    with platform.uow() as uow:
        s = uow.session
        activities = s.scalar(select(func.count()).select_from(Activity)) or 0
        rows = s.execute(select(Season.id, Season.season_key, Season.activities_count,
                                Season.crop, Season.harvest_kg, Season.area_ha)).all()
        flags = set(s.scalars(select(Flag.rule_id).distinct()).all())
        # (co-operative processing and sales of the demo journeys belong to no season)
        plain = dict(s.execute(select(Activity.season_id, func.count())
                               .where(Activity.status != "planned",
                                      Activity.season_id.is_not(None))
                               .group_by(Activity.season_id)).all())
    assert activities > 1000 and len(rows) > 50
    assert {x.season_key for x in rows} >= {"dong_xuan:2025-2026", "thu_dong:2025"}  # on 20/03/2026
    assert flags  # some violations on purpose
    assert {x.id: x.activities_count for x in rows if x.activities_count} == plain
    rice = [x for x in rows if x.crop == "rice" and x.harvest_kg]
    mean = sum(x.harvest_kg for x in rice) / 1000 / sum(x.area_ha for x in rice)
    assert 4.5 < mean < 8.0  # t/ha, as the delta's statistics
    # The demo farmer sees his diary; figures agree with a fresh recomputation.
    from nongso.accounts.models import User
    from nongso.accounts.services import principal_of

    with platform.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == "nongdan"))
        assert user is not None
        farmer = principal_of(user)
    home = services.farmer_home(platform.uow(farmer))
    assert home.plots and home.recent and home.inputs
    season = next(c.season for c in home.plots if c.season is not None)
    assert season is not None
    with platform.uow() as uow:
        before = uow.session.get(Season, season.id)
        assert before is not None
        kept = (before.flags_count, before.harvest_kg, before.safe_harvest_date)
        services._refresh_seasons(uow.session, [season.id])
        after = uow.session.get(Season, season.id)
        assert after is not None
        assert (after.flags_count, after.harvest_kg, after.safe_harvest_date) == kept
    assert dt.date.today()
