"""Open a segment in a real browser and download its list."""

import csv
import datetime as dt
import io
import shutil

import pytest
from playwright.sync_api import expect

from crm.store import db
from crm.value import rfm
from crm.store.features import reference_date
from crm.store.filters import default_filters
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_open_segment_and_download_its_list(server, page, browser_db, tmp_path):
    # The server process holds the database's lock: read the expected list from a copy.
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(browser_db, copy)
    con = db.connect(copy, read_only=True)
    try:
        reference = reference_date(con)
        scores = rfm.compute_rfm(con, default_filters(reference))
    finally:
        con.close()
    expected = sorted(scores.loc[scores["segment"] == "important_winback", "customer_id"])
    assert expected, "the demo data has important win-back customers"

    page.goto(f"{server}/segments?lang=en")
    expect(page.get_by_role("heading", name="Segmentation and customer value")).to_be_visible()
    # A shared link opened as the server's first request still goes through app.py's router:
    # translated navigation, not the page files' names.
    expect(page.get_by_role("link", name="Key accounts")).to_be_visible()
    expect(page.get_by_role("link", name="segments")).to_have_count(0)
    drill = page.locator(".st-key-seg-drill")
    expect(drill).to_be_visible()
    drill.scroll_into_view_if_needed()
    drill.locator("input").click()
    page.get_by_role("option", name="Important win-back", exact=True).click()
    expect(page.get_by_test_id("stAlertContentInfo").get_by_text("High spend, infrequent, long gone")).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "segments_en.png"), full_page=True)

    with page.expect_download() as info:
        page.locator(".st-key-seg-drill-download-csv button").click()
    download = info.value
    period = default_filters(reference)  # the file carries the period and the export date
    assert download.suggested_filename == (
        f"segment_important_winback_{period.start}_{period.end}_{dt.date.today():%Y%m%d}.csv")
    data = open(download.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["Customer ID"] for r in rows) == expected


def test_key_account_row_opens_customer_360(server, page):
    page.goto(f"{server}/key_accounts?lang=en")
    expect(page.get_by_role("heading", name="Key accounts", exact=True)).to_be_visible()
    grid = page.locator(".st-key-ka-table")
    expect(grid).to_be_visible()
    first_id = grid.locator('[id="glide-cell-2-0"]').inner_text()  # column 2: name of row 0 (after rank)
    # The selection boxes are drawn on the grid's canvas: click the first row's, left of the rank column.
    box = grid.locator("canvas").first.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    expect(page.get_by_text(f"Picked {first_id}")).to_be_visible()
    page.get_by_role("tab", name="Customer 360°").click()
    expect(page.get_by_role("heading", name=first_id)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "customer360_en.png"), full_page=True)
