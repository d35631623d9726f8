"""Calendar buckets of a period, and whether each is complete.

A month bucket is *partial* when the data it summarises does not cover the
whole calendar month: the period starts after the month's first day, ends
before its last day, or the data itself begins or ends inside the month
(the latest order is the 15th). Partial buckets are drawn apart (lighter,
hatched, dashed) and named in a note, so a half month never reads as a drop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd


def _as_date(value: object) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value  # type: ignore[return-value]


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def month_coverage(
    months: Iterable[object],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    data_first: dt.date | None = None,
    data_last: dt.date | None = None,
) -> pd.DataFrame:
    """One row per month bucket: `month`, `covered_from`, `covered_to`, `partial`.

    covered_from = max(month's first day, period start, first data day);
    covered_to   = min(month's last day, period end, last data day);
    partial      = the covered days are fewer than the month's days.
    Any limit may be None (no limit on that side).
    """
    rows = []
    lows = [d for d in (_as_date(start), _as_date(data_first)) if d]
    highs = [d for d in (_as_date(end), _as_date(data_last)) if d]
    for month in months:
        first = _as_date(month).replace(day=1)
        last = month_end(first)
        covered_from = max([first, *lows])
        covered_to = min([last, *highs])
        rows.append({"month": first, "covered_from": covered_from, "covered_to": covered_to,
                     "partial": covered_from > first or covered_to < last})
    return pd.DataFrame(rows, columns=["month", "covered_from", "covered_to", "partial"])
