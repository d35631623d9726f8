"""Sign-in and roles in the app, both languages: what a viewer, an analyst and an admin see.

The server is treated as reachable from other machines (CRM_AUTH=required,
which is also what a bare AppTest's unbound address means), on a copy of the
demo database with one user per role.
"""

import shutil

import pytest

from tests.conftest import connect_beside_app
from streamlit.testing.v1 import AppTest

from crm.access import audit, privacy, users
from crm.i18n import t
from crm.store import db
from tests.app.conftest import ROOT
from ui import state

LANGS = ["zh", "en"]
PASSWORDS = {"root": "admin pass 1", "ana": "analyst pass 1", "vic": "viewer pass 1"}
ROLES = {"root": "admin", "ana": "analyst", "vic": "viewer"}


@pytest.fixture(scope="module")
def users_db(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "crm.duckdb"
    shutil.copy(demo_db, path)
    con = connect_beside_app(path)
    for name, role in ROLES.items():
        users.add_user(con, name, role, PASSWORDS[name])
    con.close()
    return path


def events(path, action):
    con = connect_beside_app(path)
    try:
        return audit.list_events(con, actions=(action,))
    finally:
        con.close()


def start(path, lang, monkeypatch) -> AppTest:
    monkeypatch.setenv("CRM_DB", str(path))
    monkeypatch.delenv("CRM_AUTH", raising=False)  # AppTest binds no address: sign-in required
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at, name, password) -> AppTest:
    at.text_input(key=state.AUTH_LOGIN_NAME).input(name)
    at.text_input(key=state.AUTH_LOGIN_PASSWORD).input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_as(path, lang, name, monkeypatch, page=None) -> AppTest:
    at = sign_in(start(path, lang, monkeypatch), name, PASSWORDS[name])
    assert t("access.signed_in", lang, name=name, role=t(f"access.role.{ROLES[name]}", lang)) in [
        c.value for c in at.sidebar.caption]
    if page:
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def customer_contact(path, customer_id):
    con = connect_beside_app(path)
    try:
        row = db.query(con, "SELECT phone, email FROM customers WHERE customer_id = ?", [customer_id]).iloc[0]
        return row["phone"], row["email"]
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
def test_without_an_admin_the_app_shows_how_to_create_one(demo_db, tmp_path, lang, monkeypatch):
    empty = tmp_path / "crm.duckdb"
    shutil.copy(demo_db, empty)  # data, but no users
    at = start(empty, lang, monkeypatch)
    assert at.title[0].value == t("access.login.title", lang)
    assert at.error[0].value == t("access.no_admin", lang)
    assert at.code[0].value == "python -m crm user add admin --role admin"
    assert not at.metric and not at.dataframe and not at.text_input  # no data, no form


@pytest.mark.parametrize("lang", LANGS)
def test_wrong_password_is_refused_and_recorded(users_db, lang, monkeypatch):
    failures = len(events(users_db, "login_failed"))
    at = sign_in(start(users_db, lang, monkeypatch), "ana", "not the password")
    assert at.error[0].value == t("access.login.failed", lang)
    assert not at.metric  # still on the sign-in page
    assert len(events(users_db, "login_failed")) == failures + 1


def open_360(at, lang):
    """Open the key-accounts 360 tab (only the open tab is drawn)."""
    at.session_state["ka.tab"] = t("keyacc.tab.360", lang)
    at.run()


@pytest.mark.parametrize("lang", LANGS)
def test_viewer_sees_masked_contacts_and_cannot_export_them(users_db, lang, monkeypatch):
    at = open_as(users_db, lang, "vic", monkeypatch, page="pages/key_accounts.py")
    table = next(d.value for d in at.dataframe if t("keyacc.col.phone", lang) in d.value.columns)
    assert table[t("keyacc.col.phone", lang)].str.contains(r"\*\*\*\*", regex=True).all()
    notes = [c.value for c in at.caption]
    assert t("access.export.without_contact", lang) in notes
    assert t("access.export.with_contact", lang) not in notes
    open_360(at, lang)
    customer_id = at.selectbox(key="ka.360.customer").value
    phone, email = customer_contact(users_db, customer_id)
    masked = privacy.mask_value(phone, "phone")
    assert masked.count("*") == 4 and masked != phone
    shown = [x.value for x in at.text]
    assert any(masked in v for v in shown) and not any(phone in v for v in shown)
    assert not [b for b in at.button if b.key == "ka.360.reveal"]  # no reveal for viewers
    assert not [e for e in at.expander if e.label == t("privacy.erase.title", lang)]  # no erasure


@pytest.mark.parametrize("lang", LANGS)
def test_analyst_may_export_contacts_and_reveals_are_recorded(users_db, lang, monkeypatch):
    at = open_as(users_db, lang, "ana", monkeypatch, page="pages/key_accounts.py")
    assert t("access.export.with_contact", lang) in [c.value for c in at.caption]
    open_360(at, lang)
    customer_id = at.selectbox(key="ka.360.customer").value
    phone, _ = customer_contact(users_db, customer_id)
    assert not any(phone in x.value for x in at.text)  # masked until revealed
    reveals = len(events(users_db, "reveal"))
    at.button(key="ka.360.reveal").click().run()
    assert any(phone in x.value for x in at.text)
    log = events(users_db, "reveal")
    assert len(log) == reveals + 1
    assert log[["user", "role", "contact_fields"]].iloc[0].tolist() == ["ana", "analyst", True]
    assert not [e for e in at.expander if e.label == t("privacy.erase.title", lang)]
    # the Data page is read-only and the audit page is not in the navigation
    at.switch_page("pages/data.py").run()
    assert at.info[0].value == t("access.data.read_only", lang)
    assert [tab.label for tab in at.tabs] == [t("data.tab.batches", lang), t("data.tab.quality", lang)]


