"""Command-line commands of the retention pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations

import argparse


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    _register_retention(add)


# ------------------------------------------------------------------ retention (cohort table)
def _register_retention(add) -> None:
    from crm.cli import _date
    from crm.retention.cohorts import GRANULARITIES

    p = add("retention", cmd_retention, "export the cohort retention table (one row per cohort and period)")
    p.add_argument("--by", choices=GRANULARITIES, default="month", help="cohort period (default: %(default)s)")
    p.add_argument("--start", type=_date, default=None,
                   help="first purchases from this date (default: the first order in the data)")
    p.add_argument("--end", type=_date, default=None,
                   help="first purchases up to this date (default: the latest order); orders are followed "
                        "to the latest order in the data")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")


def cmd_retention(args: argparse.Namespace) -> int:
    from crm.cli import _lang
    from crm.errors import CRMInputError
    from crm.export import write_table
    from crm.i18n import t
    from crm.retention.cohorts import cohort_table, export_table
    from crm.store import access
    from crm.store.features import reference_date
    from crm.store.filters import Filters
    from crm.value.overview import data_range

    lang = _lang()
    with access.reading(args.db) as con:
        span = data_range(con)
        latest = reference_date(con) or span["last"]
        if latest is None:
            raise CRMInputError("retention.error.no_orders")
        start = args.start or span["first"]
        end = args.end or latest
        filters = Filters(start=start, end=end, as_of=max(end, latest))
        table = export_table(cohort_table(con, filters, by=args.by))
    path = write_table(table, args.out, kinds={"retention": "percent", "revenue": "money"})
    print(t("retention.cli.written", lang, rows=len(table), cohorts=table["cohort"].nunique(), file=str(path),
            by=t(f"retention.by.{args.by}", lang), start=start.isoformat(), end=end.isoformat(),
            observed=max(end, latest).isoformat()))
    return 0
