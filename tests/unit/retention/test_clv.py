"""Lifetime value (crm.retention.clv): the formula, the margin, the parameters and the page's report."""

import datetime as dt

import numpy as np
import pytest

from crm.errors import CRMInputError
from crm.retention import clv
from crm.retention.bgnbd import BetaGeoModel
from crm.retention.gamma_gamma import GammaGammaModel
from crm.retention.summary import customer_summary
from tests.fixtures.cdnow_shop import CALIBRATION_END


@pytest.fixture(scope="module")
def value(cdnow):
    return clv.customer_value(cdnow, calibration_end=CALIBRATION_END, horizon_months=12, monthly_discount=0.01)


def test_table_and_params(value):
    t = value.table
    assert list(t.columns) == clv.TABLE_COLUMNS
    assert len(t) == 2357 and t["customer_id"].is_monotonic_increasing
    assert set(value.params) == set(clv.PARAM_NAMES)
    assert round(value.params["r"], 3) == 0.243 and round(value.params["gamma"], 2) == 15.44
    assert round(value.params["bgnbd_loglik"], 1) == -9582.4
    assert value.calibration_end == CALIBRATION_END and value.unit == "week"
    assert value.diagnostics["customers"] == 2357 and value.diagnostics["gg_customers"] == 946
    assert (t["p_alive"].between(0, 1)).all() and (t["clv"] > 0).all()
    assert (t["expected_30"] < t["expected_90"]).all() and (t["expected_90"] < t["expected_purchases"]).all()


def test_no_costs_means_the_default_margin(value):
    assert value.data_margin is None
    assert value.margin == clv.DEFAULT_MARGIN and value.margin_source == "default"


def test_clv_formula_for_one_customer(cdnow, value):
    """clv = margin × E[M] × Σ_i (E[Y(i·m)] − E[Y((i−1)·m)]) / 1.01^i, m = 365.25/12/7 weeks."""
    s = customer_summary(cdnow, calibration_end=CALIBRATION_END)
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    gg = GammaGammaModel().fit(s["frequency"], s["monetary"])
    row = value.table.set_index("customer_id").loc["1"]  # x = 2, t_x = 30.43, T = 38.86
    assert row[["frequency", "recency", "T"]].tolist() == pytest.approx([2, 30 + 3 / 7, 272 / 7])
    month = 365.25 / 12 / 7
    cumulative = [0.0] + [bg.conditional_expected_purchases(i * month, 2, row["recency"], row["T"])[0]
                          for i in range(1, 13)]
    discounted = sum((cumulative[i] - cumulative[i - 1]) / 1.01 ** i for i in range(1, 13))
    spend = gg.conditional_expected_spend(2, row["monetary"])[0]
    assert row["expected_spend"] == pytest.approx(spend, rel=1e-9)
    assert row["clv"] == pytest.approx(0.3 * spend * discounted, rel=1e-9)
    assert row["expected_purchases"] == pytest.approx(cumulative[12], rel=1e-9)
    assert row["expected_30"] == pytest.approx(bg.conditional_expected_purchases(30 / 7, 2, row["recency"],
                                                                                  row["T"])[0], rel=1e-9)
    assert row["p_alive"] == pytest.approx(bg.p_alive(2, row["recency"], row["T"])[0])


def test_one_month_without_discount(cdnow, value):
    one = clv.customer_value(cdnow, calibration_end=CALIBRATION_END, horizon_months=1, monthly_discount=0.0,
                             margin=0.5)
    t = one.table
    assert one.margin == 0.5 and one.margin_source == "given"
    assert t["clv"].to_numpy() == pytest.approx(0.5 * t["expected_spend"] * t["expected_purchases"], rel=1e-12)
    # a higher discount rate lowers every value; a longer horizon raises it
    assert (value.table["clv"] > t["clv"] * 0.3 / 0.5).all()


def test_days_give_close_predictions(cdnow, value):
    days = clv.customer_value(cdnow, calibration_end=CALIBRATION_END, unit="day")
    assert days.params["r"] / days.params["alpha"] * 7 == pytest.approx(value.params["r"] / value.params["alpha"],
                                                                        rel=0.02)
    assert days.table["expected_purchases"].sum() == pytest.approx(value.table["expected_purchases"].sum(), rel=0.02)


