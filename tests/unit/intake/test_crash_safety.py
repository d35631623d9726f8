"""Killing an import or an undo at any moment leaves the database exactly as before or exactly as after.

Each run copies a prepared database, starts ``python -m crm import …`` (or
``undo``) on it as a separate process, sends SIGKILL after a random delay
(seeded) and then opens the database again: every table's row count and
checksum must equal either the state before the command or the state a
complete run produces. Import kills are timed from the moment the CLI prints
its validation report, i.e. inside the write; undo kills over the run time of
an uninterrupted undo.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.store import db
from tests.fixtures.small_shop import build

ROOT = Path(__file__).resolve().parents[3]
RUNS = 10  # per command: 20 kills in all
SEED = 20240601


def database_state(path: Path) -> dict[str, tuple[int, int]]:
    """Row count and order-independent checksum of every table (batch timestamps left out:
    they differ between two complete runs). The audit log is left out too: its rows carry the
    time of the event, and they are appended after the action's own transaction commits."""
    con = db.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND table_name <> 'audit_log' "
            "ORDER BY 1").fetchall()]
        out = {}
        for table in tables:  # names from the catalogue, not from input
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND column_name NOT IN "
                "('imported_at', 'undone_at') ORDER BY column_index", [table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = tuple(int(v) for v in con.execute(
                f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM (SELECT {select} FROM \"{table}\") t").fetchone())
        return out
    finally:
        con.close()


def orders_file(path: Path, rows: int = 30_000) -> Path:
    """New orders for the shop's customers and unknown ones, plus new versions of O1..O5."""
    lines = ["订单编号,会员ID,下单时间,实付金额,商品类目"]
    lines += [f"O{i},A,2024-02-0{i},{i}.50,服装" for i in range(1, 6)]
    lines += [f"N{i},{'ABCDE'[i % 5] if i % 7 else f'X{i % 300}'},2024-03-{1 + i % 28:02d},{i % 997}.25,美妆"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "crm", *args]


def run_env() -> dict[str, str]:
    return dict(os.environ, CRM_LANG="en", PYTHONPATH=str(ROOT))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Databases before and after the import and after its undo, with reference timings."""
    folder = tmp_path_factory.mktemp("crash")
    before = folder / "before.duckdb"
    con = db.connect(before)
    build(con)
    con.close()
    source = orders_file(folder / "orders.csv")

    imported = folder / "imported.duckdb"
    shutil.copy(before, imported)
    proc = subprocess.Popen(cli("import", "orders", str(source), "--db", str(imported)), env=run_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    proc.stdout.readline()
    reported = time.monotonic()
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    commit_time = time.monotonic() - reported

    undone = folder / "undone.duckdb"
    shutil.copy(imported, undone)
    started = time.monotonic()
    subprocess.run(cli("undo", "1", "--db", str(undone)), env=run_env(), check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    undo_time = time.monotonic() - started
    return {
        "folder": folder, "source": source, "before": before, "imported": imported, "undone": undone,
        "commit_time": commit_time, "undo_time": undo_time,
        "states": {name: database_state(p) for name, p in (("before", before), ("imported", imported),
                                                            ("undone", undone))},
    }


def test_the_reference_runs_change_the_database(prepared):
    states = prepared["states"]
    assert states["imported"]["orders"][0] == 11 + 30_000  # 5 of the file's rows replace O1..O5
    assert states["imported"]["orders_replaced"][0] == 5
    assert states["undone"]["orders"] == states["before"]["orders"]
    assert states["undone"]["customers"] == states["before"]["customers"]
    assert states["undone"]["import_batches"] != states["before"]["import_batches"]  # batch 1 marked undone


def _kill_after(cmd: list[str], delay: float, wait_for_line: bool) -> int | None:
    proc = subprocess.Popen(cmd, env=run_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT)
    if wait_for_line:
        proc.stdout.readline()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


def test_killing_an_import_leaves_it_all_or_nothing(prepared):
    rng = random.Random(SEED)
    outcomes = []
    for run in range(RUNS):
        path = prepared["folder"] / f"import_{run}.duckdb"
        shutil.copy(prepared["before"], path)
        delay = rng.uniform(0, prepared["commit_time"] * 1.1)
        _kill_after(cli("import", "orders", str(prepared["source"]), "--db", str(path)), delay, wait_for_line=True)
        state = database_state(path)
        assert state in (prepared["states"]["before"], prepared["states"]["imported"]), (run, delay)
        outcomes.append("after" if state == prepared["states"]["imported"] else "before")
    print(f"import kills: {outcomes.count('before')} before, {outcomes.count('after')} after")


def test_killing_an_undo_leaves_it_all_or_nothing(prepared):
    rng = random.Random(SEED + 1)
    outcomes = []
    for run in range(RUNS):
        path = prepared["folder"] / f"undo_{run}.duckdb"
        shutil.copy(prepared["imported"], path)
        delay = rng.uniform(0.3 * prepared["undo_time"], 1.1 * prepared["undo_time"])
        _kill_after(cli("undo", "1", "--db", str(path)), delay, wait_for_line=False)
        state = database_state(path)
        assert state in (prepared["states"]["imported"], prepared["states"]["undone"]), (run, delay)
        outcomes.append("after" if state == prepared["states"]["undone"] else "before")
    print(f"undo kills: {outcomes.count('before')} before, {outcomes.count('after')} after")
