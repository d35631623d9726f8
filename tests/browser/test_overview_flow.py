"""Open the app, filter, switch pages and language, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


UNITS = {"K": 1e3, "M": 1e6, "B": 1e9, "万": 1e4, "亿": 1e8}


def amount(text: str) -> float:
    """'¥403.08K' or '¥40.31万' -> yuan."""
    number = text.replace("¥", "").replace(",", "")
    unit = UNITS.get(number[-1], 1)
    return float(number[:-1] if unit != 1 else number) * unit


def wait_idle(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test_filter_page_switch_and_language(server, page):
    # A server's first request (cold imports), and / forwards to /overview: allow for a slow start.
    page.goto(f"{server}/?lang=en")
    expect(page.get_by_role("heading", name="Business overview")).to_be_visible(timeout=60_000)
    wait_idle(page)
    revenue_all = metric_value(page, "Revenue")
    assert revenue_all.startswith("¥")

    # Filter on one province: the revenue KPI changes and the URL carries the filter.
    province = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Province")
    # the sidebar is taller than the window now: bring the filter into view before opening it (a scroll
    # while the list opens closes it again), and type to narrow the list as a user with many options does
    province.scroll_into_view_if_needed()
    province.locator("input").click()
    page.keyboard.type("Guangd")
    page.get_by_role("option", name="Guangdong").click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"prov=%E5%B9%BF%E4%B8%9C|prov=广东"))
    wait_idle(page)
    page.wait_for_function(
        """([label, before]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
              .some(m => m.innerText.includes(label) && !m.innerText.includes(before))""",
        arg=["Revenue", revenue_all],
    )
    revenue_gd = metric_value(page, "Revenue")
    assert revenue_gd != revenue_all
    page.screenshot(path=str(ARTIFACTS / "overview_en.png"), full_page=True)

    # Another page, then Chinese.
    page.get_by_role("link", name="Data").click()
    expect(page).to_have_url(re.compile(r"/data"))
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    expect(page.get_by_role("link", name="总览")).to_be_visible()
    page.get_by_role("link", name="总览").click()
    expect(page.get_by_role("heading", name="经营总览")).to_be_visible()
    wait_idle(page)
    # The province filter survived the page switch and the language change.
    expect(page).to_have_url(re.compile(r"lang=zh"))
    expect(page).to_have_url(re.compile(r"prov="))
    # The same revenue, written the Chinese way (万) instead of the English way (K).
    assert amount(metric_value(page, "销售额")) == pytest.approx(amount(revenue_gd), rel=1e-3)
    page.screenshot(path=str(ARTIFACTS / "overview_zh.png"), full_page=True)
