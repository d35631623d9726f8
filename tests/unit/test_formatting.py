import datetime as dt

import pandas as pd

from crm.formatting import (
    dates_without_midnight, format_date, format_money, format_number, format_percent, money_ticks, relative_change,
    round_floats,
)


def test_money_in_chinese_uses_wan_and_yi():
    assert format_money(1234.5, "zh") == "¥1,234"  # ≥ 1,000 drops the fen
    assert format_money(12.5, "zh") == "¥12.50"
    assert format_money(123456, "zh", compact=True) == "¥12.35万"
    assert format_money(250_000_000, "zh", compact=True) == "¥2.5亿"
    assert format_money(9_999, "zh", compact=True) == "¥9,999"
    assert format_money(48_453_600, "zh", compact=True) == "¥4,845万"  # fits a KPI card
    assert format_money(1_234_567, "zh", compact=True) == "¥123.5万"


def test_money_in_english_uses_k_m_b():
    assert format_money(123456, "en", compact=True) == "¥123.5K"
    assert format_money(48_453_600, "en", compact=True) == "¥48.45M"
    assert format_money(2_500_000, "en", compact=True) == "¥2.5M"
    assert format_money(-1500, "en") == "-¥1,500"
    assert format_money(None, "en") == "—"


def test_numbers_percent_dates():
    assert format_number(1234567, "en") == "1,234,567"
    assert format_number(1234567, "zh", compact=True) == "123.5万"
    assert format_percent(0.1234) == "12.3%"
    assert format_percent(-0.05, signed=True) == "-5.0%"
    assert format_percent(float("nan")) == "—"
    assert format_date(dt.date(2024, 1, 31), "zh") == "2024年1月31日"
    assert format_date(pd.Timestamp("2024-01-31 10:00"), "en") == "2024-01-31"


def test_relative_change():
    assert relative_change(150, 100) == 0.5
    assert relative_change(50, 100) == -0.5
    assert relative_change(5, 0) is None
    assert relative_change(None, 3) is None


def test_money_ticks_in_wan_and_yi():
    values, texts = money_ticks(0, 48_453_600, "zh")
    assert values == [0, 10_000_000, 20_000_000, 30_000_000, 40_000_000, 50_000_000]
    assert texts == ["¥0", "¥1,000万", "¥2,000万", "¥3,000万", "¥4,000万", "¥5,000万"]
    assert money_ticks(0, 1_234_567, "zh")[1] == ["¥0", "¥25万", "¥50万", "¥75万", "¥100万", "¥125万"]
    assert money_ticks(0, 3.2e9, "zh")[1] == ["¥0", "¥10亿", "¥20亿", "¥30亿", "¥40亿"]
    # negative profit: 0 is always a tick, the unit is shared
    assert money_ticks(-20_000, 130_000, "zh") == ([-50_000, 0, 50_000, 100_000, 150_000],
                                                   ["-¥5万", "¥0", "¥5万", "¥10万", "¥15万"])


def test_money_ticks_in_k_m_and_small_amounts_plain():
    assert money_ticks(0, 48_453_600, "en")[1] == ["¥0", "¥10M", "¥20M", "¥30M", "¥40M", "¥50M"]
    assert money_ticks(0, 1_500_000, "en")[1] == ["¥0", "¥500K", "¥1,000K", "¥1,500K"]
    assert money_ticks(0, 950, "en")[1] == ["¥0", "¥200", "¥400", "¥600", "¥800", "¥1,000"]
    assert money_ticks(0, 15_000, "zh")[1] == ["¥0", "¥5,000", "¥10,000", "¥15,000"]
    values, texts = money_ticks(0, 12_000_000, "en")  # 2.5 steps need one decimal on every tick
    assert values == [0, 2_500_000, 5_000_000, 7_500_000, 10_000_000, 12_500_000]
    assert texts == ["¥0", "¥2.5M", "¥5.0M", "¥7.5M", "¥10.0M", "¥12.5M"]
    assert money_ticks(None, 5, "en") == ([], [])


def test_round_floats_and_midnight_dates():
    df = pd.DataFrame({"amount": [530868.8200000002], "n": [3],
                       "day": pd.to_datetime(["2026-11-15"]), "at": pd.to_datetime(["2026-11-15 10:30"])})
    assert round_floats(df, {"amount": 2})["amount"].tolist() == [530868.82]
    shown = dates_without_midnight(df)
    assert shown["day"].tolist() == [dt.date(2026, 11, 15)]  # no 00:00:00
    assert shown["at"].tolist() == [pd.Timestamp("2026-11-15 10:30")]  # real times stay
