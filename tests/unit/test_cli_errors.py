"""The CLI's error boundary: a message and an exit status, never a traceback (unless CRM_DEBUG=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm import cli
from crm.i18n import t
from crm.store import access, db
from tests.fixtures.small_shop import build

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    monkeypatch.setenv("CRM_LOG", str(tmp_path / "errors.log"))
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    path = tmp_path / "shop.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    yield path
    access.release_idle()


def test_an_unexpected_error_shows_an_incident_id_and_logs_the_traceback(shop_file, tmp_path, monkeypatch, capsys):
    from crm.intake import imports

    def broken(con):
        raise RuntimeError("secret detail /srv/crm/internal.py")

    monkeypatch.setattr(imports, "list_batches", broken)
    assert cli.main(["batches", "--db", str(shop_file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Unexpected error (incident ")
    assert f"the details were written to {tmp_path / 'errors.log'}" in err
    assert "Traceback" not in err and "secret detail" not in err
    incident = err.split("incident ")[1].split(")")[0]
    log = (tmp_path / "errors.log").read_text(encoding="utf-8")
    assert f"incident {incident} in cli batches" in log
    assert "Traceback" in log and "RuntimeError: secret detail" in log

    monkeypatch.setenv("CRM_DEBUG", "1")  # a developer sees the traceback
    with pytest.raises(RuntimeError, match="secret detail"):
        cli.main(["batches", "--db", str(shop_file)])


def test_bad_input_exits_2_with_the_message(shop_file, capsys):
    assert cli.main(["undo", "7", "--db", str(shop_file)]) == 2
    assert capsys.readouterr().err.strip() == t("imports.error.unknown_batch", "en", batch=7)


def test_a_closed_pipe_ends_quietly(shop_file):
    # `python -m crm batches | head` after head has gone: a pipe nobody reads any more
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "crm", "batches", "--db", str(shop_file)], stdout=write_end, stderr=subprocess.PIPE,
            cwd=ROOT, text=True, timeout=120, env={**os.environ, "CRM_LANG": "en", "CRM_DEBUG": ""},
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert result.stderr == ""
