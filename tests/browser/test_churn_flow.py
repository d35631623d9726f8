"""The churn page in a real browser: open the win-back list, filter it and download it as CSV (both languages)."""

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def wait_idle(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_win_back_list_opens_and_downloads(server, page, lang):
    page.goto(f"{server}/churn?lang={lang}")
    expect(page.get_by_role("heading", name=t("churn.title", lang))).to_be_visible(timeout=60_000)
    expect(page.get_by_text(t("churn.metric.scored", lang), exact=True)).to_be_visible(timeout=120_000)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"churn_risk_{lang}.png"), full_page=True)
    page.get_by_role("tab", name=t("churn.tab.card", lang)).click()
    wait_idle(page)
    expect(page.get_by_text(t("churn.card.calibration", lang), exact=True)).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / f"churn_card_{lang}.png"), full_page=True)

    page.get_by_role("tab", name=t("churn.tab.winback", lang)).click()
    wait_idle(page)
    button = page.get_by_role("button", name=t("common.download.csv", lang)).first
    expect(button).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / f"churn_winback_{lang}.png"), full_page=True)
    with page.expect_download() as info:
        button.click()
    download = info.value
    today = dt.date.today().strftime("%Y%m%d")
    assert download.suggested_filename == f"win_back_{today}.csv"
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows
    header = list(rows[0])
    assert header[0] == t("winback.col.customer_id", lang)
    assert t("winback.col.action", lang) in header and t("winback.col.at_stake", lang) in header
    actions = {t(f"winback.action.{a}", lang) for a in ("service_recovery", "personal_call", "winback_offer",
                                                         "retention_care")}
    assert {r[t("winback.col.action", lang)] for r in rows} <= actions
    stakes = [float(r[t("winback.col.at_stake", lang)]) for r in rows]
    assert stakes == sorted(stakes, reverse=True)  # ranked by value at stake
    shown = page.get_by_test_id("stMetric").filter(has_text=t("churn.wb.customers", lang))
    expect(shown).to_contain_text(f"{len(rows):,}")
