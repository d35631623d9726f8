"""App and CLI on one database file: reads beside a writer, one writer at a time, clear messages.

Other processes are real subprocesses (`python -c`), because DuckDB's file lock
and `flock` behave differently inside one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from crm.errors import DatabaseBusy
from crm.intake import imports
from crm.store import access, db
from tests.fixtures.small_shop import build

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture
def shop_file(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    yield path
    access.release_idle()


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crm", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "CRM_LANG": "en", "CRM_DEBUG": "", **env},
    )


class Holder:
    """Another process that holds the database, as a running import or a DuckDB shell would."""

    def __init__(self, code: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def release(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=60)


def cli_import_holder(path: Path) -> Holder:
    return Holder(f"""
        import sys
        from crm.store import access
        with access.writing({str(path)!r}, who="cli", action="import", detail="orders.csv"):
            print("ready", flush=True)
            sys.stdin.readline()
    """)


def order_count(path) -> int:
    with access.reading(path) as con:
        return db.table_counts(con)["orders"]


# ------------------------------------------------------------------ the CLI beside the app

def test_cli_reads_and_writes_while_an_app_process_keeps_its_connection(shop_file):
    # an app process that has drawn a page: its read-only connection stays open while idle
    app = Holder(f"""
        import sys
        from crm.store import access, db
        path = {str(shop_file)!r}
        with access.reading(path) as con:
            db.table_counts(con)
        print("ready", flush=True)
        sys.stdin.readline()
        print(access.data_version(path), flush=True)
        with access.reading(path) as con:
            print(db.table_counts(con)["orders"], flush=True)
    """)
    version = access.data_version(shop_file)
    listed = run_cli("batches", "--db", str(shop_file))
    assert listed.returncode == 0, listed.stderr
    assert "batch_id" in listed.stdout

    started = time.monotonic()
    done = run_cli("import", "orders", str(SAMPLES / "orders.csv"), "--db", str(shop_file))
    assert done.returncode == 0, done.stderr
    assert "Import done (batch 1): 150 rows added" in done.stdout
    assert time.monotonic() - started < 30  # no waiting out the app's idle minute

    app.proc.stdin.write("go\n")
    app.proc.stdin.flush()
    out, _ = app.proc.communicate(timeout=60)
    assert out.split() == [str(version + 1), "161"]  # the app sees the new version and the new rows


def test_a_cli_write_waits_for_the_app_and_says_what_holds_it(shop_file):
    holder = cli_import_holder(shop_file)
    try:
        done = run_cli("undo", "1", "--db", str(shop_file), CRM_WRITE_WAIT="0.5")
        assert done.returncode == 3
        assert "Traceback" not in done.stderr
        assert f"The database is busy: the command line is running import: orders.csv (pid {holder.proc.pid}" in done.stderr
        assert "Waiting for the database to be free: the command line is running import: orders.csv" in done.stderr

        listed = run_cli("batches", "--db", str(shop_file), CRM_READ_WAIT="0.5")
        assert listed.returncode == 3
        assert listed.stderr.startswith("The data is being updated (the command line is running import: orders.csv")
    finally:
        holder.release()
    assert run_cli("batches", "--db", str(shop_file)).returncode == 0


def test_a_program_outside_the_locks_is_named_with_its_pid(shop_file):
    shell = Holder(f"""
        import sys, duckdb
        con = duckdb.connect({str(shop_file)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        con.close()
    """)
    try:
        listed = run_cli("batches", "--db", str(shop_file), CRM_READ_WAIT="0.5")
        assert listed.returncode == 3
        assert "Traceback" not in listed.stderr and "IOException" not in listed.stderr
        assert f"another program has the database open: python" in listed.stderr
        assert f"(pid {shell.proc.pid})" in listed.stderr
    finally:
        shell.release()


# ------------------------------------------------------------------ writers one at a time

def plan_for(path, name: str, body: str):
    with access.reading(path) as con:
        return imports.prepare_import(con, ("会员ID,下单时间,实付金额\n" + body).encode(), name, "orders")


def test_two_imports_at_once_queue_instead_of_conflicting(shop_file):
    first = plan_for(shop_file, "first.csv", "A,2024-06-01,10\nB,2024-06-02,20\n")
    second = plan_for(shop_file, "second.csv", "C,2024-06-03,30\n")
    inside, waits, results, errors = threading.Event(), [], {}, []

    def commit(plan, name, hold: float = 0.0):
        try:
            with access.writing(shop_file, who="app", action="import", detail=name, on_wait=waits.append) as con:
                inside.set()
                time.sleep(hold)  # the first import is still writing when the second arrives
                results[name] = imports.commit_import(con, plan)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    a = threading.Thread(target=commit, args=(first, "first.csv", 1.0))
    a.start()
    inside.wait(10)
    b = threading.Thread(target=commit, args=(second, "second.csv"))
    b.start()
    a.join(30)
    b.join(30)
    assert errors == []
    assert [h["who"] for h in waits] == ["app"] and waits[0]["detail"] == "first.csv"  # "waiting for another import"
    assert (results["first.csv"].batch_id, results["second.csv"].batch_id) == (1, 2)
    assert order_count(shop_file) == 11 + 3


def test_a_write_that_waits_too_long_names_the_holder(shop_file):
    holder = cli_import_holder(shop_file)
    try:
        with pytest.raises(DatabaseBusy) as caught:
            with access.writing(shop_file, who="app", action="import", detail="mine.csv", wait=0.3):
                pass
        assert caught.value.operation == "write"
        assert caught.value.message("zh").startswith("数据库正被占用：命令行正在导入：orders.csv（进程 ")
        with pytest.raises(DatabaseBusy, match="being updated"):
            with access.reading(shop_file, wait=0.3):
                pass
    finally:
        holder.release()


def test_a_waiting_writer_is_not_starved_by_new_readers(shop_file):
    reading_now, stop = threading.Event(), threading.Event()

    def long_reader():
        with access.reading(shop_file) as con:
            reading_now.set()
            db.table_counts(con)
            time.sleep(0.5)

    def reader_stream():
        while not stop.is_set():
            with access.reading(shop_file, wait=30) as con:
                db.table_counts(con)

    first = threading.Thread(target=long_reader)
    first.start()
    reading_now.wait(10)
    stream = threading.Thread(target=reader_stream)
    stream.start()
    started = time.monotonic()
    with access.writing(shop_file, who="cli", action="write", wait=10):
        waited = time.monotonic() - started
    stop.set()
    first.join(10)
    stream.join(30)
    assert waited < 5  # the running read finished, the new ones queued behind the writer


# ------------------------------------------------------------------ the data version without opening the file

def test_data_version_comes_from_the_side_file(shop_file, monkeypatch):
    version = access.data_version(shop_file)
    with access.writing(shop_file, who="cli", action="import") as con:
        db.bump_data_version(con)
    access.release_idle()

    def no_open(*args, **kwargs):
        raise AssertionError("the database was opened")

    monkeypatch.setattr(duckdb, "connect", no_open)
    assert access.data_version(shop_file) == version + 1
    monkeypatch.undo()

    # a write that does not record it (a test fixture, an old program) is noticed by the file's stat
    con = db.connect(shop_file)
    db.bump_data_version(con)
    con.close()
    assert access.data_version(shop_file) == version + 2


def test_a_missing_database_is_created_for_readers(tmp_path):
    path = tmp_path / "new" / "crm.duckdb"
    assert access.data_version(path) == 0
    with access.reading(path) as con:
        assert db.table_counts(con)["orders"] == 0
    access.release_idle()
