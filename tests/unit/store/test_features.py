"""customer_features and the reference date, against the small shop."""

import datetime as dt

from crm.intake import imports
from crm.store import db, features


def test_customer_features_by_hand(shop):
    df = db.query(shop, "SELECT * FROM customer_features ORDER BY customer_id").set_index("customer_id")
    assert features.reference_date(shop) == dt.date(2024, 6, 30)  # the last order, O9
    a = df.loc["A"]
    assert (a["orders"], a["revenue"], a["profit"]) == (3, 600, 270)  # 100+200+300; 40+80+150
    assert a["recency_days"] == 60  # 2024-05-01 -> 2024-06-30
    assert a["tenure_days"] == 478  # 2023-03-10 -> 2024-06-30
    assert a["main_category"] == "服装"  # 服装 100 + 300 beats 美妆 200
    assert a["avg_order_value"] == 200
    assert (a["complaints"], a["open_complaints"]) == (1, 1)  # T1 open
    assert df.loc["D", "main_category"] == "家居"
    b = df.loc["B"]
    assert b["main_category"] == "服装"  # 服装 150 beats 美食 50; the returned O6 does not count
    assert (b["orders"], b["revenue"], b["returns"]) == (2, 200, 1)  # O6 returned: not counted
    assert df.loc[["A", "B", "C", "D"], "age"].tolist() == [34, 44, 23, 54]  # completed years
    assert df["age"].isna()["E"]
    assert df["age_band"].to_dict() == {"A": "25_34", "B": "35_44", "C": "u25", "D": "45_54", "E": "unknown"}
    assert df.loc["D", "open_complaints"] == 0  # T4 is closed


def test_reference_date_follows_an_import_inside_its_transaction(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    csv = "customer_id,order_date,amount\nX1,2024-03-05,10\nX1,2024-04-07,20\n".encode()
    imports.commit_import(con, imports.prepare_import(con, csv, "o.csv", "orders", today=dt.date(2024, 5, 1)))
    assert features.reference_date(con) == dt.date(2024, 4, 7)
    row = db.query(con, "SELECT recency_days, orders FROM customer_features WHERE customer_id = 'X1'").iloc[0]
    assert (row["recency_days"], row["orders"]) == (0, 2)
    assert db.data_version(con) == 1
