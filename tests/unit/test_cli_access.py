"""The CLI's access commands: users, erase, backups / restore, and the demo build's refusal over imported data."""

import io

import pytest

from crm import cli
from crm.access import audit, users
from crm.store import backups, db
from tests.fixtures.small_shop import build

CSV = "customer_id,name,phone\nF,己,13700000001\n"


@pytest.fixture
def shop_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    path = tmp_path / "crm.duckdb"
    con = db.connect(path)
    build(con)
    con.close()
    return path


def run(path, *args, stdin: str = ""):
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)  # not a terminal: no prompt
    try:
        return cli.main([*args[:2], "--db", str(path), *args[2:]] if args[0] == "user" else
                        [args[0], "--db", str(path), *args[1:]])
    finally:
        sys.stdin = old


def query(path, sql):
    con = db.connect(path)
    try:
        return db.query(con, sql)
    finally:
        con.close()


def test_user_commands(shop_file, capsys):
    assert run(shop_file, "user", "add", "alice", "--role", "analyst", "--password-stdin", stdin="correct horse\n") == 0
    assert run(shop_file, "user", "add", "root", "--role", "admin", "--password-stdin", stdin="long enough\n") == 0
    assert run(shop_file, "user", "add", "bob", "--role", "viewer", "--password-stdin", stdin="short\n") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert run(shop_file, "user", "list") == 0
    listing = capsys.readouterr().out
    assert "alice" in listing and "analyst" in listing and "argon2" not in listing
    assert run(shop_file, "user", "password", "alice", "--password-stdin", stdin="battery staple\n") == 0
    assert run(shop_file, "user", "remove", "root") == 2  # the last admin
    assert run(shop_file, "user", "remove", "alice") == 0
    con = db.connect(shop_file)
    assert users.list_users(con)["name"].tolist() == ["root"]
    log = audit.list_events(con).sort_values("at")
    assert log["action"].tolist() == ["user.add", "user.add", "user.password", "user.remove"]
    assert log["user"].str.startswith("cli:").all()
    con.close()


def test_erase_writes_a_backup_first_and_is_recorded(shop_file, capsys):
    assert run(shop_file, "erase", "A", "--yes") == 0
    assert query(shop_file, "SELECT name, city FROM customers WHERE customer_id = 'A'").isna().all(axis=None)
    assert query(shop_file, "SELECT sum(revenue) AS r FROM customer_features")["r"].iloc[0] == 9420
    listed = backups.list_backups(backups.backup_dir_for(shop_file))
    assert listed["reason"].tolist() == ["erase"]
    log = query(shop_file, "SELECT action, rows FROM audit_log ORDER BY \"at\"")
    assert log["action"].tolist() == ["backup", "erase"] and log["rows"].iloc[1] == 1  # A's customers row
    assert run(shop_file, "erase", "ZZZ", "--yes") == 2
    assert "no customer with ID ZZZ" in capsys.readouterr().err


def test_backups_and_restore(shop_file, tmp_path, capsys):
    data = tmp_path / "new.csv"
    data.write_text(CSV, encoding="utf-8")
    assert run(shop_file, "erase", "B", "--yes") == 0  # backup 1: before the erasure
    first = backups.list_backups(backups.backup_dir_for(shop_file))["name"].iloc[0]
    assert run(shop_file, "import", "customers", str(data)) == 0
    assert run(shop_file, "backups") == 0
    assert first in capsys.readouterr().out
    assert run(shop_file, "restore", first, "--yes") == 0
    assert query(shop_file, "SELECT count(*) AS n FROM customers")["n"].iloc[0] == 5  # F is gone again
    assert query(shop_file, "SELECT name FROM customers WHERE customer_id = 'B'")["name"].isna().all()  # erased
    reasons = backups.list_backups(backups.backup_dir_for(shop_file))["reason"].tolist()
    assert sorted(reasons) == ["erase", "restore"]
    actions = query(shop_file, "SELECT action FROM audit_log ORDER BY \"at\"")["action"].tolist()
    assert actions == ["backup", "erase", "import", "backup", "restore"]
    assert run(shop_file, "restore", "../../etc", "--yes") == 2


def test_demo_refuses_over_imported_batches(shop_file, tmp_path, capsys):
    data = tmp_path / "new.csv"
    data.write_text(CSV, encoding="utf-8")
    assert run(shop_file, "import", "customers", str(data)) == 0
    capsys.readouterr()
    assert run(shop_file, "demo", "--customers", "100") == 2
    assert "1 imported batches" in capsys.readouterr().err
    assert query(shop_file, "SELECT count(*) AS n FROM customers")["n"].iloc[0] == 6  # untouched
    assert backups.list_backups(backups.backup_dir_for(shop_file)).empty
    assert run(shop_file, "demo", "--customers", "100", "--force") == 0
    assert query(shop_file, "SELECT count(*) AS n FROM customers")["n"].iloc[0] == 100
    listed = backups.list_backups(backups.backup_dir_for(shop_file))
    assert listed[["reason", "customers"]].values.tolist() == [["demo", 6]]
    assert run(shop_file, "demo", "--customers", "100") == 0  # only demo data now: no confirmation needed


def test_undo_writes_a_backup_first(shop_file, tmp_path):
    data = tmp_path / "new.csv"
    data.write_text(CSV, encoding="utf-8")
    assert run(shop_file, "import", "customers", str(data)) == 0
    assert run(shop_file, "undo", "7") == 2  # refused: no backup for nothing
    assert backups.list_backups(backups.backup_dir_for(shop_file)).empty
    assert run(shop_file, "undo", "1") == 0
    listed = backups.list_backups(backups.backup_dir_for(shop_file))
    assert listed[["reason", "customers"]].values.tolist() == [["undo", 6]]


def test_erase_and_restore_need_confirming(shop_file, capsys):
    assert run(shop_file, "erase", "A") == 2  # no terminal to type in, no --yes: refused, nothing changed
    assert "--yes" in capsys.readouterr().err
    assert query(shop_file, "SELECT name FROM customers WHERE customer_id = 'A'")["name"].notna().all()
    assert run(shop_file, "erase", "A", "--yes") == 0
    from crm.store import backups

    first = backups.list_backups(backups.backup_dir_for(shop_file))["name"].iloc[0]
    assert run(shop_file, "restore", first) == 2
