"""Every page's own address opens that page, as a server's first request and inside a session.

Streamlit answers an unknown path with an English "Page not found" dialog and
rewrites the URL to "/"; a shared link must never do either. The script below
records every dialog that appears and every URL the tab shows during the load,
so a dialog that flashes and closes is caught too.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

# url path -> (heading key, navigation title key)
PAGES = {
    "overview": ("overview.title", "nav.overview"),
    "satisfaction": ("satisfaction.title", "nav.satisfaction"),
    "retention": ("retention.title", "nav.retention"),
    "segments": ("segmentation.title", "nav.segments"),
    "key_accounts": ("keyacc.title", "nav.key_accounts"),
    "churn": ("churn.title", "nav.churn"),
    "clv": ("clv.title", "nav.clv"),
    "data": ("data.title", "nav.data"),
    "audit": ("audit.title", "nav.audit"),  # local mode signs the visitor in as the admin
}
# Within the test database's data range (1500 demo customers ending 2026-11-15).
QUERY = "lang=zh&start=2026-03-01&end=2026-08-31&prov=%E5%B9%BF%E4%B8%9C"

WATCH = """
window.__dialogs = [];
window.__urls = [];
const note = () => {
  document.querySelectorAll('[role="dialog"]').forEach(d => {
    if (!window.__dialogs.includes(d.innerText)) window.__dialogs.push(d.innerText);
  });
  if (!window.__urls.includes(location.href)) window.__urls.push(location.href);
};
new MutationObserver(note).observe(document, {subtree: true, childList: true, characterData: true});
"""


def wait_idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def assert_page_shown(page, server: str, path: str, lang: str, query: dict[str, list[str]] | None = None) -> None:
    """The page of `path` in `lang`, at its own URL, with no dialog at any point of the load."""
    heading, nav = PAGES[path]
    expect(page.get_by_role("heading", name=t(heading, lang), exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(700)  # a late page-not-found message would arrive by now
    url = urlsplit(page.url)
    assert url.path == f"/{path}"
    shown = parse_qs(url.query)
    assert shown["lang"] == [lang]
    for key, values in (query or {}).items():
        assert shown[key] == values, key
    dialogs = page.evaluate("window.__dialogs")
    assert [d for d in dialogs if "not found" in d.lower() or "未找到" in d] == []
    assert page.locator('[role="dialog"]').count() == 0
    # Every URL the tab showed kept the page's path (never rewritten to "/").
    paths = {urlsplit(u).path for u in page.evaluate("window.__urls")}
    assert paths <= {f"/{path}", "/"} if path == "overview" else paths == {f"/{path}"}
    assert page.title() == f"{t(nav, lang)} · {t('app.title', lang)}"
    # The router drew the translated navigation, not the page files' names.
    links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').all_inner_texts()
    assert [link.split("\n")[-1] for link in links] == [t(PAGES[p][1], lang) for p in PAGES]


@pytest.mark.parametrize("with_query", [False, True], ids=["bare", "query"])
@pytest.mark.parametrize("path", list(PAGES))
def test_page_address_as_the_servers_first_request(fresh_server, page, path, with_query):
    page.add_init_script(WATCH)
    page.goto(f"{fresh_server}/{path}" + (f"?{QUERY}" if with_query else ""))
    if with_query:
        # The URL's filters were applied, not replaced by the defaults.
        assert_page_shown(page, fresh_server, path, "zh",
                          {"start": ["2026-03-01"], "end": ["2026-08-31"], "prov": ["广东"]})
    else:
        assert_page_shown(page, fresh_server, path, "en")  # the browser is en-US
    page.screenshot(path=str(ARTIFACTS / f"deep_link_{path}_{'query' if with_query else 'bare'}.png"))


@pytest.mark.parametrize("query", ["", "?lang=en&start=2026-03-01&end=2026-08-31"], ids=["bare", "query"])
def test_root_as_the_servers_first_request_opens_the_overview_at_its_address(fresh_server, page, query):
    page.add_init_script(WATCH)
    page.goto(f"{fresh_server}/{query}")
    expect(page).to_have_url(re.compile(r"/overview\?lang=en"), timeout=60_000)
    assert_page_shown(page, fresh_server, "overview", "en",
                      {"start": ["2026-03-01"], "end": ["2026-08-31"]} if query else None)


def test_page_addresses_inside_a_session(server, page):
    """After the server has served other pages: each address typed or followed opens its page."""
    page.add_init_script(WATCH)
    page.goto(f"{server}/data?lang=en")
    assert_page_shown(page, server, "data", "en")
    for path in PAGES:
        page.goto(f"{server}/{path}?lang=zh&start=2026-03-01&end=2026-08-31")
        assert_page_shown(page, server, path, "zh", {"start": ["2026-03-01"]})
    # Following the navigation keeps each page's own address.
    page.goto(f"{server}/data?lang=en")
    assert_page_shown(page, server, "data", "en")
    for path in ("overview", "segments", "key_accounts", "data"):
        page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(
            has_text=t(PAGES[path][1], "en")).click()
        expect(page).to_have_url(re.compile(rf"/{path}\?"), timeout=30_000)
        page.evaluate("window.__urls = [location.href]")  # no page load: start this page's record here
        assert_page_shown(page, server, path, "en")
    page.screenshot(path=str(ARTIFACTS / "deep_link_in_session.png"))
