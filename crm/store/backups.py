"""Restorable backups, written before every destructive action (demo rebuild, undo, erasure, restore).

A backup is a folder ``<backups>/<YYYYmmdd-HHMMSS>-<reason>/`` beside the
database (``data/backups/``, git-ignored) holding one Parquet file per data
table, read in one transaction so the tables agree with each other, and a
``manifest.json`` written last (a folder without one is incomplete and
ignored). Data tables are every table of the database except ``KEPT``: users,
the audit log and the erasure list are never rolled back, and the aggregates are
rebuilt from the restored rows. Restoring re-applies erasures, so a backup
taken before an erasure never brings that person back into the database, and
``scrub_erasures`` (run after every erasure) clears the erased people's
personal fields from the backups' files as well.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from crm.errors import CRMInputError
from crm.store import db

REASONS = ("demo", "undo", "erase", "restore", "manual")
# Not part of a backup's restore: who may log in, what happened, who was erased; aggregates are rebuilt.
KEPT = frozenset({"meta", "users", "audit_log", "erased_customers", "order_facts", "customer_features"})
MANIFEST = "manifest.json"
_NAME = re.compile(r"^\d{8}-\d{6}(-\d+)?-[a-z]+$")

_TABLES_SQL = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name
"""


def backup_dir_for(db_path: str | Path) -> Path:
    """``backups/`` beside the database file (data/backups for data/crm.duckdb)."""
    return Path(db_path).resolve().parent / "backups"


def data_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = db.query(con, _TABLES_SQL)["table_name"].tolist()
    return [n for n in names if n not in KEPT]


def _quoted(identifier: str) -> str:
    """A table name read from the database's own catalog, as an SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def create_backup(con: duckdb.DuckDBPyConnection, directory: str | Path, reason: str,
                  user: str | None = None, detail: dict | None = None) -> str:
    """Write a backup of every data table; return its name."""
    if reason not in REASONS:
        raise KeyError(f"unknown backup reason: {reason}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name, n = f"{stamp}-{reason}", 1
    while (directory / name).exists():
        n += 1
        name = f"{stamp}-{n}-{reason}"
    folder = directory / name
    folder.mkdir()
    cur = con.cursor()
    try:
        cur.begin()  # one snapshot for every table
        tables = {}
        for table in data_tables(cur):
            path = folder / f"{table}.parquet"
            cur.table(table).write_parquet(str(path))
            tables[table] = pq.read_metadata(path).num_rows
        version = db.scalar_in_transaction(cur, "SELECT value FROM meta WHERE key = 'data_version'")
        cur.commit()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        cur.close()
    manifest = {
        "name": name, "created_at": dt.datetime.now().replace(microsecond=0).isoformat(), "reason": reason,
        "user": user, "detail": detail or {}, "data_version": int(version or 0), "tables": tables,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return name


def _manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_backups(directory: str | Path) -> pd.DataFrame:
    """Complete backups, newest first: name, created_at, reason, user, customers, orders, size_mb."""
    rows = []
    directory = Path(directory)
    for folder in sorted(directory.iterdir() if directory.is_dir() else [], reverse=True):
        manifest = _manifest(folder) if _NAME.match(folder.name) else None
        if manifest is None:
            continue
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        rows.append({
            "name": folder.name, "created_at": pd.Timestamp(manifest["created_at"]),
            "reason": manifest.get("reason"), "user": manifest.get("user"),
            "customers": manifest["tables"].get("customers", 0), "orders": manifest["tables"].get("orders", 0),
            "size_mb": round(size / 2**20, 2),
        })
    columns = ["name", "created_at", "reason", "user", "customers", "orders", "size_mb"]
    return pd.DataFrame(rows, columns=columns)


def restore_backup(con: duckdb.DuckDBPyConnection, directory: str | Path, name: str) -> dict:
    """Replace every data table with the backup's rows in one transaction; return its manifest.

    Tables the backup does not hold (added to the schema later) are emptied.
    Erasures are re-applied, aggregates rebuilt and the data version raised.
    CRMInputError('backups.error.unknown') for a name that is not a complete backup.
    """
    folder = Path(directory) / (name or "")
    manifest = _manifest(folder) if _NAME.match(name or "") else None
    if manifest is None:
        raise CRMInputError("backups.error.unknown", name=name)
    from crm.store import features  # local import: features imports this package's db

    con.begin()
    try:
        for table in data_tables(con):
            con.execute(f"DELETE FROM {_quoted(table)}")
            if table in manifest["tables"]:
                con.execute(f"INSERT INTO {_quoted(table)} BY NAME SELECT * FROM read_parquet($path)",
                            {"path": str(folder / f"{table}.parquet")})
        features.materialise(con)
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return manifest


def _scrub_sql() -> dict[str, tuple[str, str]]:
    """Per table holding personal data: (count of rows to clear, the rows with them cleared)."""
    from crm.access.privacy import PERSONAL_FIELDS

    erased = "list_contains($hashes, sha256(customer_id))"
    personal = " OR ".join(f"{f} IS NOT NULL" for f in PERSONAL_FIELDS)
    cleared = ", ".join(f"CASE WHEN {erased} THEN NULL ELSE {f} END AS {f}" for f in PERSONAL_FIELDS)
    customers = (f"SELECT count(*) FROM read_parquet($path) WHERE {erased} AND ({personal})",
                 f"SELECT * REPLACE ({cleared}) FROM read_parquet($path)")
    return {
        "customers": customers,
        "customers_replaced": customers,
        "survey_responses": (
            f"SELECT count(*) FROM read_parquet($path) WHERE {erased}",
            f"SELECT * REPLACE (CASE WHEN {erased} THEN NULL ELSE customer_id END AS customer_id) "
            "FROM read_parquet($path)",
        ),
    }


def scrub_erasures(con: duckdb.DuckDBPyConnection, directory: str | Path) -> int:
    """Clear every erased customer's personal fields in every backup's files; return files rewritten.

    Each file is rewritten beside itself and then renamed over the old one, so a
    crash leaves either version, never half a file.
    """
    hashes = db.query(con, "SELECT customer_hash FROM erased_customers")["customer_hash"].tolist()
    if not hashes:
        return 0
    rewritten = 0
    for name in list_backups(directory)["name"]:
        for table, (count_sql, scrub_sql) in _scrub_sql().items():
            path = Path(directory) / name / f"{table}.parquet"
            if not path.exists():
                continue
            params = {"hashes": hashes, "path": str(path)}
            cur = con.cursor()
            try:
                if not cur.execute(count_sql, params).fetchall()[0][0]:
                    continue
                partial = path.with_suffix(".parquet.part")
                cur.sql(scrub_sql, params=params).write_parquet(str(partial))
            finally:
                cur.close()
            os.replace(partial, path)
            rewritten += 1
    return rewritten
