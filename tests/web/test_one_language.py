"""One language at a time: every page of a small demo province, in Vietnamese and in English,
shows no text of the other language beyond proper names.

The pages are walked like a user would (links followed from the menu's pages, one page per
route: a list page, then the first detail page it links to), as an administrator, a
co-operative manager and a farmer. English pages fail on words with Vietnamese letters that
are not proper names (places, people, organisations, stations, fields: read from the
database) and on Vietnamese number formats; Vietnamese pages fail on known English words of
the interface and on rule identifiers shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from nongso.accounts import services as accounts
from nongso.app import create_app
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.demo import services as demo
from tests.helpers import wipe_database

PASSWORD = "mat-khau-demo"
START = ["/", "/units", "/audit", "/map", "/alerts", "/monitor", "/diary", "/diary/coop",
         "/diary/area", "/market", "/market/output", "/market/trade", "/market/catalogue",
         "/market/equipment", "/opendata", "/remote", "/stats", "/stats/pivot", "/stats/entry",
         "/stats/reports", "/stats/import", "/stats/quality", "/trace", "/trace/recall",
         "/trace/ocop", "/vision", "/vision/advice", "/scan", "/registry/import"]
# Route templates of the pages: a link that matches one is visited once per template.
ROUTES = [r"/alerts/\d+", r"/diary/seasons/\d+", r"/market/series/\d+", r"/market/listings/\d+",
          r"/market/equipment/\d+", r"/monitor/stations/\d+", r"/opendata/datasets/[^/]+\.html",
          r"/units/\d+", r"/registry/[^/]+/[^/]+", r"/remote/fields/\d+", r"/stats/communes/\d+",
          r"/trace/lots/[^/]+", r"/vision/photos/\d+", r"/vision/advice/[^/]+"]
SKIP = re.compile(r"^/(api|static|lang|login|logout|sta|ogc|collections)\b|\.(js|json|csv|xlsx|"
                  r"pdf|atom|xml|webmanifest|geojson|zip|png|jpg)$")
VI_LETTERS = "àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
VI_WORD = re.compile(rf"[\w]*[{VI_LETTERS}{VI_LETTERS.upper()}][\w]*")
# 15.111,1 or 3,5: Vietnamese decimal marks on an English page.
VI_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+,\d+(?![\d,])"
                       r"|(?<![\d.,])\d+,\d{1,2}(?![\d,])")
# Words of the interface and identifiers that must not reach a Vietnamese page as text.
EN_ON_VI = ["banned-ingredient", "pre-harvest-interval", "dose-above-label", "not-registered",
            "over-dose", "phi-violation", "salinity-risk", "flood-level", "rate-of-rise",
            "station-silence", "bph-light-trap", "rice-blast", "banned_pesticides.csv",
            "connected", "national height datum", "Loading", "None", "null", "undefined",
            "True", "False", "Station", "Search", "Submit", "Save", "Cancel", "Delete",
            "Commune", "Season", "Crop", "Source", "Rule", "Status", "Severity",
            # The English sources of the alert rules (an alert page shows its rule's source).
            "primary document not yet cited", "platform rule", "platform default", "hysteresis",
            "agronomic practice", "irrigation water", "Mekong Delta"]
EN_ON_VI_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in EN_ON_VI) + r")(?![\w-])")
# Proper names: places, people, organisations, stations, fields, markets.
NAME_QUERIES = ("SELECT name FROM admin_units", "SELECT short_name FROM admin_units",
                "SELECT name FROM organisations", "SELECT full_name FROM farmers",
                "SELECT full_name FROM users", "SELECT name FROM sta_things",
                "SELECT name FROM production_units", "SELECT name FROM diary_plots",
                "SELECT name FROM sta_locations", "SELECT name FROM infrastructure",
                "SELECT operator_name FROM market_equipment",
                "SELECT market_name FROM market_quotes",
                "SELECT dealer_name FROM trace_lot_inputs",
                # Brand names of pesticides and rice varieties.
                "SELECT name FROM diary_inputs WHERE kind = 'pesticide'",
                "SELECT variety FROM diary_inputs",
                # NOT YET one language: text people or the trace log wrote in Vietnamese and
                # stored as such (equipment and listing titles, lot labels, activity notes, a
                # held lot's signed reason; a location people named, not a field the platform
                # named in both languages). Listed here so that the test keeps failing on
                # everything else; remove a line when its table gets an English column.
                "SELECT name FROM market_equipment", "SELECT title FROM market_listings",
                "SELECT description FROM market_listings",
                "SELECT price_unit FROM market_listings", "SELECT label FROM trace_lots",
                "SELECT label FROM trace_logistic_units", "SELECT label FROM trace_items",
                "SELECT notes FROM diary_activities", "SELECT status_reason FROM trace_lots",
                "SELECT name FROM trace_locations WHERE name_en IS NULL")
# Vietnamese words that English text keeps on purpose, explained where they appear.
# (đ: the đồng's sign, as prices are written in both languages.)
GLOSSARY = ("Việt Nam", "ô bao", "Hội quán", "hội quán", "công", "Tiền", "Hậu", "Cửa Tiểu", "đ")
# NOT YET one language, page by page: the registry record of a monitoring point shows the
# reference note of registry/data/monitoring_stations.csv, written in English only.
KNOWN_GAPS = (re.compile(r"/registry/infrastructure/\d+"),)


class _Text(HTMLParser):
    """The text a reader sees (and hears: title, aria-label, placeholder, alt)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if value and name in ("title", "aria-label", "placeholder", "alt"):
                self.parts.append(value)
            if tag == "a" and name == "href" and value:
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


