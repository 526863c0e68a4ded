"""Every main page on a 360-px phone, anonymous and signed in: nothing scrolls sideways, the
opened menu stays inside the screen and leaves the account and log-out links reachable."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.diary.conftest import Diary, diary, fixed_clock  # noqa: F401
from tests.helpers import PASSWORD

# Checked in the page: the widest element, the menu links' right edges, and which element is
# on top at the centre of each account control (the opened menu must not cover them).
PROBE = """() => {
  const w = window.innerWidth;
  const out = {scroll: document.documentElement.scrollWidth, inner: w, menu: [], covered: []};
  document.querySelectorAll('#menu nav a').forEach(a => {
    const r = a.getBoundingClientRect();
    if (r.left < 0 || r.right > w) { out.menu.push(a.getAttribute('href') + ' ' + r.right); }
  });
  document.querySelectorAll('#logout, #login-link, #lang-vi, #lang-en').forEach(e => {
    const r = e.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (r.right > w || !(top === e || e.contains(top))) { out.covered.push(e.id); }
  });
  return out;
}"""


def _menu_links(page: Page) -> list[str]:
    links: list[str] = page.eval_on_selector_all(
        "#menu nav a", "as => as.map(a => a.getAttribute('href'))")
    return [h for h in links if not h.startswith("/api/")]  # the API docs are not a phone page


def _check(page: Page, url: str, path: str, problems: list[str]) -> None:
    page.goto(url + path)
    page.wait_for_load_state("load")
    page.click("#menu summary")
    expect(page.locator("#menu nav")).to_be_visible()
    seen = page.evaluate(PROBE)
    if seen["scroll"] > seen["inner"]:
        problems.append(f"{path}: the page is {seen['scroll']} px wide")
    if seen["menu"]:
        problems.append(f"{path}: menu links past the edge {seen['menu']}")
    if seen["covered"]:
        problems.append(f"{path}: covered or off-screen {seen['covered']}")


def test_every_page_fits_a_phone_with_the_menu_open(diary: Diary, live_server: str,  # noqa: F811
                                                    phone: Page) -> None:
    page = phone
    problems: list[str] = []
    page.goto(live_server + "/")
    public = ["/", "/login", *_menu_links(page)]
    for path in dict.fromkeys(public):
        _check(page, live_server, path, problems)
    signed: set[str] = set()
    for user in ["t_admin", "t_coop_a", "t_farmer_a"]:
        page.goto(live_server + "/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#logout")).to_be_visible()
        for path in _menu_links(page):
            if path not in signed:  # the admin sees most pages; the others add their own
                _check(page, live_server, path, problems)
                signed.add(path)
        page.click("#logout")
        expect(page.locator("#login-link")).to_be_visible()
    assert {"/diary", "/diary/coop", "/audit", "/map"} <= signed, sorted(signed)
    assert not problems, "\n".join(problems)
