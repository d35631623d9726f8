"""Command-line commands of the retention pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations

import argparse


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    _register_clv(add)


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
