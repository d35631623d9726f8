"""The backtest (crm.retention.backtest) on CDNOW: the paper's calibration and holdout periods."""

import datetime as dt

import numpy as np
import pytest

from crm.errors import CRMInputError
from crm.retention.backtest import backtest, default_split
from crm.store import db, features
from tests.fixtures import cdnow_shop
from tests.fixtures.cdnow_shop import CALIBRATION_END, OBSERVATION_END


def purchase_days():
    """CDNOW purchase days (same-day transactions merged) with each customer's first day, worked out in pandas."""
    days = cdnow_shop.transactions().groupby(["customer_id", "order_date"], as_index=False)["amount"].sum()
    days["first"] = days.groupby("customer_id")["order_date"].transform("min")
    return days


@pytest.fixture(scope="module")
def result(cdnow):
    return backtest(cdnow, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END)


def test_by_frequency_against_the_transactions(result):
    days = purchase_days()
    cal = days[days["order_date"] <= "1997-09-30"]
    x = cal.groupby("customer_id").size() - 1
    holdout = days[days["order_date"] > "1997-09-30"].groupby("customer_id").size().reindex(x.index, fill_value=0)
    group = x.clip(upper=7)
    by = result.by_frequency
    assert by["frequency"].tolist() == list(range(8))
    assert by["customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert by["actual"].to_numpy() == pytest.approx(holdout.groupby(group).mean().to_numpy())
    assert result.errors["total_actual"] == holdout.sum()
    assert result.errors["holdout_duration"] == 39.0  # 1997-09-30 → 1998-06-30: 273 days


def test_predictions_and_errors(result):
    e = result.errors
    by = result.by_frequency
    assert e["total_predicted"] == pytest.approx((by["predicted"] * by["customers"]).sum())
    assert e["total_error"] == pytest.approx((e["total_predicted"] - e["total_actual"]) / e["total_actual"])
    assert by["predicted"].is_monotonic_increasing  # more past purchases, more expected
    assert e["mae"] < e["naive_mae"]  # BG/NBD beats repeating each customer's past rate
    assert not result.poor_fit and result.poor_reasons == ()
    assert round(result.params["r"], 3) == 0.243


def test_tracking_plot(result):
    days = purchase_days()
    track = result.tracking
    repeats = days[days["order_date"] > days["first"]]
    assert track["day"].iloc[-1] == np.datetime64("1998-06-30")
    assert track["actual"].iloc[-1] == len(repeats)  # every repeat purchase day up to the observation end
    first_week = repeats[repeats["order_date"] <= "1997-01-07"]
    assert track["actual"].iloc[0] == len(first_week)
    assert track["expected"].is_monotonic_increasing and track["actual"].is_monotonic_increasing
    assert track.loc[track["holdout"], "day"].min() > np.datetime64(CALIBRATION_END)


def test_a_poor_fit_is_flagged():
    """Three in four customers stop buying at the calibration end: the holdout is far below the prediction."""
    con = db.connect(":memory:")
    cdnow_shop.build(con)
    con.execute("DELETE FROM orders WHERE order_date > DATE '1997-09-30' AND CAST(customer_id AS INTEGER) % 4 <> 0")
    features.materialise(con)
    poor = backtest(con, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END)
    assert poor.poor_fit and "total" in poor.poor_reasons
    assert poor.errors["total_error"] > 0.2


def test_default_split_is_the_last_months(cdnow):
    assert default_split(cdnow, holdout_months=6) == (dt.date(1997, 12, 30), OBSERVATION_END)
    short = backtest(cdnow, holdout_months=3)
    assert (short.calibration_end, short.observation_end) == (dt.date(1998, 3, 30), OBSERVATION_END)


@pytest.mark.parametrize("months, message", [(0, "from 1 to 60, not 0"), (2.5, "whole number of months")])
def test_holdout_months_are_validated(cdnow, months, message):
    with pytest.raises(CRMInputError, match=message):
        backtest(cdnow, holdout_months=months)


def test_nothing_before_the_calibration_end(cdnow):
    with pytest.raises(CRMInputError, match="no orders before 1996-12-01"):
        backtest(cdnow, calibration_end=dt.date(1996, 12, 1), observation_end=OBSERVATION_END)
