"""Key texts are never cut off: metric titles and values, download buttons, the customer 360
figures, the data-quality cards, at 1280 and 1440 px in both languages.

An element is clipped when its content is wider than its box (scrollWidth >
clientWidth) while its overflow is hidden (Streamlit's ellipsis).
"""

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WATCHED = '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stDownloadButton"] button'

CLIPPED_JS = """
(selector) => {
  const out = [];
  for (const root of document.querySelectorAll(selector)) {
    if (!root.offsetParent) continue;  // hidden (another tab)
    for (const el of [root, ...root.querySelectorAll('*')]) {
      const style = getComputedStyle(el);
      if (style.overflow === 'visible' && style.textOverflow !== 'ellipsis') continue;
      if (el.scrollWidth > el.clientWidth + 1) {
        out.push(`${root.dataset.testid || root.tagName}: "${root.innerText.trim()}" ${el.scrollWidth} > ${el.clientWidth}`);
        break;
      }
    }
  }
  return out;
}
"""

TITLES = {"overview": "overview.title", "seg": "segmentation.title", "ka": "keyacc.title", "data": "data.title",
          "sat": "satisfaction.title", "ret": "retention.title", "churn": "churn.title", "clv": "clv.title"}


def settle(page) -> None:
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(700)


def clipped(page) -> list[str]:
    return page.evaluate(CLIPPED_JS, WATCHED)


@pytest.fixture(params=[1280, 1440])
def width(request):
    return request.param


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_clipped_text(server, browser, width, lang):
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    seen = {}
    try:
        for name, path in (("overview", ""), ("seg", "segments"), ("ka", "key_accounts"), ("data", "data"),
                           ("sat", "satisfaction"), ("ret", "retention"), ("churn", "churn"), ("clv", "clv")):
            page.goto(f"{server}/{path}?lang={lang}")
            expect(page.get_by_role("heading", name=t(TITLES[name], lang), exact=True)).to_be_visible(timeout=60_000)
            if name == "ka":
                page.get_by_role("tab", name=t("keyacc.tab.360", lang)).click()
                expect(page.get_by_test_id("stMetricValue").filter(visible=True)).to_have_count(
                    8 + 4 + 4, timeout=120_000)  # 4 selection metrics, 2 rows of 4 figures, churn risk and CLV
            if name == "data":
                page.get_by_role("tab", name=t("data.tab.quality", lang)).click()
            if name == "ret":  # the repeat-buying cards
                page.get_by_role("tab", name=t("retention.tab.repeat", lang)).click()
                expect(page.get_by_test_id("stMetricValue").filter(visible=True)).to_have_count(4, timeout=60_000)
            if name == "churn":  # the model card's figures
                page.get_by_role("tab", name=t("churn.tab.card", lang)).click()
                expect(page.get_by_test_id("stMetricValue").filter(visible=True)).to_have_count(4, timeout=120_000)
            watched = page.locator(WATCHED).filter(visible=True)
            expect(watched.first).to_be_visible(timeout=60_000)
            settle(page)
            seen[name] = watched.count()
            assert clipped(page) == [], f"{name} at {width}px in {lang}"
            page.screenshot(path=str(ARTIFACTS / f"clip_{name}_{lang}_{width}.png"), full_page=True)
        assert seen["overview"] >= 9 and seen["ka"] >= 8 and seen["seg"] >= 2 and seen["data"] >= 5, seen
        assert seen["sat"] >= 10 + 2, seen  # five headline cards (title and value), the downloads
        assert seen["ret"] >= 4, seen  # the four repeat-buying cards
        assert seen["churn"] >= 4, seen  # the model card's four figures
        assert seen["clv"] >= 6, seen  # the lifetime-value cards
    finally:
        context.close()


def test_recommended_actions_are_read_in_full(server, page):
    """The RFM table's actions (full sentences) are in a table that wraps, not cut off in a grid cell."""
    page.goto(f"{server}/segments?lang=en")
    expect(page.get_by_role("heading", name="Segmentation and customer value")).to_be_visible(timeout=60_000)
    settle(page)
    page.get_by_test_id("stExpander").locator("summary").filter(has_text="Recommended action").click()
    cell = page.get_by_test_id("stTable").get_by_text("onboard them and follow up after the first order")
    expect(cell).to_be_visible(timeout=30_000)
    assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert cell.bounding_box()["height"] > 30  # wrapped over more than one line
