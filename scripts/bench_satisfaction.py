"""Satisfaction page figures: warm reruns of the page (AppTest, signed in locally) per tab, and its queries.

`report(small_db, large_db, args)` is called by scripts/bench.py after its main run; alone:

    python scripts/bench_satisfaction.py [--small data/bench/crm_20k.duckdb] [--large data/bench/crm_1000k.duckdb]

Targets (issue 8 §6): the page under 0.5 s warm on the default demo and under 1.5 s warm on the
1,000,000-customer database (about 200,000 responses). Nothing here asserts a duration.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TABS = ("questions", "csi", "reliability", "drivers", "trend", "breakdowns", "comments", "loyalty", "callback")


def _median_rerun(at, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def page_timings(path: Path) -> dict[str, tuple[float, float]]:
    """{tab: (first draw of the tab, the median warm rerun)} in seconds on the latest wave."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from crm.i18n import t

    os.environ["CRM_DB"] = str(path)
    os.environ["CRM_AUTH"] = "local"
    PagesManager.uses_pages_directory = False
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["lang"] = "zh"
    at.run()
    results = {}
    for name in TABS:
        start = time.perf_counter()
        if name == TABS[0]:
            at.switch_page("pages/satisfaction.py").run()
        else:
            at.session_state["sat.tab"] = t(f"satisfaction.tab.{name}", "zh")
            at.run()
        first = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
        results[name] = (first, _median_rerun(at))
    return results


def query_timings(path: Path) -> dict[str, float]:
    """Each analysis once (cold for this process) on the latest wave and on all waves."""
    from crm.satisfaction import (breakdowns, callback, comments, drivers, index, loyalty, reliability, scores,
                                  surveys, trend)
    from crm.store import db
    from crm.store.features import reference_date
    from crm.store.filters import default_filters

    con = db.connect(path, read_only=True)
    try:
        f = default_filters(reference_date(con))
        title = surveys.list_surveys(con)["title"].iloc[0]
        ids = tuple(surveys.waves(con, title)["survey_id"])
        calls = {
            "headline (latest wave)": lambda: scores.headline(con, ids[-1:], f),
            "question scores (all waves)": lambda: scores.question_scores(con, ids, f),
            "dimension scores / CSI (all waves)": lambda: index.dimension_scores(con, ids, f),
            "reliability (all waves)": lambda: reliability.reliability(con, ids, f),
            "key drivers (all waves)": lambda: drivers.key_drivers(con, ids, f),
            "trend by week (all waves)": lambda: trend.satisfaction_trend(con, ids, f, unit="week"),
            "breakdown by RFM class (all waves)": lambda: breakdowns.breakdown(con, ids, f, "rfm_class"),
            "word frequencies (all waves)": lambda: comments.word_frequencies(con, ids, f),
            "loyalty by NPS group (all waves)": lambda: loyalty.loyalty_by_group(con, ids, f, by="nps_group"),
            "call-back list (all waves)": lambda: callback.callback_list(con, ids, f),
        }
        out = {"responses": float(db.scalar(con, "SELECT count(*) FROM survey_responses"))}
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            out[name] = time.perf_counter() - start
        return out
    finally:
        con.close()


def _print(path: Path, label: str, target: float) -> None:
    queries = query_timings(path)
    print(f"\n### Satisfaction page — {label} ({path.name}, {queries.pop('responses'):,.0f} survey responses)")
    print("| tab | first draw | warm rerun | target |")
    print("| --- | ---: | ---: | ---: |")
    for name, (first, warm) in page_timings(path).items():
        flag = "" if warm < target else " ⚠"
        print(f"| {name} | {first:.2f} s | {warm:.3f} s{flag} | < {target} s |")
    print("\n| query (one call, own connection) | seconds |")
    print("| --- | ---: |")
    for name, seconds in queries.items():
        print(f"| {name} | {seconds:.3f} |")


def report(small_db: Path, large_db: Path | None, args) -> None:
    _print(small_db, "default demo", 0.5)
    if large_db is not None and Path(large_db).exists():
        _print(large_db, "1,000,000 customers", 1.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default=str(ROOT / "data" / "bench" / "crm_20k.duckdb"))
    parser.add_argument("--large", default=str(ROOT / "data" / "bench" / "crm_1000k.duckdb"))
    parser.add_argument("--skip-large", action="store_true")
    options = parser.parse_args()
    small = Path(options.small)
    if not small.exists():
        from crm.intake import demo
        from crm.store import db

        small.parent.mkdir(parents=True, exist_ok=True)
        con = db.connect(small)
        demo.build_demo(con, customers=20_000, seed=42)
        con.close()
    report(small, None if options.skip_large else Path(options.large), options)
