"""Backups and restore: a round trip on a file database, users / audit / erasures kept, names checked."""

import pandas as pd
import pytest

from crm.access import audit, privacy, users
from crm.errors import CRMInputError
from crm.intake import imports
from crm.store import backups, db
from tests.fixtures.small_shop import build

CSV = "customer_id,name,phone\nA,甲二,13912345678\nF,己,13700000001\n".encode()


@pytest.fixture
def shop_file(tmp_path):
    con = db.connect(tmp_path / "crm.duckdb")
    build(con)
    yield con, tmp_path / "backups"
    con.close()


def _state(con):
    return db.query(con, """
        SELECT (SELECT count(*) FROM customers) AS customers,
               (SELECT string_agg(customer_id || ':' || coalesce(name, '-'), ',' ORDER BY customer_id) FROM customers) AS names,
               (SELECT sum(amount) FROM orders) AS amount,
               (SELECT count(*) FROM import_batches) AS batches,
               (SELECT count(*) FROM customers_replaced) AS replaced,
               (SELECT sum(revenue) FROM customer_features) AS feature_revenue
    """).iloc[0].to_dict()


def test_round_trip(shop_file):
    con, folder = shop_file
    before = _state(con)
    assert before == {"customers": 5, "names": "A:甲,B:乙,C:丙,D:丁,E:戊有限公司", "amount": 9500, "batches": 0,
                      "replaced": 0, "feature_revenue": 9420}
    name = backups.create_backup(con, folder, "manual", "tester", {"why": "test"})
    version = db.data_version(con)
    imports.commit_import(con, imports.prepare_import(con, CSV, "c.csv", "customers"))
    assert _state(con)["names"] == "A:甲二,B:乙,C:丙,D:丁,E:戊有限公司,F:己"

    listed = backups.list_backups(folder)
    assert listed[["name", "reason", "user", "customers", "orders"]].values.tolist() == [
        [name, "manual", "tester", 5, 11]]
    manifest = backups.restore_backup(con, folder, name)
    assert manifest["tables"]["orders"] == 11 and manifest["detail"] == {"why": "test"}
    assert _state(con) == before
    assert db.data_version(con) > version  # caches see the change


def test_restore_keeps_users_audit_and_erasures(shop_file):
    con, folder = shop_file
    name = backups.create_backup(con, folder, "erase")
    users.add_user(con, "root", "admin", "long enough")
    audit.record(con, "root", "admin", "erase", {"customer_id": "A"})
    privacy.erase_customer(con, "A")
    backups.restore_backup(con, folder, name)  # a backup from before the erasure
    assert db.scalar(con, "SELECT name FROM customers WHERE customer_id = 'A'") is None  # still erased
    assert db.scalar(con, "SELECT name FROM customer_features WHERE customer_id = 'A'") is None
    assert db.scalar(con, "SELECT name FROM customers WHERE customer_id = 'B'") == "乙"
    assert users.get_user(con, "root").role == "admin"
    assert audit.list_events(con)["action"].tolist() == ["erase"]


def test_unknown_or_unsafe_names_are_refused(shop_file):
    con, folder = shop_file
    name = backups.create_backup(con, folder, "undo")
    (folder / "20260101-000000-manual").mkdir()  # no manifest: incomplete, not listed
    assert backups.list_backups(folder)["name"].tolist() == [name]
    for bad in ("20260101-000000-manual", "../crm", "nope", ""):
        with pytest.raises(CRMInputError) as info:
            backups.restore_backup(con, folder, bad)
        assert info.value.key == "backups.error.unknown"
    assert _state(con)["customers"] == 5


def test_backup_holds_data_tables_only(shop_file):
    con, folder = shop_file
    name = backups.create_backup(con, folder, "demo")
    files = {p.name for p in (folder / name).iterdir()}
    assert "customers.parquet" in files and "orders.parquet" in files and "manifest.json" in files
    assert not files & {"users.parquet", "audit_log.parquet", "erased_customers.parquet", "meta.parquet",
                        "customer_features.parquet"}
    assert backups.backup_dir_for("data/crm.duckdb").parts[-2:] == ("data", "backups")
    with pytest.raises(KeyError):
        backups.create_backup(con, folder, "whatever")


def test_erasure_is_scrubbed_from_existing_backups(shop_file):
    con, folder = shop_file
    con.execute("UPDATE customers SET phone = '13800000005' WHERE customer_id = 'A'")
    con.execute("INSERT INTO surveys (survey_id, title, source_tool, language, created_at, batch_id) VALUES ('S1', 'NPS', 'demo', 'zh', TIMESTAMP '2024-06-01', 0)")
    con.execute("INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id) VALUES ('R1', 'S1', 'A', TIMESTAMP '2024-06-02', 0),"
                " ('R2', 'S1', 'B', TIMESTAMP '2024-06-02', 0)")
    first = backups.create_backup(con, folder, "manual")
    second = backups.create_backup(con, folder, "erase")
    assert backups.scrub_erasures(con, folder) == 0  # nobody erased yet
    privacy.erase_customer(con, "A")
    assert backups.scrub_erasures(con, folder) == 4  # customers and survey_responses of both backups
    for name in (first, second):
        customers = db.query(con, "SELECT * FROM read_parquet($p) ORDER BY customer_id",
                             {"p": str(folder / name / "customers.parquet")})
        a = customers.loc[customers["customer_id"] == "A"].iloc[0]
        assert all(pd.isna(a[f]) for f in privacy.PERSONAL_FIELDS)
        assert customers.loc[customers["customer_id"] == "B", "name"].tolist() == ["乙"]
        links = db.query(con, "SELECT response_id, customer_id FROM read_parquet($p) ORDER BY 1",
                         {"p": str(folder / name / "survey_responses.parquet")}).fillna("")
        assert links.values.tolist() == [["R1", ""], ["R2", "B"]]
    assert backups.scrub_erasures(con, folder) == 0  # nothing left to clear
    backups.restore_backup(con, folder, first)
    assert db.scalar(con, "SELECT count(*) FROM orders WHERE customer_id = 'A'") == 3
