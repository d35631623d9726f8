"""Numbers, money, percentages and dates formatted for the reader's language.

Chinese uses 万 (10⁴) and 亿 (10⁸) where natural; English uses K, M and B.
Money is in yuan (¥) in both languages.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_number(value: float | int | None, lang: str, *, decimals: int = 0, compact: bool = False) -> str:
    """1234567 → '1,234,567'; compact: '123.5万' (zh) or '1.23M' (en).

    Compact values keep about four significant digits: two decimals below 100
    units, one below 1,000, none above ('4,845万', not '4,845.36万').
    """
    if _missing(value):
        return "—"
    value = float(value)
    if compact:
        units = [(1e8, "亿"), (1e4, "万")] if lang == "zh" else [(1e9, "B"), (1e6, "M"), (1e3, "K")]
        for size, suffix in units:
            if abs(value) >= size:
                scaled = value / size
                places = 2 if abs(scaled) < 100 else 1 if abs(scaled) < 1000 else 0
                text = f"{scaled:,.{places}f}"
                return (text.rstrip("0").rstrip(".") if places else text) + suffix
    return f"{value:,.{decimals}f}"


def format_money(value: float | int | None, lang: str, *, compact: bool = False, decimals: int | None = None) -> str:
    """Yuan with separators: '¥1,234.50'; compact '¥12.35万' (zh) or '¥123.5K' (en)."""
    if _missing(value):
        return "—"
    sign = "-" if float(value) < 0 else ""
    amount = abs(float(value))
    if compact and amount >= (1e4 if lang == "zh" else 1e3):
        return f"{sign}¥{format_number(amount, lang, compact=True)}"
    if decimals is None:
        decimals = 0 if amount >= 1000 else 2
    return f"{sign}¥{amount:,.{decimals}f}"


def format_percent(value: float | None, *, decimals: int = 1, signed: bool = False) -> str:
    """0.1234 → '12.3%' ('+12.3%' when signed)."""
    if _missing(value) or (isinstance(value, float) and math.isinf(value)):
        return "—"
    return f"{value * 100:+.{decimals}f}%" if signed else f"{value * 100:.{decimals}f}%"


def format_date(value: dt.date | dt.datetime | pd.Timestamp | None, lang: str) -> str:
    """'2024年1月31日' in Chinese, '2024-01-31' in English."""
    if _missing(value) or value is pd.NaT:
        return "—"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    day = value.date() if isinstance(value, dt.datetime) else value
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def relative_change(current: float | None, previous: float | None) -> float | None:
    """(current − previous) ÷ previous; None when there is no previous value."""
    if _missing(current) or _missing(previous) or float(previous) == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


# Percentages: one rule everywhere: one decimal ('12.3%'), in cards, tables, charts and exports (0.0%).
PERCENT_DECIMALS = 1


def _nice_step(span: float, target: int) -> float:
    """A 1, 2, 2.5 or 5 × 10ⁿ step giving about `target` intervals over `span`."""
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def money_ticks(low: float, high: float, lang: str, *, target: int = 5) -> tuple[list[float], list[str]]:
    """Tick values and texts for a money axis from `low` to `high`, in the reader's units.

    Plotly only knows SI suffixes (k, M), so the ticks are computed here: round
    steps (1, 2, 2.5, 5 × 10ⁿ) covering [low, high] and always including 0 when
    the range spans it, labelled '¥50万' / '¥1.2亿' in Chinese, '¥500K' / '¥1.2M' in English.
    All labels of one axis share one unit (used once the top tick reaches twice it) and the
    fewest decimals that show every tick exactly.
    """
    if _missing(low) or _missing(high):
        return [], []
    low, high = float(min(low, high)), float(max(low, high))
    if low == high:
        low, high = (0.0, high) if high > 0 else (low, 0.0) if low < 0 else (0.0, 1.0)
    step = _nice_step(high - low, target)
    first = math.floor(low / step + 1e-9) * step
    values = []
    value = first
    while value < high + step * 0.999:
        values.append(round(value, 10) + 0.0)
        value += step
    top = max(abs(v) for v in values)
    units = [(1e8, "亿"), (1e4, "万")] if lang == "zh" else [(1e9, "B"), (1e6, "M"), (1e3, "K")]
    size, suffix = next(((s, u) for s, u in units if top >= 2 * s), (1.0, ""))  # ¥1,000 reads better than ¥1K
    decimals = 0
    while decimals < 4 and any(abs(round(v / size, decimals) - v / size) > 1e-9 for v in values):
        decimals += 1
    texts = []
    for v in values:
        scaled = v / size
        sign = "-" if scaled < 0 else ""
        texts.append(f"{sign}¥{abs(scaled):,.{decimals}f}{suffix}" if v else "¥0")
    return values, texts


def round_floats(df: pd.DataFrame, decimals: dict[str, int] | None = None, default: int = 6) -> pd.DataFrame:
    """A copy with float columns rounded (per column, else `default`): no 530868.8200000002 in tables or files."""
    out = df.copy()
    decimals = decimals or {}
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(decimals.get(column, default))
    return out


def dates_without_midnight(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where datetime columns whose times are all 00:00:00 become plain dates (no '00:00:00' on screen)."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            present = series.dropna()
            if present.empty or (present.dt.normalize() == present).all():
                out[column] = series.dt.date
    return out
