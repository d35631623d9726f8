"""Every file of the hostile corpus (tests/fixtures/hostile/) gives its expected outcome.

A refused file raises CRMInputError with the expected key (and row / column),
its message exists in both languages, and nothing stored changes. An accepted
file yields exactly the expected rows and values, is read as the manifest says
(encoding, separator, sheet, decimal mark, NULs removed), and commits its rows.

``python -m tests.unit.intake.test_hostile_corpus`` prints the summary: refused
cleanly, accepted correctly, mis-parsed (must be 0), tracebacks (must be 0).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import traceback
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from crm.errors import CRMInputError
from crm.i18n import has_key
from crm.intake import imports
from crm.store import db

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "hostile"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
TODAY = dt.date(2026, 1, 1)

# every table the import and undo paths write
TABLES = ("customers", "orders", "tickets", "customers_replaced", "orders_replaced", "tickets_replaced",
          "import_batches", "meta")


def table_state(con) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent checksum of every table the imports write."""
    out = {}
    for table in TABLES:
        rows, checksum = con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchone()
        out[table] = (int(rows), int(checksum))
    return out


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def check_case(item: dict) -> tuple[str, str]:
    """Run one corpus file; return (outcome, detail), outcome one of
    'refused', 'accepted', 'misparsed', 'traceback'."""
    expect = item["expect"]
    options = dict(item["options"])
    data = (CORPUS / item["file"]).read_bytes()
    con = db.connect(":memory:")
    try:
        before = table_state(con)
        try:
            plan = imports.prepare_import(con, data, item["file"], item["kind"], options.pop("mapping", None),
                                          today=TODAY, **options)
        except CRMInputError as exc:
            problems = []
            if expect.get("refused") != exc.key:
                problems.append(f"refused with {exc.key}: {exc.message('en')}")
            for where in ("row", "column"):
                if where in expect and getattr(exc, where) != expect[where] and exc.values.get(where) != expect[where]:
                    problems.append(f"{where} {exc.values.get(where)!r} != {expect[where]!r}")
            if not (has_key(exc.key, "zh") and has_key(exc.key, "en")):
                problems.append(f"no translation for {exc.key}")
            if table_state(con) != before:
                problems.append("stored tables changed")
            return ("misparsed", "; ".join(problems)) if problems else ("refused", exc.key)
        if "refused" in expect:
            return "misparsed", f"accepted {plan.rows_accepted} rows, expected {expect['refused']}"
        problems = []
        if plan.rows_accepted != expect["accepted"]:
            problems.append(f"accepted {plan.rows_accepted} != {expect['accepted']}")
        got_rejected = [[int(r), k] for r, k in zip(plan.rejected["row_number"], plan.rejected["reason"])]
        if got_rejected != expect["rejected"]:
            problems.append(f"rejected {got_rejected} != {expect['rejected']}")
        for field, values in expect["values"].items():
            got = [_plain(v) for v in plan.accepted[field].tolist()]
            if field == "birthday":
                got = [v[:10] if v else v for v in got]
            if got != values:
                problems.append(f"{field} {got!r} != {values!r}")
        for key, value in expect.get("source", {}).items():
            if plan.source.get(key) != value:
                problems.append(f"source {key} {plan.source.get(key)!r} != {value!r}")
        if plan.rows_accepted:
            result = imports.commit_import(con, plan)
            stored = db.table_counts(con)[item["kind"]]
            if result.inserted != plan.rows_accepted or stored != plan.rows_accepted:
                problems.append(f"committed {result.inserted}, stored {stored}")
        return ("misparsed", "; ".join(problems)) if problems else ("accepted", f"{plan.rows_accepted} rows")
    except Exception:  # noqa: BLE001 - counting the tracebacks is the point of this runner
        return "traceback", traceback.format_exc(limit=3)
    finally:
        con.close()


def test_corpus_has_every_kind_of_hostile_file():
    assert len(MANIFEST) >= 50
    assert all((CORPUS / item["file"]).is_file() for item in MANIFEST)
    refusals = Counter(item["expect"].get("refused") for item in MANIFEST)
    for key in ("zip_bomb", "sheet_too_large", "encrypted", "mixed_encoding", "formulas_without_values",
                "year_only_dates", "ambiguous_columns", "too_many_columns", "cell_too_long", "not_a_table"):
        assert refusals[f"imports.error.{key}"] >= 1, key
    # the bombs are small files
    assert (CORPUS / "xlsx_bomb_cell_xfd1048576.xlsx").stat().st_size < 5_000
    assert (CORPUS / "xlsx_zip_bomb_1gib_cell.xlsx").stat().st_size < 1_300_000


@pytest.mark.parametrize("item", MANIFEST, ids=[item["file"] for item in MANIFEST])
def test_corpus_file(item):
    outcome, detail = check_case(item)
    expected = "refused" if "refused" in item["expect"] else "accepted"
    assert (outcome, item["file"]) == (expected, item["file"]), detail


def summarise(results: list[tuple[str, str, str]]) -> str:
    counts = Counter(outcome for _, outcome, _ in results)
    lines = [f"hostile corpus: {len(results)} files",
             f"  refused cleanly:    {counts['refused']}",
             f"  accepted correctly: {counts['accepted']}",
             f"  mis-parsed:         {counts['misparsed']}",
             f"  tracebacks:         {counts['traceback']}"]
    lines += [f"  ! {name}: {outcome}: {detail}" for name, outcome, detail in results
              if outcome in ("misparsed", "traceback")]
    return "\n".join(lines)


def main() -> int:
    results = [(item["file"], *check_case(item)) for item in MANIFEST]
    print(summarise(results))
    return 1 if any(outcome in ("misparsed", "traceback") for _, outcome, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
