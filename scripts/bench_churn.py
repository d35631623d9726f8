"""Churn risk figures for `make bench` (nothing here asserts a duration).

For each database: `crm.retention.churn.score_churn` end to end (features at
as_of − 90 in DuckDB, training on a sample of at most 200,000 customers, the
estimator chosen by holdout AUC, permutation importance, features at as_of and
scoring of every customer), with the time of each step, the holdout AUC against
the recency-only baseline; then the win-back list ranked from those scores.
Target at 1,000,000 customers / 10,000,000 orders on 2 cores: train and score under 20 s.

Usage: python scripts/bench_churn.py [--small PATH] [--large PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.retention import churn, winback  # noqa: E402
from crm.store import db  # noqa: E402
from crm.store.features import reference_date  # noqa: E402


def measure(path: Path) -> None:
    con = db.connect(path, read_only=True)
    try:
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()
        result = churn.score_churn(con, progress=lambda key, _: marks.append((key, time.perf_counter())))
        total = time.perf_counter() - start
        steps = [(a[0].rsplit(".", 1)[1], b[1] - a[1]) for a, b in zip(marks, marks[1:])]
        card = result.card
        print(f"- churn train + score: **{total:.1f} s** "
              f"({', '.join(f'{name} {seconds:.1f} s' for name, seconds in steps)})")
        print(f"- {card['scored_customers']:,} customers scored; training population {card['training_customers']:,}, "
              f"{'sample ' + format(card['sample_rows'], ',') + ', ' if card['sampled'] else ''}"
              f"fit {card['fit_rows']:,} / holdout {card['holdout_rows']:,}")
        print(f"- holdout AUC {card['auc']:.3f} ({card['estimator']}; candidates "
              f"{', '.join(f'{k} {v:.3f}' for k, v in card['candidates'].items())}) against recency-only "
              f"{card['baseline_auc']:.3f}; top-decile lift {card['top_decile_lift']:.2f}")
        start = time.perf_counter()
        as_of = reference_date(con)
        details = winback.customer_details(con, as_of)
        values = winback.customer_values(con, as_of)
        listing = winback.rank_win_back(result.scores, details, values)
        print(f"- win-back list from the scores: {time.perf_counter() - start:.1f} s "
              f"({len(listing.table):,} customers, value if kept from {listing.value_source})")
    finally:
        con.close()


def report(small_db: Path, large_db: Path | None, args=None) -> None:
    print("\n## Churn risk and win-back (scripts/bench_churn.py)")
    for label, path in (("Default demo", small_db), ("Large demo", large_db)):
        if path is None or not Path(path).exists():
            continue
        print(f"\n### {label}: {Path(path).name}")
        measure(Path(path))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=Path, default=ROOT / "data" / "crm.duckdb")
    parser.add_argument("--large", type=Path, default=ROOT / "data" / "bench" / "crm_1000k.duckdb")
    options = parser.parse_args()
    report(options.small, options.large if options.large.exists() else None, options)
