"""Nothing loads from an outside host: icons, fonts and scripts all come from the app's own server.

Users in mainland China (where Google's font host is blocked) and offline installs
would otherwise wait on requests that never finish.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from tests.browser.test_deep_links import PAGES, wait_idle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_loads_only_from_its_own_server(server, browser, lang):
    own = urlsplit(server).netloc
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        for path, (heading, _) in PAGES.items():
            page.goto(f"{server}/{path}?lang={lang}")
            expect(page.get_by_role("heading", name=t(heading, lang), exact=True)).to_be_visible(timeout=60_000)
            wait_idle(page)
            page.wait_for_timeout(500)
            icon = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
            assert icon and all(urlsplit(href).netloc == own for href in icon), icon
        # Open every tab of the segmentation page too: its charts and icons load on demand.
        page.goto(f"{server}/segments?lang={lang}")
        for name in ("clusters", "value", "tiers", "who"):
            page.get_by_role("tab", name=t(f"segmentation.tab.{name}", lang)).click()
            wait_idle(page)
    finally:
        context.close()
    assert requests, "the pages made requests"
    outside = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(u).netloc != own})
    assert outside == []
