"""The combined segment table and the `segments` / `key-accounts` commands.

The commands must write exactly what `customer_segments` and
`select_key_accounts` return (the pages call the same functions).
"""

import datetime as dt

import pandas as pd
import pytest

from crm import cli
from crm.store import db
from crm.errors import CRMInputError
from crm.store.filters import Filters, default_filters
from crm.value.key_accounts import select_key_accounts
from crm.value.segments import SEGMENT_COLUMNS, customer_segments
from tests.fixtures import small_shop

F = default_filters(dt.date(2024, 6, 30))  # 2023-07-01 .. 2024-06-30


@pytest.fixture
def shop_file(tmp_path):
    path = tmp_path / "shop.duckdb"
    con = db.connect(path)
    small_shop.build(con)
    con.close()
    return path


def test_customer_segments_columns_and_values(shop):
    df = customer_segments(shop, F).set_index("customer_id")
    assert ["customer_id", *df.columns] == SEGMENT_COLUMNS
    assert df.index.tolist() == ["A", "B", "C", "D", "E"]
    assert df["segment"].astype(str).to_dict() == {
        "A": "general_value", "B": "general_development", "C": "general_winback",
        "D": "general_value", "E": "important_value"}
    # revenue 8000, 500, 500, 150, 120 of 9270: E crosses 80 % (A); A, D before 95 % (B); B, C (C)
    assert df["abc_class"].to_dict() == {"A": "B", "B": "C", "C": "C", "D": "B", "E": "A"}
    assert df["tier"].astype(str).to_dict() == {"A": "normal", "B": "normal", "C": "normal", "D": "normal", "E": "silver"}
    assert df.loc["E", "cluster"] == 1  # cluster 1 holds the highest spender
    assert df["cluster"].between(1, 4).all()
    # every cluster has one name, the one the page shows (its profile name in the language asked for)
    from crm.value.clusters import cluster_features, cluster_levels, name_clusters

    X = cluster_features(shop, F)
    labels = X["customer_id"].map(df["cluster"]).to_numpy()
    names = {"zh": name_clusters(cluster_levels(X, labels), "zh"), "en": name_clusters(cluster_levels(X, labels), "en")}
    assert df["cluster_name"].to_dict() == {c: names["zh"][k] for c, k in df["cluster"].items()}
    english = customer_segments(shop, F, lang="en").set_index("customer_id")
    assert english["cluster_name"].to_dict() == {c: names["en"][k] for c, k in df["cluster"].items()}
    assert df.groupby("cluster")["cluster_name"].nunique().eq(1).all()
    assert df["cluster_name"].nunique() == df["cluster"].nunique()
    assert df["r_score"].to_dict() == {"A": 3, "B": 2, "C": 1, "D": 5, "E": 4}


def test_customer_segments_options(shop):
    df = customer_segments(shop, F, bins=4, split="median", n_clusters=2).set_index("customer_id")
    assert df.loc["E", "segment"] == "important_development"
    assert df["m_score"].max() == 4
    assert sorted(df["cluster"].unique()) == [1, 2]


def test_customer_segments_too_few_to_cluster(shop):
    f = Filters(start=F.start, end=F.end, as_of=F.as_of, provinces=("广东",))  # A and C only
    df = customer_segments(shop, f)
    assert df["customer_id"].tolist() == ["A", "C"]
    assert df["cluster"].isna().all() and df["cluster_name"].isna().all()


def test_customer_segments_validation(shop):
    with pytest.raises(CRMInputError, match="Score bins"):
        customer_segments(shop, F, bins=10)
    with pytest.raises(CRMInputError, match="number of clusters"):
        customer_segments(shop, F, n_clusters=1)


