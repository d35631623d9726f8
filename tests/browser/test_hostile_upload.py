"""Uploading resource bombs in a real browser: a clear message, and the server keeps serving everyone."""

import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


def healthy(server: str) -> bool:
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as response:
        return response.status == 200


@pytest.mark.parametrize("lang, message", [
    ("zh", "延伸到第 1,048,576 行、第 16,384 列"),
    ("en", "reaches row 1,048,576 and column 16,384"),
])
def test_bomb_upload_gets_a_message_and_the_server_lives(server, page, lang, message):
    page.goto(f"{server}/data?lang={lang}")
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploader.set_input_files(str(HOSTILE / "xlsx_bomb_cell_xfd1048576.xlsx"))
    expect(page.locator('[data-testid="stAlertContentError"]').filter(has_text=message)).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / f"hostile_bomb_{lang}.png"), full_page=True)
    assert healthy(server)

    uploader.set_input_files(str(HOSTILE / "xlsx_zip_bomb_1gib_cell.xlsx"))
    expect(page.locator('[data-testid="stAlertContentError"]').filter(has_text="1,100 MB")).to_be_visible(
        timeout=60_000)
    assert healthy(server)

    # another visitor is served as usual
    other = page.context.new_page()
    other.goto(f"{server}/?lang={lang}")
    expect(other.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=60_000)
    other.close()


def test_big5_upload_shows_the_encoding_and_reads_the_names(server, page):
    page.goto(f"{server}/data?lang=zh")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="文件内容").first.click()
    page.get_by_role("option", name="客户").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(HOSTILE / "enc_big5.csv"))
    expect(page.get_by_text("读取方式：文本（CSV）；编码 BIG5；分隔符 逗号")).to_be_visible(timeout=60_000)
    page.get_by_text("读取选项").click()
    encoding = page.locator('[data-testid="stSelectbox"]').filter(has_text="文本编码").locator("input")
    expect(encoding).to_have_value("自动识别 BIG5")
    expect(encoding).to_be_visible()
    page.get_by_text("预览将导入的数据").click()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "hostile_big5_zh.png"), full_page=True)
