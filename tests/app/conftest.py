"""AppTest fixtures: a small demo database and a factory for a simulated app."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    from crm.intake import demo
    from crm.store import db

    path = tmp_path_factory.mktemp("apptest") / "crm.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=1500, seed=11)
    con.close()
    return path


@pytest.fixture(autouse=True)
def router_mode(monkeypatch):
    """Run every AppTest run through app.py's router, as a live server does.

    A live server leaves Streamlit's legacy pages/-directory mode for good once
    app.py has called st.navigation; AppTest resets that mode before each run,
    which would run later runs' pages without app.py. (The deep-link guard for
    a server's very first request is covered by tests/browser.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    """AppTest binds no address, which means sign-in required; page tests run as the local single user."""
    monkeypatch.setenv("CRM_AUTH", "local")


@pytest.fixture
def open_app(demo_db, monkeypatch):
    """open_app(lang, page=None, db=None, auth="local", **query) -> a run AppTest on that page."""

    def _open(lang: str, page: str | None = None, db: Path | None = None, auth: str = "local",
              **query: str) -> AppTest:
        monkeypatch.setenv("CRM_DB", str(db or demo_db))
        monkeypatch.setenv("CRM_AUTH", auth)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["lang"] = lang
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return _open


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