@pytest.fixture(scope="module")
def province(_platform: Platform) -> Iterator[tuple[TestClient, dict[str, dict[str, str]],
                                                    list[str]]]:
    """A small demo province, its users' bearer headers and its proper names."""
    demo.build_demo(_platform.uow(SYSTEM), "82", PASSWORD, scale=0.01)
    headers = {}
    for user in ("admin", "quanly.htx", "nongdan"):
        token = accounts.issue_token(_platform.uow(), user, PASSWORD, "lang").access_token
        headers[user] = {"Authorization": f"Bearer {token}"}
    names: set[str] = {"Nông Số", *GLOSSARY}
    with _platform.engine.connect() as conn:
        for sql in NAME_QUERIES:
            names.update(v for (v,) in conn.execute(text(sql)) if v)
    proper = sorted(names, key=len, reverse=True)
    with TestClient(create_app(_platform)) as client:
        yield client, headers, proper
    wipe_database(_platform)


def _walk(client: TestClient, headers: dict[str, str], lang: str) -> Iterator[tuple[str, str]]:
    """(path, visible text) of every page reachable from START, one page per route."""
    seen_routes: set[str] = set()
    queue = list(START)
    done: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in done:
            continue
        done.add(path)
        if any(gap.fullmatch(path) for gap in KNOWN_GAPS):
            continue
        r = client.get(path, params={"lang": lang}, headers={**headers, "Accept": "text/html"},
                       follow_redirects=False)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        parser = _Text()
        parser.feed(r.text)
        # A title is one line of text (not a table that slipped into the block).
        title = re.search(r"<title>(.*?)</title>", r.text, re.S)
        assert title is not None and "<" not in title.group(1), (path, r.text[:500])
        yield path, "\n".join(parser.parts)
        for href in parser.links:
            link = href.split("#")[0].split("?")[0]
            if not link.startswith("/") or SKIP.search(link) or link in done:
                continue
            route = next((p for p in ROUTES if re.fullmatch(p, link)), None)
            if route is None or route in seen_routes:
                continue
            seen_routes.add(route)
            queue.append(link)


# Identifiers that are proper names too: decision numbers (4154/QĐ-BNN-BVTV), standards.
DOCUMENT_NUMBER = re.compile(r"\S*/QĐ-\S+|\bQĐ-\S+")


def _strip_names(page: str, proper: list[str]) -> str:
    """The page without proper names (whole words only: a one-letter name must not eat the
    first letter of another word)."""
    page = DOCUMENT_NUMBER.sub(" ", page)
    for name in proper:
        if name in page:
            page = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", page)
    return page


@pytest.mark.parametrize("user", ["admin", "quanly.htx", "nongdan"])
def test_english_pages_show_no_vietnamese(province: tuple[TestClient, dict[str, dict[str, str]],
                                                          list[str]], user: str) -> None:
    client, headers, proper = province
    faults: dict[str, set[str]] = {}
    pages = 0
    for path, page in _walk(client, headers[user], "en"):
        pages += 1
        rest = _strip_names(page, proper)
        found = set(VI_WORD.findall(rest)) | set(VI_NUMBER.findall(rest))
        if found:
            faults[path] = found
    assert pages > 20
    assert not faults, "\n".join(f"{p}: {sorted(w)[:25]}" for p, w in faults.items())


@pytest.mark.parametrize("user", ["admin", "quanly.htx", "nongdan"])
def test_vietnamese_pages_show_no_english(province: tuple[TestClient,
                                                           dict[str, dict[str, str]],
                                                           list[str]], user: str) -> None:
    client, headers, proper = province
    faults: dict[str, set[str]] = {}
    pages = 0
    for path, page in _walk(client, headers[user], "vi"):
        pages += 1
        # (The audit log shows the stored values as they are: JSON.)
        text_ = "\n".join(line for line in page.split("\n") if not line.startswith("{"))
        found = set(EN_ON_VI_RE.findall(_strip_names(text_, proper)))
        if found:
            faults[path] = found
    assert pages > 20
    assert not faults, "\n".join(f"{p}: {sorted(w)}" for p, w in faults.items())
