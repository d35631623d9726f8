"""The per-customer summary (crm.retention.summary) on a hand-built shop and on CDNOW."""

import datetime as dt

import numpy as np
import pytest

from crm.errors import CRMInputError
from crm.retention.summary import HOLDOUT_COLUMNS, SUMMARY_COLUMNS, customer_summary
from crm.store import db, features
from crm.store.filters import Filters

D = dt.date
CAL_END = D(2024, 3, 31)
OBS_END = D(2024, 6, 30)

CUSTOMERS = [("A", "广东"), ("B", "北京"), ("C", "广东"), ("D", "上海")]
ORDERS = [
    # id, customer, date, amount, channel, returned
    ("A1", "A", D(2024, 1, 1), 100, "天猫旗舰店", False),
    ("A2", "A", D(2024, 1, 1), 50, "京东", False),       # same day as A1: one purchase of 150
    ("A3", "A", D(2024, 1, 15), 30, "天猫旗舰店", False),
    ("A4", "A", D(2024, 1, 29), 60, "天猫旗舰店", False),
    ("A5", "A", D(2024, 2, 5), 999, "天猫旗舰店", True),  # returned: not a purchase
    ("A6", "A", D(2024, 4, 10), 40, "天猫旗舰店", False),  # holdout
    ("A7", "A", D(2024, 5, 1), 20, "天猫旗舰店", False),   # holdout
    ("B1", "B", D(2024, 3, 1), 80, "京东", False),
    ("C1", "C", D(2024, 4, 2), 70, "京东", False),         # first purchase after the calibration end
    ("D1", "D", D(2024, 2, 10), 200, "官网", False),
    ("D2", "D", D(2024, 2, 10), 100, "官网", False),       # same day: D never bought twice
]


@pytest.fixture
def shop():
    con = db.connect(":memory:")
    con.executemany("INSERT INTO customers (customer_id, province, channel, customer_type, is_stub, batch_id)"
                    " VALUES (?, ?, '官网', 'individual', FALSE, 0)", CUSTOMERS)
    con.executemany("INSERT INTO orders (order_id, customer_id, order_date, amount, cost, profit, category, channel,"
                    " quantity, returned, batch_id) VALUES (?, ?, ?, ?, NULL, NULL, '服装', ?, 1, ?, 0)", ORDERS)
    features.materialise(con)
    yield con
    con.close()


def test_weeks_merge_same_day_orders_and_skip_returns(shop):
    s = customer_summary(shop, calibration_end=CAL_END).set_index("customer_id")
    assert ["customer_id", *s.columns] == SUMMARY_COLUMNS
    assert s.index.tolist() == ["A", "B", "D"]  # C first bought after the calibration end
    # A: purchase days 01-01 (100 + 50), 01-15 (30), 01-29 (60); the returned 02-05 order does not count
    assert s.loc["A", "frequency"] == 2
    assert s.loc["A", "recency"] == pytest.approx(28 / 7)
    assert s.loc["A", "T"] == pytest.approx(90 / 7)  # 2024-01-01 → 2024-03-31
    assert s.loc["A", "monetary"] == pytest.approx((30 + 60) / 2)  # the first day's 150 is not a repeat
    assert s.loc["B", ["frequency", "recency"]].tolist() == [0, 0]
    assert s.loc["B", "T"] == pytest.approx(30 / 7)
    assert np.isnan(s.loc["B", "monetary"])
    assert s.loc["D", "frequency"] == 0  # two orders, one day
    assert s.loc["D", "T"] == pytest.approx(50 / 7)


def test_days_and_holdout(shop):
    s = customer_summary(shop, calibration_end=CAL_END, observation_end=OBS_END, unit="day").set_index("customer_id")
    assert list(s.columns) == SUMMARY_COLUMNS[1:] + HOLDOUT_COLUMNS
    assert s.loc["A", ["frequency", "recency", "T"]].tolist() == [2, 28, 90]
    assert s.loc["A", "holdout_frequency"] == 2
    assert s.loc["A", "holdout_monetary"] == pytest.approx(30)
    assert s["holdout_duration"].tolist() == [91.0] * 3  # 2024-03-31 → 2024-06-30
    assert s.loc["B", "holdout_frequency"] == 0 and np.isnan(s.loc["B", "holdout_monetary"])
    assert "C" not in s.index  # holdout-only customers are not part of the backtest


def test_default_end_is_the_latest_order(shop):
    s = customer_summary(shop, unit="day").set_index("customer_id")
    assert s.loc["C", "T"] == 29 and s.loc["A", "frequency"] == 4  # up to the latest order, 2024-05-01
    assert s.loc["A", "T"] == (D(2024, 5, 1) - D(2024, 1, 1)).days


def test_filters_limit_customers_and_orders(shop):
    guangdong = Filters(start=D(2024, 1, 1), end=OBS_END, as_of=OBS_END, provinces=("广东",))
    s = customer_summary(shop, calibration_end=CAL_END, filters=guangdong)
    assert s["customer_id"].tolist() == ["A"]
    jd = Filters(start=D(2024, 1, 1), end=OBS_END, as_of=OBS_END, channels=("京东",))
    s = customer_summary(shop, calibration_end=CAL_END, unit="day", filters=jd).set_index("customer_id")
    assert s.index.tolist() == ["A", "B"]
    assert s.loc["A", ["frequency", "T"]].tolist() == [0, 90]  # only the 50 on 01-01 is a JD order


def test_cdnow_summary_matches_the_published_one(cdnow):
    """Fader & Hardie's published CDNOW calibration summary (x, t_x, T, zbar to 2 decimals)."""
    from tests.fixtures.cdnow_shop import CALIBRATION_END, published_summary

    s = customer_summary(cdnow, calibration_end=CALIBRATION_END)
    s = s.assign(id=s["customer_id"].astype(int)).sort_values("id").reset_index(drop=True)
    published = published_summary()
    assert len(s) == 2357 and s["id"].tolist() == published["ID"].tolist()
    assert (s["frequency"].to_numpy() == published["x"].to_numpy()).all()
    assert np.abs(s["recency"] - published["t_x"]).max() <= 0.005 + 1e-9  # rounding to 2 decimals
    assert np.abs(s["T"] - published["T"]).max() <= 0.005 + 1e-9  # rounding to 2 decimals
    assert s.loc[0, "T"] == pytest.approx(272 / 7)  # 1997-01-01 → 1997-09-30: 38.86 weeks
    assert np.abs(s["monetary"].fillna(0) - published["zbar"]).max() <= 0.005 + 1e-9  # rounding to 2 decimals
    assert int((s["frequency"] == 0).sum()) == 1411


@pytest.mark.parametrize("kwargs, message", [
    ({"unit": "month"}, "must be week or day, not month"),
    ({"calibration_end": "2024-13-01"}, "calibration_end must be a date"),
    ({"calibration_end": CAL_END, "observation_end": CAL_END}, "must come after the calibration end"),
])
def test_validation(shop, kwargs, message):
    with pytest.raises(CRMInputError, match=message):
        customer_summary(shop, **kwargs)


def test_no_orders_at_all():
    con = db.connect(":memory:")
    with pytest.raises(CRMInputError, match="no orders inside the filters"):
        customer_summary(con)
    assert customer_summary(con, calibration_end=CAL_END).empty