@pytest.mark.parametrize("lang", LANGS)
def test_admin_sees_data_actions_audit_and_erasure(users_db, lang, monkeypatch):
    at = open_as(users_db, lang, "root", monkeypatch, page="pages/data.py")
    assert [tab.label for tab in at.tabs] == [t(k, lang) for k in (
        "data.tab.import", "data.tab.batches", "data.tab.quality", "data.tab.demo", "backups.tab")]
    assert at.button(key="data.demo.button").disabled  # confirmation first
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    assert at.title[0].value == t("audit.title", lang)
    shown = next(d.value for d in at.dataframe)
    assert t("audit.action.login", lang) in set(shown[t("audit.col.action", lang)])
    at.switch_page("pages/key_accounts.py").run()
    open_360(at, lang)
    assert [e for e in at.expander if e.label == t("privacy.erase.title", lang)]


def test_viewer_cannot_open_the_audit_page(users_db, monkeypatch):
    at = open_as(users_db, "en", "vic", monkeypatch)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not routed for viewers
        at.switch_page("pages/audit.py")


def test_sign_out(users_db, monkeypatch):
    at = open_as(users_db, "en", "ana", monkeypatch)
    at.button(key=state.AUTH_LOGOUT).click().run()
    assert at.title[0].value == t("access.login.title", "en")
    assert events(users_db, "logout")["user"].iloc[0] == "ana"


def test_local_mode_needs_no_sign_in_and_says_so(open_app):
    at = open_app("zh")
    assert t("access.local_mode", "zh") in [i.value for i in at.sidebar.info]
    assert at.metric  # data shown


@pytest.fixture
def own_db(users_db, tmp_path):
    """A private copy of the users database, for tests that change data."""
    path = tmp_path / "crm.duckdb"
    shutil.copy(users_db, path)
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_admin_erases_a_customer_from_the_360(own_db, lang, monkeypatch):
    con = connect_beside_app(own_db)
    revenue = db.scalar(con, "SELECT sum(revenue) FROM customer_features")
    con.close()
    at = open_as(own_db, lang, "root", monkeypatch, page="pages/key_accounts.py")
    open_360(at, lang)
    customer_id = at.selectbox(key="ka.360.customer").value
    assert at.button(key="ka.360.erase.button").disabled
    at.text_input(key="ka.360.erase.typed").input(customer_id).run()
    at.button(key="ka.360.erase.button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("privacy.erased", lang, customer_id=customer_id) in [s.value for s in at.success]
    con = connect_beside_app(own_db)
    try:
        row = db.query(con, "SELECT name, phone, email FROM customers WHERE customer_id = ?", [customer_id])
        assert row.isna().all(axis=None)
        assert db.scalar(con, "SELECT sum(revenue) FROM customer_features") == pytest.approx(revenue)
        log = audit.list_events(con, actions=("backup", "erase"))
        assert log["action"].tolist() == ["erase", "backup"] and log["user"].tolist() == ["root", "root"]
    finally:
        con.close()
    from crm.store import backups

    assert backups.list_backups(backups.backup_dir_for(own_db))["reason"].tolist() == ["erase"]


@pytest.mark.parametrize("lang", LANGS)
def test_demo_rebuild_over_imported_data_needs_the_typed_word(own_db, lang, monkeypatch):
    from crm.intake import imports

    con = connect_beside_app(own_db)
    imports.commit_import(con, imports.prepare_import(con, b"customer_id,name\nNEW1,x\n", "c.csv", "customers"))
    con.close()
    at = open_as(own_db, lang, "root", monkeypatch, page="pages/data.py")
    assert t("demo.refuse.warning", lang, batches=1, word="REPLACE") in [w.value for w in at.warning]
    assert at.button(key="data.demo.button").disabled
    at.text_input(key="data.demo.typed").input("replace").run()  # not the word
    assert at.button(key="data.demo.button").disabled
    at.text_input(key="data.demo.typed").input("REPLACE").run()
    assert not at.button(key="data.demo.button").disabled


def test_admin_undo_writes_a_backup_and_is_recorded(own_db, monkeypatch):
    from crm.intake import imports
    from crm.store import backups

    con = connect_beside_app(own_db)
    imports.commit_import(con, imports.prepare_import(con, b"customer_id,name\nNEW1,x\n", "c.csv", "customers"))
    con.close()
    at = open_as(own_db, "en", "root", monkeypatch, page="pages/data.py")
    at.checkbox(key="data.batches.undo.confirm").check().run()
    at.button(key="data.batches.undo.button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("data.batches.undone", "en", batch=1) in [s.value for s in at.success]
    listed = backups.list_backups(backups.backup_dir_for(own_db))
    assert listed[["reason", "customers"]].values.tolist() == [["undo", 1501]]
    con = connect_beside_app(own_db)
    try:
        assert db.scalar(con, "SELECT count(*) FROM customers WHERE customer_id = 'NEW1'") == 0
        assert audit.list_events(con, actions=("undo", "backup"))["action"].tolist() == ["undo", "backup"]
    finally:
        con.close()


def test_sign_in_page_switches_language(users_db, monkeypatch):
    at = start(users_db, "en", monkeypatch)
    assert at.title[0].value == "Sign in"
    at.radio(key=state.LANG).set_value("zh").run()
    assert at.title[0].value == "登录"
    sign_in(at, "ana", PASSWORDS["ana"])
    assert at.title[0].value == t("overview.title", "zh")
