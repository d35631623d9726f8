"""The clusters tab in a real browser: profile names on the charts, the seed tucked under Advanced settings."""

import shutil

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from crm.store import db
from crm.store.features import reference_date
from crm.store.filters import default_filters
from crm.value import clusters, profiles
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_clusters_tab_names_clusters_and_hides_the_seed(server, page, browser_db, tmp_path, lang):
    copy = tmp_path / "copy.duckdb"  # the server holds the database's lock
    shutil.copyfile(browser_db, copy)
    con = db.connect(copy, read_only=True)
    try:
        result = profiles.cluster_analysis(con, default_filters(reference_date(con)))
    finally:
        con.close()
    names = clusters.name_clusters(result.levels, lang)
    assert 3 <= result.n_clusters <= 8

    page.goto(f"{server}/segments?lang={lang}")
    page.get_by_role("tab", name=t("segmentation.tab.clusters", lang)).click()
    sizes = page.locator(".st-key-seg-chart-cluster_sizes")
    expect(sizes.locator(".js-plotly-plot")).to_be_visible()
    for name in names.values():  # the size chart's axis labels are the clusters' names
        expect(sizes.locator("g.ytick text", has_text=name)).to_have_count(1)
    seed = page.locator(".st-key-seg-seed")
    expect(seed).to_be_hidden()
    page.get_by_text(t("segmentation.clusters.advanced", lang), exact=True).click()
    expect(seed).to_be_visible()
    expect(page.locator(".st-key-seg-extra")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"clusters_{lang}.png"), full_page=True)
