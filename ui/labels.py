"""Display labels for data values (gender codes, age bands, categories, provinces)."""

from __future__ import annotations

import pandas as pd

from crm.i18n import has_key, t


def value_label(dimension: str, value: object, lang: str) -> str:
    """The label of a stored value: 'F' → 女 / Female, 服装 → 服装 / Apparel; unknown values as they are."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return t("value.unknown", lang)
    key = f"value.{dimension}.{value}"
    return t(key, lang) if has_key(key, lang) else str(value)


def label_series(series: pd.Series, dimension: str, lang: str) -> pd.Series:
    """`value_label` over a column (the distinct values are few)."""
    mapping = {v: value_label(dimension, v, lang) for v in series.dropna().unique()}
    return series.map(mapping).fillna(t("value.unknown", lang))


def as_label(text: str, lang: str) -> str:
    """A catalog word used as a label or cell: 'order date' → 'Order date' in English (Chinese unchanged)."""
    return text[:1].upper() + text[1:] if lang == "en" and text else text


def field_label(column: str, lang: str) -> str:
    """A stored column name for people: 'order_date' → 订单日期 / 'Order date'; unknown names as they are."""
    key = f"imports.field.{column}"
    return as_label(t(key, lang), lang) if has_key(key, lang) else column