def read(path):
    return pd.read_csv(path, encoding="utf-8-sig") if path.suffix == ".csv" else pd.read_excel(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_segments_command_writes_the_table(shop_file, tmp_path, capsys, monkeypatch, suffix):
    monkeypatch.setenv("CRM_LANG", "en")
    out = tmp_path / f"segments{suffix}"
    assert cli.main(["segments", "--db", str(shop_file), "--as-of", "2024-06-30", "--out", str(out)]) == 0
    assert "Wrote 5 customers" in capsys.readouterr().out
    con = db.connect(shop_file)
    expected = customer_segments(con, F, lang="en")
    con.close()
    written = read(out)
    assert written.columns.tolist() == SEGMENT_COLUMNS
    numbers = ["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "cluster"]
    for column in numbers:  # Excel gives whole floats back as integers: compare numbers
        assert written[column].astype(float).tolist() == expected[column].astype(float).tolist(), column
    for column in ["customer_id", "segment", "abc_class", "tier", "cluster_name"]:
        assert written[column].astype(str).tolist() == expected[column].astype(str).tolist(), column


def test_segments_command_defaults_to_the_reference_date_and_takes_options(shop_file, tmp_path, capsys):
    out = tmp_path / "s.csv"
    args = ["segments", "--db", str(shop_file), "--out", str(out), "--start", "2024-01-01",
            "--bins", "4", "--split", "median", "--clusters", "2"]
    assert cli.main(args) == 0
    assert "period 2024-01-01 to 2024-06-30, as of 2024-06-30" in capsys.readouterr().out
    con = db.connect(shop_file)
    f = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), as_of=dt.date(2024, 6, 30))
    expected = customer_segments(con, f, bins=4, split="median", n_clusters=2)
    con.close()
    written = read(out)
    assert written["customer_id"].tolist() == expected["customer_id"].tolist() == ["A", "B", "D", "E"]
    assert written["segment"].tolist() == expected["segment"].astype(str).tolist()
    assert written["cluster"].tolist() == expected["cluster"].tolist()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_key_accounts_command(shop_file, tmp_path, capsys, suffix):
    out = tmp_path / f"ka{suffix}"
    args = ["key-accounts", "--db", str(shop_file), "--as-of", "2024-06-30", "--top", "40%", "--out", str(out)]
    assert cli.main(args) == 0
    con = db.connect(shop_file)
    expected = select_key_accounts(con, F, top_share=0.4)
    con.close()
    # E 8000 and A 500 of 9270 revenue; profit 1600 + 230 of 230 + 60 + 40 + 230 + 1600 = 2160
    assert capsys.readouterr().out.strip() == (
        f"Wrote 2 key accounts to {out}; 91.7% of revenue, 84.7% of profit")
    assert expected.revenue_share == pytest.approx(8500 / 9270)
    written = read(out)
    assert written.columns.tolist() == expected.table.columns.tolist()
    assert written["customer_id"].tolist() == ["E", "A"]
    assert written["revenue"].tolist() == expected.table["revenue"].tolist()
    assert written["trend"].tolist() == ["new", "growing"]
    assert written["segment"].tolist() == expected.table["segment"].astype(str).tolist()


def test_key_accounts_command_top_n_by_orders_and_thresholds(shop_file, tmp_path, capsys):
    out = tmp_path / "ka.csv"
    base = ["key-accounts", "--db", str(shop_file), "--as-of", "2024-06-30", "--out", str(out)]
    assert cli.main(base + ["--top", "1", "--by", "profit"]) == 0
    assert read(out)["customer_id"].tolist() == ["E"]
    assert cli.main(base + ["--min-revenue", "500", "--min-orders", "2"]) == 0
    assert read(out)["customer_id"].tolist() == ["E", "A", "D"]
    capsys.readouterr()


@pytest.mark.parametrize("extra, message", [
    (["--top", "five"], "--top must be a percentage (e.g. 5%) or a count (e.g. 50), got: five"),
    (["--top", "150%"], "Top share must be between 0 and 1"),
    (["--top", "5", "--min-orders", "2"], "Choose exactly one way to select"),
    ([], "Choose exactly one way to select"),
])
def test_key_accounts_command_errors_exit_2(shop_file, tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.setenv("CRM_LANG", "en")
    args = ["key-accounts", "--db", str(shop_file), "--out", str(tmp_path / "ka.csv"), *extra]
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_segments_command_bad_extension(shop_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    assert cli.main(["segments", "--db", str(shop_file), "--out", str(tmp_path / "s.json")]) == 2
    assert "Unknown export format" in capsys.readouterr().err


def test_chinese_summary(shop_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "zh")
    out = tmp_path / "s.csv"
    assert cli.main(["segments", "--db", str(shop_file), "--out", str(out), "--clusters", "2"]) == 0
    printed = capsys.readouterr().out
    assert "已写入 5 位客户" in printed
    written = read(out)
    sizes = written.groupby(["cluster", "cluster_name"]).size()
    listed = "；".join(f"{name} {count} 人" for (_, name), count in sizes.items())
    assert f"客户群（k = 2）：{listed}" in printed
    assert written["cluster_name"].nunique() == 2 and not written["cluster_name"].str.isdigit().any()
