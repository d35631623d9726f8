"""No traceback reaches a user: unexpected errors, a busy database and an import that has to wait."""

from __future__ import annotations

import shutil

import pytest

from crm.errors import DatabaseBusy
from crm.formatting import escape_markdown
from crm.i18n import t
from crm.store import access, db
from tests.unit.store.test_access import cli_import_holder
from tests.app.test_data_page import metric, upload, SAMPLES

LANGS = ["zh", "en"]


@pytest.fixture
def own_db(demo_db, tmp_path):
    """A copy of the demo database under a new path: nothing of it is cached yet."""
    path = tmp_path / "crm.duckdb"
    shutil.copy(demo_db, path)
    yield path
    access.release_idle()


@pytest.mark.parametrize("lang", LANGS)
def test_an_unexpected_error_shows_a_generic_message_with_an_incident_id(open_app, monkeypatch, tmp_path, lang):
    from crm.value import overview

    monkeypatch.setenv("CRM_LOG", str(tmp_path / "errors.log"))

    def broken(con, filters):
        raise RuntimeError("secret detail /srv/crm/internal.py")

    monkeypatch.setattr(overview, "compute_kpis", broken)
    at = open_app(lang)  # asserts that no exception element is shown
    shown = [e.value for e in at.error]
    assert len(shown) == 1
    incident = shown[0].split(t("safety.error.page", lang, incident="@").split("@")[0])[1][:10]
    assert shown[0] == t("safety.error.page", lang, incident=incident)
    assert "secret" not in shown[0] and "RuntimeError" not in shown[0]
    log = (tmp_path / "errors.log").read_text(encoding="utf-8")
    assert f"incident {incident} in page overview" in log
    assert "RuntimeError: secret detail" in log


@pytest.mark.parametrize("lang", LANGS)
def test_a_page_says_the_data_is_being_updated_while_the_cli_writes(open_app, own_db, monkeypatch, lang):
    monkeypatch.setenv("CRM_READ_WAIT", "0.5")
    holder = cli_import_holder(own_db)
    try:
        at = open_app(lang, db=own_db)
        expected = DatabaseBusy("read", access.holder(own_db)).message(lang, escape=escape_markdown)
        assert [w.value for w in at.warning] == [expected]
        assert not at.error
    finally:
        holder.release()
    assert t("safety.holder.cli", lang, what="", pid="", since="")[:3] in expected
    at = open_app(lang, db=own_db)  # the write is over: the page draws
    assert not at.warning and at.metric


@pytest.mark.parametrize("lang", LANGS)
def test_an_import_that_cannot_get_its_turn_names_the_holder(open_app, own_db, monkeypatch, lang):
    at = open_app(lang, page="pages/data.py", db=own_db)
    upload(at, "orders.csv", (SAMPLES / "orders.csv").read_bytes())
    assert metric(at, "data.import.rows_accepted", lang) == "150"
    with access.reading(own_db) as con:
        before = db.table_counts(con)["orders"]
    monkeypatch.setenv("CRM_WRITE_WAIT", "0.5")
    holder = cli_import_holder(own_db)
    try:
        at.button(key="data.import.commit").click().run()
        expected = DatabaseBusy("write", access.holder(own_db)).message(lang, escape=escape_markdown)
    finally:
        holder.release()
    assert [e.value for e in at.error] == [expected]
    assert escape_markdown("orders.csv") in expected  # what holds it: the CLI's import of orders.csv
    assert not at.success
    with access.reading(own_db) as con:
        assert db.table_counts(con)["orders"] == before  # nothing written
