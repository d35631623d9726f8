"""Command-line commands of the retention pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations

import argparse
import sys


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    _register_retention(add)
    _register_churn(add)
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


# ------------------------------------------------------------------ churn and win-back
def _register_churn(add) -> None:
    from crm.cli import _date

    p = add("churn", cmd_churn, "export each customer's churn probability and its main features")
    p.add_argument("--horizon-days", type=int, default=90, metavar="H",
                   help="churn = no order in the next H days (default: %(default)s)")
    p.add_argument("--as-of", type=_date, default=None, help="score as of this date (default: the latest order date)")
    p.add_argument("--seed", type=int, default=0, help="random state of the holdout split and the model")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")

    p = add("win-back", cmd_win_back, "export the win-back list: lapsed and at-risk customers by value at stake")
    p.add_argument("--horizon-days", type=int, default=90, metavar="H",
                   help="lapsed = no order in the last H days; churn horizon (default: %(default)s)")
    p.add_argument("--as-of", type=_date, default=None, help="as-of date (default: the latest order date)")
    p.add_argument("--seed", type=int, default=0, help="random state of the churn model")
    p.add_argument("--min-probability", type=float, default=0.5,
                   help="churn probability from which a recent buyer counts as at risk (default: %(default)s)")
    p.add_argument("--max-days-since", type=int, default=730,
                   help="leave out customers without an order for longer (default: %(default)s; 0 = keep all)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")


def cmd_churn(args) -> int:
    from crm.cli import _lang, _progress
    from crm.export import write_table
    from crm.formatting import format_percent
    from crm.i18n import t
    from crm.retention.churn import MAIN_FEATURES, score_churn
    from crm.store import access

    lang = _lang()
    with access.reading(args.db) as con:
        result = score_churn(con, horizon_days=args.horizon_days, as_of=args.as_of, random_state=args.seed,
                             progress=lambda key, fraction: _progress(t(key, lang), fraction))
    table = result.scores[["customer_id", "churn_probability", "risk_band", *MAIN_FEATURES]]
    path = write_table(table, args.out, kinds={"churn_probability": "percent", "monetary": "money",
                                               "satisfaction": "percent"})
    card = result.card
    print(t("churn.cli.written", lang, rows=f"{len(table):,}", file=str(path), as_of=card["as_of"],
            horizon=card["horizon_days"]))
    print(t("churn.cli.auc", lang, auc=f"{card['auc']:.3f}", baseline=f"{card['baseline_auc']:.3f}",
            estimator=t(f"churn.estimator.{card['estimator']}", lang), lift=f"{card['top_decile_lift']:.2f}",
            start=card["label_start"], end=card["label_end"], fit=f"{card['fit_rows']:,}",
            holdout=f"{card['holdout_rows']:,}", rate=format_percent(card["training_churn_rate"])))
    if not card["better_than_baseline"]:
        print(t("churn.card.not_better", lang), file=sys.stderr)
    return 0


def cmd_win_back(args) -> int:
    from crm.cli import _lang
    from crm.export import write_table
    from crm.i18n import t
    from crm.retention.winback import CONTACT, KINDS, win_back_list
    from crm.store import access

    lang = _lang()
    with access.reading(args.db) as con:
        result = win_back_list(con, horizon_days=args.horizon_days, as_of=args.as_of, random_state=args.seed,
                               at_risk_threshold=args.min_probability, max_days_since=args.max_days_since or None)
    table = result.table.drop(columns=list(CONTACT))  # contact fields leave only through the app, by role
    path = write_table(table, args.out, kinds=KINDS)
    print(t("winback.cli.written", lang, rows=f"{len(table):,}", file=str(path),
            source=t(f"winback.value_source.{result.value_source}", lang)))
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
