"""Open the retention heatmap in a real browser, in both languages, and download the cohort table."""

import csv
import io
import shutil

import pytest
from playwright.sync_api import expect

from crm.retention import cohorts
from crm.store import db
from crm.store.features import reference_date
from crm.store.filters import default_filters
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def expected_table(browser_db, tmp_path):
    copy = tmp_path / "copy.duckdb"  # the server holds the database's lock
    shutil.copyfile(browser_db, copy)
    con = db.connect(copy, read_only=True)
    try:
        return cohorts.cohort_table(con, default_filters(reference_date(con)))
    finally:
        con.close()


def heatmap_rows(page) -> list[str]:
    return page.evaluate(
        """() => { const plot = [...document.querySelectorAll('.js-plotly-plot')]
                     .find(p => p.data && p.data.some(t => t.type === 'heatmap'));
                   return plot ? plot.data.find(t => t.type === 'heatmap').y : null; }""")


@pytest.mark.parametrize("lang, title, row", [("en", "Retention", "{cohort} ({size})"),
                                              ("zh", "客户保持", "{cohort}（{size} 人）")])
def test_opens_the_retention_heatmap(server, page, browser_db, tmp_path, lang, title, row):
    table = expected_table(browser_db, tmp_path)
    first = table[table["period"] == 0].iloc[0]
    page.goto(f"{server}/retention?lang={lang}")
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)
    chart = page.locator(".st-key-ret-chart-heatmap")
    expect(chart.locator(".main-svg").first).to_be_visible()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.data && p.data.some(t => t.type === 'heatmap'))""")
    rows = heatmap_rows(page)
    label = first["cohort"].strftime("%Y-%m") + ("*" if first["cohort_clipped"] else "")
    assert rows[0] == row.format(cohort=label, size=f"{first['cohort_size']:,}")
    assert len(rows) == table["cohort"].nunique()
    # the cells show percentages; period 0 is every cohort's own month
    expect(chart.get_by_text("100%").first).to_be_visible()
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / f"retention_{lang}.png"), full_page=True)

    if lang == "en":
        page.get_by_text("Cohort table", exact=True).click()
        with page.expect_download() as info:
            page.locator(".st-key-ret-download-cohorts-csv button").click()
        text = open(info.value.path(), encoding="utf-8-sig").read()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(table)
        assert int(rows[0]["Cohort size"]) == int(first["cohort_size"])
        assert int(rows[1]["Customers"]) == int(table.iloc[1]["customers"])
