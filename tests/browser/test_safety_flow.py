"""Display safety and concurrent use in a real browser.

1. A customer whose name, province, city and channel (and an order category)
   carry Markdown and HTML: the customer 360 shows them as text, renders no link
   or image to the outside host and makes no request to it.
2. The app beside the CLI: a CLI import goes through while the app runs; a page
   opened during a CLI write says the data is being updated; an import started
   in the app while the CLI writes shows "waiting for another import", then succeeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from crm.store import access, db, features
from crm.store.filters import default_filters
from crm.value import key_accounts
from tests.browser.conftest import ARTIFACTS, ROOT, running_server
from tests.unit.store.test_access import cli_import_holder

pytestmark = pytest.mark.browser

HOST = "127.0.0.1:9"
NAME = f"**bold** [x](http://{HOST}/x) ![](http://{HOST}/pixel.png) <img src=x onerror=alert(1)>"
PROVINCE = f"[prov](http://{HOST}/p) ![](http://{HOST}/p.png)"
CITY = f"<b>city</b> ![](http://{HOST}/c.png) $x^2$ :red[red]"
CHANNEL = f"__chan__ <a href=\"http://{HOST}/a\">a</a>"
CATEGORY = f"<a href=\"http://{HOST}/cat\">cat</a> <img src=\"http://{HOST}/cat.png\">"
SAMPLES = ROOT / "data" / "samples"


def wait_idle(page):
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


@pytest.fixture(scope="module")
def hostile_db(browser_db, tmp_path_factory):
    """A copy of the browser database whose top key account has hostile text everywhere."""
    path = tmp_path_factory.mktemp("hostile") / "crm.duckdb"
    shutil.copy(browser_db, path)
    con = db.connect(path)
    top = key_accounts.select_key_accounts(con, default_filters(features.reference_date(con)), top_share=0.05)
    customer = top.table["customer_id"].iloc[0]
    con.execute("UPDATE customers SET name = ?, province = ?, city = ?, channel = ? WHERE customer_id = ?",
                [NAME, PROVINCE, CITY, CHANNEL, customer])
    con.execute("UPDATE orders SET category = ? WHERE customer_id = ?", [CATEGORY, customer])
    features.materialise(con)
    db.bump_data_version(con)
    con.close()
    return path, customer


def shown(locator) -> str:
    return locator.inner_text().replace("\u200b", "").strip()


def chart_shows(page, text: str, timeout: float = 30) -> bool:
    """True once some Plotly chart on the page shows `text` literally (charts draw asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in shown.replace("\u200b", "") for shown in page.locator(".js-plotly-plot").all_inner_texts()):
            return True
        page.wait_for_timeout(300)
    return False


def outside_elements(page) -> list[str]:
    """Links and images that point at the outside host (or the injected `src=x`), with where they sit."""
    return page.evaluate("""host => [...document.querySelectorAll(
            `a[href*="${host}"], img[src*="${host}"], image[href*="${host}"], img[src="x"]`)].map(el => {
        const path = [];
        for (let n = el; n && path.length < 6; n = n.parentElement) if (n.dataset && n.dataset.testid) path.push(n.dataset.testid);
        return el.outerHTML.slice(0, 120) + " in " + path.join(" < ");
    })""", HOST)


def test_customer_360_shows_hostile_text_literally(hostile_db, page):
    path, customer = hostile_db
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with running_server(path) as url:
        for lang in ("en", "zh"):
            page.goto(f"{url}/key_accounts?lang={lang}")
            wait_idle(page)
            page.get_by_role("tab", name="360°").click()
            wait_idle(page)
            heading = page.locator("h3").filter(has_text=customer).first
            expect(heading).to_be_visible()
            # the literal text, markup and all (bare links carry an invisible zero-width space)
            assert shown(heading).startswith(NAME)
            details = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=CITY[:12]).first
            text = shown(details)
            for raw in (PROVINCE, CITY, CHANNEL):
                assert raw in text, (raw, text)
            page.wait_for_timeout(1500)  # let charts and any image load
            page.screenshot(path=str(ARTIFACTS / f"safety_360_{lang}.png"), full_page=True)

            assert outside_elements(page) == []
            assert chart_shows(page, CATEGORY)  # the category mix legend, as text
        # the overview's category chart carries the same category label
        page.goto(f"{url}/?lang=en")
        expect(page.locator(".js-plotly-plot").nth(2)).to_be_visible(timeout=60_000)
        wait_idle(page)
        page.wait_for_timeout(1500)
        assert chart_shows(page, CATEGORY)
        assert outside_elements(page) == []
    assert [u for u in requests if HOST in u] == []
    assert dialogs == []


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crm", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "CRM_LANG": "en", "CRM_DEBUG": ""})


def test_app_and_cli_share_the_database(browser_db, tmp_path, page):
    path = tmp_path / "crm.duckdb"
    shutil.copy(browser_db, path)
    with running_server(path, CRM_READ_WAIT="1", CRM_WRITE_WAIT="120") as url:
        page.goto(f"{url}/?lang=en")
        wait_idle(page)
        expect(page.get_by_role("heading", name="Business overview")).to_be_visible(timeout=60_000)

        # the app has read (and keeps its read-only connection): the CLI still reads and writes
        assert run_cli("batches", "--db", str(path)).returncode == 0
        done = run_cli("import", "customers", str(SAMPLES / "customers.csv"), "--db", str(path))
        assert done.returncode == 0, done.stderr
        assert "Import done (batch 1)" in done.stdout

        # a file validated in the app (validation reads the database, so before the CLI's write)
        page.goto(f"{url}/data?lang=zh")
        extra = tmp_path / "new_customers.csv"
        extra.write_text("客户编号,姓名,省份\nN-1,新客一,广东\nN-2,新客二,北京\n", encoding="utf-8")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(extra))
        commit = page.get_by_role("button", name="导入 2 行")
        expect(commit).to_be_enabled(timeout=60_000)
        wait_idle(page)

        holder = cli_import_holder(path)  # the CLI starts a long import
        try:
            # a page opened now that needs the database: a clear message, no traceback
            other = page.context.new_page()
            other.goto(f"{url}/segments?lang=en")
            message = other.get_by_text("The data is being updated (the command line is running import: orders.csv")
            expect(message).to_be_visible(timeout=60_000)
            assert "Traceback" not in other.content()
            other.screenshot(path=str(ARTIFACTS / "safety_busy_en.png"))
            other.close()

            # the app's import waits its turn, visibly
            commit.click()
            expect(page.get_by_text("正在等待其他导入完成：命令行正在导入：orders.csv")).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "safety_waiting_zh.png"))
        finally:
            holder.release()
        expect(page.get_by_text("导入完成")).to_be_visible(timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "safety_import_done_zh.png"))
    access.release_idle()
    with access.reading(path) as con:
        assert db.query(con, "SELECT file_name FROM import_batches WHERE batch_id > 0 ORDER BY 1")["file_name"].tolist() \
            == ["customers.csv", "new_customers.csv"]
    access.release_idle()
