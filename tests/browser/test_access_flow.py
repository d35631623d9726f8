"""Sign-in and downloads per role in a real browser, with sign-in required (CRM_AUTH=required).

An analyst's key-account download holds full phone numbers and is audited as a
contact export; a viewer's holds no phone column; the screen masks phones for both.
"""

import csv
import io
import os
import shutil

import pytest
from playwright.sync_api import expect

from crm.access import audit, users
from crm.store import db
from tests.browser.conftest import ARTIFACTS, serve

pytestmark = pytest.mark.browser
PASSWORDS = {"ana": ("analyst", "analyst pass 1"), "vic": ("viewer", "viewer pass 1"), "root": ("admin", "admin pass 1")}


@pytest.fixture(scope="module")
def secured(browser_db, tmp_path_factory):
    if os.environ.get("CRM_SKIP_BROWSER") and not os.environ.get("CI"):
        pytest.skip("CRM_SKIP_BROWSER is set")
    path = tmp_path_factory.mktemp("secured") / "crm.duckdb"
    shutil.copy(browser_db, path)
    con = db.connect(path)
    for name, (role, password) in PASSWORDS.items():
        users.add_user(con, name, role, password)
    con.close()
    with serve(path, CRM_AUTH="required") as url:
        yield url, path


def sign_in(page, url, name, lang="en", path=""):
    """Sign in at a page's own address (a reload would start a new, signed-out session)."""
    page.goto(f"{url}/{path}?lang={lang}")
    page.get_by_label("User name" if lang == "en" else "用户名").fill(name)
    page.get_by_label("Password" if lang == "en" else "密码", exact=True).fill(PASSWORDS[name][1])
    page.get_by_role("button", name="Sign in" if lang == "en" else "登录").click()
    expect(page.get_by_text("Signed in as" if lang == "en" else "已登录")).to_be_visible(timeout=30_000)


def download_key_accounts(page) -> list[dict]:
    button = page.get_by_role("button", name="Download CSV").first
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=90_000) as info:  # a cold first run of the page may come first
        button.click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    return list(csv.DictReader(io.StringIO(text)))


def read_exports(path, tmp_path) -> list:
    """The export events, read from a copy (the running server holds the database's lock)."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(path, copy)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    con = db.connect(copy)
    try:
        return audit.list_events(con, actions=("export",))[["user", "rows", "contact_fields"]].values.tolist()
    finally:
        con.close()


def test_login_page_in_both_languages(secured, page):
    url, _ = secured
    page.goto(f"{url}/?lang=zh")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "access-login-zh.png"))
    page.goto(f"{url}/segments?lang=en")  # a deep link does not get past sign-in
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "access-login-failed-en.png"))


def test_analyst_download_has_phones_and_is_audited(secured, page, tmp_path):
    url, path = secured
    sign_in(page, url, "ana", path="key_accounts")
    rows = download_key_accounts(page)
    assert rows and "Phone" in rows[0]
    assert sum(1 for r in rows if r["Phone"] and "*" not in r["Phone"]) > 0
    page.wait_for_timeout(1500)
    assert ["ana", len(rows), True] in read_exports(path, tmp_path)
    page.screenshot(path=str(ARTIFACTS / "access-analyst-key-accounts-en.png"), full_page=False)


def test_viewer_download_has_no_contact_fields(secured, page, tmp_path):
    url, path = secured
    sign_in(page, url, "vic", path="key_accounts")
    expect(page.get_by_text("Phone numbers and emails are left out of downloads for your role.").first).to_be_visible(
        timeout=60_000)
    rows = download_key_accounts(page)
    assert rows and "Phone" not in rows[0] and "Email" not in rows[0]
    page.wait_for_timeout(1500)
    assert ["vic", len(rows), False] in read_exports(path, tmp_path)
    page.get_by_role("tab", name="Customer 360°").click()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "access-viewer-360-en.png"), full_page=True)
