"""Download a key-account list as Excel in a real browser: file name, title row, formats, frozen header."""

import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def wait_idle(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_key_accounts_xlsx_is_named_titled_and_formatted(server, page, lang):
    import openpyxl

    start, end = "2025-01-01", "2025-06-30"
    page.goto(f"{server}/key_accounts?lang={lang}&start={start}&end={end}&prov=广东")
    expect(page.get_by_role("heading", name=t("keyacc.title", lang))).to_be_visible(timeout=30_000)
    wait_idle(page)
    button = page.get_by_role("button", name=t("common.download.xlsx", lang)).first
    expect(button).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"key_accounts_export_{lang}.png"), full_page=True)
    with page.expect_download() as info:
        button.click()
    download = info.value
    today = dt.date.today().strftime("%Y%m%d")
    assert download.suggested_filename == f"key_accounts_{start}_{end}_{today}.xlsx"

    sheet = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    title = sheet["A1"].value
    assert t("keyacc.title", lang) in title and start in title and end in title
    assert t("value.provinces.广东", lang) in title and dt.date.today().isoformat() in title
    assert sheet.freeze_panes == "A3"
    header = [c.value for c in sheet[2]]
    period = lambda key: t("scope.period", lang, label=t(f"keyacc.col.{key}", lang))  # noqa: E731
    revenue = header.index(period("revenue")) + 1
    margin = header.index(period("margin")) + 1
    last_order = header.index(t("keyacc.col.last_order_date", lang)) + 1
    orders = header.index(period("orders")) + 1
    assert sheet.cell(3, revenue).number_format == "¥#,##0.00"
    assert sheet.cell(3, margin).number_format == "0.0%"
    assert sheet.cell(3, last_order).number_format == "yyyy-mm-dd"
    assert sheet.cell(3, orders).number_format == "#,##0"
    value = sheet.cell(3, revenue).value
    assert value == round(value, 2)  # no float noise
