"""Command-line commands of the retention pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations

import argparse


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    _register_retention(add)
    _register_clv(add)


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


# ------------------------------------------------------------------ clv
CLV_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary", "p_alive", "expected_purchases", "clv"]


def _register_clv(add) -> None:
    from crm.cli import _date

    p = add("clv", cmd_clv, "export each customer's lifetime value (BG/NBD + Gamma-Gamma)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")
    p.add_argument("--params-out", metavar="FILE.json", default=None,
                   help="write the fitted parameters and log-likelihoods as JSON")
    p.add_argument("--calibration-end", type=_date, default=None,
                   help="use only orders up to this date and value customers as of it (default: the latest order)")
    p.add_argument("--horizon-months", type=int, default=12, help="months of future value (default: %(default)s)")
    p.add_argument("--unit", choices=["week", "day"], default="week", help="time unit of recency and T")
    p.add_argument("--monthly-discount", type=float, default=0.01,
                   help="monthly discount rate as a fraction (default: %(default)s)")
    p.add_argument("--margin", type=float, default=None,
                   help="gross margin as a fraction (default: the data's own margin where cost is known, else 0.3)")


def cmd_clv(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from crm.cli import _lang
    from crm.export import write_table
    from crm.formatting import format_money, format_percent
    from crm.i18n import t
    from crm.retention.clv import customer_value
    from crm.store import access

    lang = _lang()
    with access.reading(args.db) as con:
        value = customer_value(con, calibration_end=args.calibration_end, horizon_months=args.horizon_months,
                               unit=args.unit, monthly_discount=args.monthly_discount, margin=args.margin)
    table = value.table[CLV_COLUMNS]
    path = write_table(table, args.out, kinds={"monetary": "money", "clv": "money"})
    if args.params_out:
        document = {**value.params, "margin": value.margin, "margin_source": value.margin_source,
                    "calibration_end": value.calibration_end.isoformat(), "unit": value.unit,
                    "horizon_months": value.horizon_months, "monthly_discount": value.monthly_discount,
                    "customers": int(len(table))}
        Path(args.params_out).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(t("clv.cli.written", lang, rows=f"{len(table):,}", file=str(path), as_of=value.calibration_end.isoformat(),
            months=value.horizon_months, total=format_money(float(table["clv"].sum()), lang, compact=True),
            margin=format_percent(value.margin), source=t(f"clv.margin.source.{value.margin_source}", lang)))
    return 0
