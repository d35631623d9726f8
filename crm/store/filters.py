"""The shared filter object every page honours, and its bound SQL parameters.

Queries read ``crm_orders($provinces, $channels, $categories, $genders, $age_bands)``
and ``crm_customers($provinces, $genders, $age_bands)``, table macros (below)
in which every dimension filter is ``crm_in($list, column)``: true when the list
is empty (no filter) or holds the value. Nothing is ever formatted into SQL; a
`Filters` only produces parameter values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

# Filter dimensions: URL / state name -> column in order_facts and customer_features.
DIMENSIONS = ("provinces", "channels", "categories", "genders", "age_bands")

MACROS = [
    # True when the list is empty (no filter) or holds the value.
    "CREATE OR REPLACE MACRO crm_in(choices, value) AS (len(choices) = 0 OR list_contains(choices, value))",
    # Non-returned orders of order_facts inside the dimension filters. Period limits
    # are applied by each query, since KPIs compare several periods in one pass.
    """
    CREATE OR REPLACE MACRO crm_orders(provinces, channels, categories, genders, age_bands) AS TABLE
        SELECT * FROM order_facts
        WHERE NOT returned
          AND crm_in(provinces, province) AND crm_in(channels, channel)
          AND crm_in(categories, category) AND crm_in(genders, gender)
          AND crm_in(age_bands, age_band)
    """,
    # Customers of customer_features inside the customer-level filters.
    """
    CREATE OR REPLACE MACRO crm_customers(provinces, genders, age_bands) AS TABLE
        SELECT * FROM customer_features
        WHERE crm_in(provinces, province) AND crm_in(genders, gender) AND crm_in(age_bands, age_band)
    """,
]

@dataclass(frozen=True)
class Filters:
    """What the sidebar selects: analysis period, "as of" date and dimension filters.

    Empty tuples mean "all". `start` and `end` are inclusive dates.

    `as_of` is the date point-in-time measures are taken on (recency, open
    complaints, tiers); period figures (revenue, orders, …) do not depend on it.
    The sidebar keeps as_of ≥ end (an earlier as-of is moved to the period end,
    with a note): an as-of inside the period would measure a state before orders
    the period counts. Functions here accept any as_of and document what they do.
    """

    start: dt.date
    end: dt.date
    as_of: dt.date
    provinces: tuple[str, ...] = field(default_factory=tuple)
    channels: tuple[str, ...] = field(default_factory=tuple)
    categories: tuple[str, ...] = field(default_factory=tuple)
    genders: tuple[str, ...] = field(default_factory=tuple)
    age_bands: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.start > self.end:
            from crm.errors import CRMInputError

            raise CRMInputError("filters.error.start_after_end", start=self.start, end=self.end)

    @property
    def days(self) -> int:
        """Length of the period in days, both ends included."""
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        """The period of equal length just before this one (same dimensions, as-of shifted too)."""
        shift = dt.timedelta(days=self.days)
        return replace(self, start=self.start - shift, end=self.end - shift, as_of=self.as_of - shift)

    def dimension_params(self) -> dict[str, list[str]]:
        """Bound values for DIMENSION_FILTER_SQL."""
        return {name: list(getattr(self, name)) for name in DIMENSIONS}

    def customer_params(self) -> dict[str, list[str]]:
        """Bound values for CUSTOMER_FILTER_SQL."""
        return {"provinces": list(self.provinces), "genders": list(self.genders), "age_bands": list(self.age_bands)}

    def params(self) -> dict[str, object]:
        """Period and dimension values: $start, $end, $as_of and the dimension lists."""
        return {"start": self.start, "end": self.end, "as_of": self.as_of, **self.dimension_params()}

    @property
    def has_order_dimensions(self) -> bool:
        """True when channel or category (order-level attributes) are filtered."""
        return bool(self.channels or self.categories)


def default_filters(reference: dt.date | None, *, months: int = 12) -> Filters:
    """The last `months` months up to the reference date (the latest order in the data)."""
    as_of = reference or dt.date.today()
    start = _add_months(as_of, -months) + dt.timedelta(days=1)
    return Filters(start=start, end=as_of, as_of=as_of)


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    import calendar

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