def test_data_margin_where_costs_are_known(shop):
    """small_shop: non-returned orders 9,420 of amount and 2,210 of profit up to 2024-06-30."""
    assert clv.order_margin(shop, calibration_end=dt.date(2024, 6, 30)) == pytest.approx(2210 / 9420)
    # up to 2024-01-31: O1, O4, O7, O8 → profit 40 + 10 + 40 + 200 of 670
    assert clv.order_margin(shop, calibration_end=dt.date(2024, 1, 31)) == pytest.approx(290 / 670)


@pytest.mark.parametrize("kwargs, message", [
    ({"horizon_months": 0}, "horizon must be a whole number of months from 1 to 120, not 0"),
    ({"horizon_months": 6.5}, "horizon must be a whole number"),
    ({"monthly_discount": 1.5}, "monthly discount rate must be a fraction from 0 up to 1"),
    ({"monthly_discount": -0.01}, "monthly discount rate"),
    ({"margin": 0}, "margin must be a fraction above 0 and at most 1"),
    ({"margin": 30}, "margin must be a fraction above 0"),
    ({"unit": "month"}, "time unit must be week or day"),
])
def test_parameters_are_validated_before_any_work(cdnow, kwargs, message):
    with pytest.raises(CRMInputError, match=message):
        clv.customer_value(cdnow, calibration_end=CALIBRATION_END, **kwargs)


def test_without_repeat_buyers_the_models_cannot_fit(cdnow):
    with pytest.raises(CRMInputError, match="No customer has bought on two different days"):
        clv.customer_value(cdnow, calibration_end=dt.date(1997, 1, 1))


def test_distributions():
    bins, tail = clv.clv_distribution(np.array([0.0, 1.0, 2.0, 3.0] * 25 + [1000.0]), bins=3)
    assert bins["customers"].sum() + tail == 101 and tail == 1
    assert bins["low"].iloc[0] == 0 and bins["high"].iloc[-1] == pytest.approx(3.0)
    alive = clv.p_alive_distribution([0.0, 0.49, 0.5, 1.0], bins=2)
    assert alive["customers"].tolist() == [2, 2]


def test_value_report_groups_and_top(demo_con):
    from crm.store.features import reference_date
    from crm.store.filters import default_filters
    from crm.value import rfm

    filters = default_filters(reference_date(demo_con))
    report = clv.value_report(demo_con, filters, top=50)
    table = report.value.table
    assert report.value.calibration_end == filters.as_of and report.value.margin_source == "data"
    assert list(report.top.columns) == clv.REPORT_COLUMNS and len(report.top) == 50
    assert report.top["clv"].tolist() == sorted(table["clv"], reverse=True)[:50]
    for dimension in clv.GROUP_DIMENSIONS:
        groups = report.groups[dimension]
        assert list(groups.columns) == clv.GROUP_COLUMNS
        assert groups["customers"].sum() == len(table)
        assert groups["clv"].sum() == pytest.approx(table["clv"].sum())
        assert groups["clv_share"].sum() == pytest.approx(1.0)
    segments = report.groups["segment"]["value"].tolist()
    assert segments == [c for c in [*rfm.SEGMENTS, clv.NO_GROUP] if c in segments]  # the fixed order
    # customers without an order in the analysis period have no RFM class
    buyers = set(rfm.compute_rfm(demo_con, filters)["customer_id"])
    none = report.groups["segment"].set_index("value").loc[clv.NO_GROUP, "customers"]
    assert none == int((~table["customer_id"].isin(buyers)).sum())


def test_calibration_end_as_text(cdnow):
    value = clv.customer_value(cdnow, calibration_end="1997-09-30", horizon_months=1)
    assert value.calibration_end == CALIBRATION_END
    with pytest.raises(CRMInputError, match="calibration_end must be a date"):
        clv.customer_value(cdnow, calibration_end="30/09/1997")
