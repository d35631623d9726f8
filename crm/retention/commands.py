"""Command-line commands of the retention pages: `python -m crm ...` (registered by `crm.cli`)."""

from __future__ import annotations

import sys


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    _register_churn(add)


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
