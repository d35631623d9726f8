import datetime as dt

import pandas as pd

from crm.periods import month_coverage, month_end


def test_month_end_handles_lengths():
    assert month_end(dt.date(2024, 2, 10)) == dt.date(2024, 2, 29)
    assert month_end(dt.date(2026, 11, 15)) == dt.date(2026, 11, 30)
    assert month_end(dt.date(2026, 12, 1)) == dt.date(2026, 12, 31)


def test_first_and_last_month_of_a_mid_month_period_are_partial():
    # the default period: 2025-11-16 .. 2026-11-15 (the latest order), 13 calendar months
    months = pd.date_range("2025-11-01", "2026-11-01", freq="MS")
    cov = month_coverage(months, start=dt.date(2025, 11, 16), end=dt.date(2026, 11, 15),
                         data_first=dt.date(2023, 11, 16), data_last=dt.date(2026, 11, 15))
    assert len(cov) == 13
    assert cov["partial"].tolist() == [True] + [False] * 11 + [True]
    assert cov.iloc[0]["covered_from"] == dt.date(2025, 11, 16)
    assert cov.iloc[0]["covered_to"] == dt.date(2025, 11, 30)
    assert cov.iloc[-1]["covered_from"] == dt.date(2026, 11, 1)
    assert cov.iloc[-1]["covered_to"] == dt.date(2026, 11, 15)


def test_data_range_makes_a_month_partial_even_inside_the_period():
    # the period covers whole months, but the data ends on 2026-03-20 and starts on 2026-01-05
    cov = month_coverage([dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)],
                         start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31),
                         data_first=dt.date(2026, 1, 5), data_last=dt.date(2026, 3, 20))
    assert cov["partial"].tolist() == [True, False, True]
    assert cov.iloc[0]["covered_from"] == dt.date(2026, 1, 5)
    assert cov.iloc[2]["covered_to"] == dt.date(2026, 3, 20)


def test_whole_months_and_no_limits_are_complete():
    cov = month_coverage([pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")],
                         start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 31))
    assert cov["partial"].tolist() == [False, False]
    assert month_coverage([dt.date(2026, 2, 1)])["partial"].tolist() == [False]
    assert month_coverage([]).empty
