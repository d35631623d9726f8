"""Retention figures for `make bench` (nothing here asserts a duration).

For each database: the cohort table cold (a fresh connection's first call, default
filters: the 12 months up to the latest order) and its variants; repeat buying, the
churn threshold and the lifecycle stages; then the Retention page warm (AppTest: one
run to fill the caches, then the median of three runs with the same filters), per tab
(only the open tab is drawn).

Run alone: python scripts/bench_retention.py [--small PATH] [--large PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.retention import cohorts, lifecycle, repeat  # noqa: E402
from crm.store import db  # noqa: E402
from crm.store.features import reference_date  # noqa: E402
from crm.store.filters import default_filters  # noqa: E402


def _timed(func) -> tuple[float, float]:
    """Wall-clock seconds and the CPU seconds of every thread of this process (DuckDB's included).

    On a shared machine the wall time depends on what else runs; the CPU time
    hardly does, and ÷ the cores it approximates the wall time on an idle machine.
    """
    start, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - start, time.process_time() - cpu


def query_figures(path: Path) -> list[tuple[str, tuple[float, float]]]:
    figures = []
    con = db.connect(path, read_only=True)  # fresh connection: nothing of this process is warm
    try:
        f = default_filters(reference_date(con))
        figures.append(("cohort table, month (cold: first call)", _timed(lambda: cohorts.cohort_table(con, f))))
        figures.append(("cohort table, month (again)", _timed(lambda: cohorts.cohort_table(con, f))))
        figures.append(("cohort table, week", _timed(lambda: cohorts.cohort_table(con, f, by="week"))))
        figures.append(("cohort table, split by first-order value",
                        _timed(lambda: cohorts.cohort_table(con, f, split="first_order_band"))))
        figures.append(("cohort table, category filter",
                        _timed(lambda: cohorts.cohort_table(con, replace(f, categories=("美妆",))))))
        three_years = replace(f, start=f.start.replace(year=f.start.year - 2))
        figures.append(("cohort table, month, 3 years of cohorts",
                        _timed(lambda: cohorts.cohort_table(con, three_years))))
        figures.append(("repeat summary", _timed(lambda: repeat.repeat_summary(con, f))))
        figures.append(("days between orders (gap distribution)", _timed(lambda: repeat.gap_distribution(con, f))))
        figures.append(("orders per customer", _timed(lambda: repeat.orders_per_customer(con, f))))
        threshold = lifecycle.churn_threshold(con, f)
        figures.append(("lifecycle stages, flows, rates (12 months)",
                        _timed(lambda: lifecycle.lifecycle(con, f, threshold.days))))
    finally:
        con.close()
    return figures


def page_figures(path: Path) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from crm.i18n import t

    os.environ["CRM_DB"] = str(path)
    os.environ["CRM_AUTH"] = "local"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["lang"] = "zh"
    at.run()
    results = {}
    for tab in ("cohorts", "repeat", "lifecycle"):
        if tab == "cohorts":
            at.switch_page("pages/retention.py").run()
        else:
            at.session_state["ret.tab"] = t(f"retention.tab.{tab}", "zh")
        start = time.perf_counter()
        at.run()  # cold for this tab: fills its caches
        first = time.perf_counter() - start
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - start)
        results[tab] = (first, statistics.median(runs))
    return results


def report(small_db: Path, large_db: Path | None, args=None) -> None:
    print("\n## Retention")
    print(f"(load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for label, path in (("default demo", small_db), ("large demo", large_db)):
        if path is None or not Path(path).exists():
            continue
        con = db.connect(path, read_only=True)
        counts = db.table_counts(con)
        con.close()
        print(f"\n### {label}: {counts['customers']:,} customers, {counts['orders']:,} orders\n")
        print("| query | wall s | CPU s (all threads) |\n| --- | ---: | ---: |")
        for name, (seconds, cpu) in query_figures(Path(path)):
            print(f"| {name} | {seconds:.3f} | {cpu:.3f} |")
        print("\n| Retention page tab | first run (fills caches) s | warm (median of 3) s |\n| --- | ---: | ---: |")
        for tab, (first, warm) in page_figures(Path(path)).items():
            print(f"| {tab} | {first:.3f} | {warm:.3f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default=str(ROOT / "data" / "bench" / "crm_20k.duckdb"))
    parser.add_argument("--large", default=str(ROOT / "data" / "bench" / "crm_1000k.duckdb"))
    parser.add_argument("--skip-large", action="store_true")
    options = parser.parse_args()
    report(Path(options.small), None if options.skip_large else Path(options.large), options)
