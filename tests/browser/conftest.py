"""A real Streamlit server on a free loopback port, and Debian's Chromium driven by Playwright.

Locally, CRM_SKIP_BROWSER=1 (or a machine without /usr/bin/chromium) skips these
tests; with CI=true a browser that cannot start is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory):
    from crm.intake import demo
    from crm.store import db

    path = tmp_path_factory.mktemp("browser") / "crm.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=1500, seed=7)
    con.close()
    return path


@contextmanager
def running_server(db_path: Path, **env_extra: str) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port against `db_path`; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "CRM_DB": str(db_path), **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _skip_unless_browser_tests() -> None:
    if os.environ.get("CRM_SKIP_BROWSER") and not os.environ.get("CI"):
        pytest.skip("CRM_SKIP_BROWSER is set")


serve = running_server


@pytest.fixture(scope="module")
def server(browser_db):
    """A fresh server per test module, so each module's first request is its own (deep links included)."""
    _skip_unless_browser_tests()
    with running_server(browser_db) as url:
        yield url


@pytest.fixture
def fresh_server(browser_db):
    """A server of this test's own: the test's first request is the server's first request."""
    _skip_unless_browser_tests()
    with running_server(browser_db) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    _skip_unless_browser_tests()
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                      "--no-first-run", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync"],
            )
        except Exception as exc:  # noqa: BLE001 - any launch failure is reported the same way
            _unavailable(f"chromium did not start: {exc}")
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)  # assertions wait as long as actions: a cold first request is slow
    yield pg
    context.close()
