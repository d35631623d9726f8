"""`python -m crm retention`: exactly the documented columns, the same numbers as the page's function."""

import datetime as dt

import pandas as pd
import pytest

from crm import cli
from crm.i18n import has_key
from crm.retention import cohorts, lifecycle
from crm.store import db
from crm.store.filters import Filters
from tests.fixtures import retention_shop

D = dt.date


@pytest.fixture
def shop_file(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = db.connect(path)
    retention_shop.build(con)
    con.close()
    return path


def test_retention_command_columns_and_rows(shop_file, tmp_path, capsys):
    out = tmp_path / "cohorts.csv"
    assert cli.main(["retention", "--db", str(shop_file), "--by", "month", "--start", "2024-01-01",
                     "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns) == ["cohort", "cohort_size", "period", "customers", "retention", "revenue"]
    assert table[table["cohort"] == "2024-01-01"]["customers"].tolist() == [3, 1, 1, 1, 0, 0]
    assert table[table["cohort"] == "2024-01-01"]["retention"].tolist() == [1.0, 0.3333, 0.3333, 0.3333, 0, 0]
    assert table[table["cohort"] == "2024-02-01"]["revenue"].tolist() == [360, 0, 0, 100, 60]
    assert table["cohort"].unique().tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert "3" in capsys.readouterr().out  # three cohorts named in the message


def test_retention_command_defaults_to_every_cohort(shop_file, tmp_path):
    out = tmp_path / "all.xlsx"
    assert cli.main(["retention", "--db", str(shop_file), "--by", "quarter", "--out", str(out)]) == 0
    table = pd.read_excel(out)
    assert list(table.columns) == ["cohort", "cohort_size", "period", "customers", "retention", "revenue"]
    # G's December 2023 first order opens the 2023-Q4 cohort; 2024-Q1 holds A..F
    assert table[["cohort", "period", "cohort_size", "customers"]].values.tolist() == [
        ["2023-10-01", 0, 1, 1], ["2023-10-01", 1, 1, 1], ["2023-10-01", 2, 1, 0],
        ["2024-01-01", 0, 6, 6], ["2024-01-01", 1, 6, 3]]


def test_retention_command_rejects_bad_input(shop_file, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert cli.main(["retention", "--db", str(shop_file), "--start", "2024-05-01", "--end", "2024-01-01",
                     "--out", str(out)]) == 2
    assert not out.exists()
    empty = tmp_path / "empty.duckdb"
    db.connect(empty).close()
    assert cli.main(["retention", "--db", str(empty), "--out", str(out)]) == 2
    assert "no orders" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["retention", "--db", str(shop_file), "--by", "day", "--out", str(out)])


def test_generated_translation_keys_exist():
    keys = [f"retention.stage.{s}" for s in (*lifecycle.STAGES, "none")]
    keys += [f"retention.by.{b}" for b in cohorts.GRANULARITIES] + [f"retention.period.{b}" for b in cohorts.GRANULARITIES]
    keys += [f"retention.split.{s}" for s in (*cohorts.SPLITS, "none")] + [f"retention.band.{b}" for b in cohorts.VALUE_BANDS]
    keys += [f"retention.definition.{d}" for d in ("exact", "unbounded")]
    keys += [f"retention.values.{v}" for v in ("share", "customers", "revenue")]
    keys += [f"retention.heatmap.{v}" for v in ("share", "customers", "revenue")]
    keys += [f"retention.tab.{name}" for name in ("cohorts", "repeat", "lifecycle")]
    assert [k for k in keys if not (has_key(k, "zh") and has_key(k, "en"))] == []
