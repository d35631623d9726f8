"""The Data page in a real browser: template downloads, and a file with unknown values listed for mapping."""

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from crm.i18n import t
from crm.intake import templates
from crm.store import db
from tests.browser.conftest import ARTIFACTS
from tests.fixtures.small_shop import build

pytestmark = pytest.mark.browser

UNKNOWN = (
    "订单编号,会员ID,下单时间,实付金额,商品类目,渠道\n"
    "N1,A,2024-06-01,10,食品,天猫\nN2,A,2024-06-02,20,食品,门店\nN3,B,2024-06-03,30,母婴,抖音\n"
)


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory):
    """This module's own small shop, so nothing here touches the other modules' demo data."""
    path = tmp_path_factory.mktemp("data_flow") / "shop.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    return path


def choose_kind(page, lang: str, kind: str) -> None:
    page.locator(".st-key-data-import-kind input").click()
    page.get_by_role("option", name=t(f"data.import.kind.{kind}", lang), exact=True).click()
    expect(page.get_by_text(t(f"data.import.kind.{kind}.help", lang))).to_be_visible()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_templates_download_and_unknown_values_are_listed(server, page, lang, tmp_path):
    page.goto(f"{server}/data?lang={lang}")
    expect(page.get_by_role("heading", name=t("data.title", lang), exact=True)).to_be_visible(timeout=30_000)
    choose_kind(page, lang, "orders")

    with page.expect_download() as info:
        page.locator(".st-key-data-import-template-orders-csv button").click()
    download = info.value
    assert download.suggested_filename == f"template_orders_{lang}.csv"
    data = open(download.path(), "rb").read()
    assert data == templates.template_csv("orders", lang)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[0][0] == templates.header("orders", "customer_id", lang)

    with page.expect_download() as info:
        page.locator(".st-key-data-import-template-orders-xlsx button").click()
    assert info.value.suggested_filename == f"template_orders_{lang}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert book.sheetnames == [t("imports.template.sheet.data", lang), t("imports.template.sheet.help", lang)]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(templates.template_frame("orders", lang).columns)
    assert sheet.max_row == 3

    file = tmp_path / "unknown.csv"
    file.write_text(UNKNOWN, encoding="utf-8")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
    box = page.locator(".st-key-data-values")
    expect(box.get_by_text(t("data.values.title", lang), exact=True)).to_be_visible(timeout=30_000)
    food = box.get_by_role("combobox", name=t("data.values.label", lang, value="食品", rows="2"))
    expect(food).to_have_value(t("data.values.suggested", lang, value="美食" if lang == "zh" else "Food · 美食"))
    tmall = box.get_by_role("combobox", name=t("data.values.label.one", lang, value="天猫"))
    expect(tmall).to_have_value(
        t("data.values.suggested", lang, value="天猫旗舰店" if lang == "zh" else "Tmall flagship store · 天猫旗舰店"))
    douyin = box.get_by_role("combobox", name=t("data.values.label.one", lang, value="抖音"))
    expect(douyin).to_have_value(t("data.values.keep", lang))
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"data_values_{lang}.png"), full_page=True)
