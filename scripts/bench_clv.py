"""Lifetime-value figures for `make bench` (scripts/bench.py runs `report` after its main run).

Per database, on the same orders in the same run:

* the CLV summary from raw orders (``crm.retention.summary.customer_summary``: one
  DuckDB query over the non-returned orders, same-day orders merged, weeks);
* the same summary computed with a plain pandas groupby on the same orders (the time
  to read the orders into pandas is shown apart);
* ``lifetimes`` 0.11.3's ``summary_data_from_transaction_data`` on the same orders, in a
  bench-only virtualenv (``/tmp/lifetimes-venv`` or $CLV_BENCH_LIFETIMES_VENV, created
  here when missing: lifetimes needs an older pandas, and never enters requirements.txt);
  skipped with a note when it cannot be installed;
* the BG/NBD and Gamma-Gamma fits on that summary, `customer_value` end to end, the
  page's `value_report` and the 6-month `backtest`.

Run alone: ``python scripts/bench_clv.py [--small DB] [--large DB]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIFETIMES_VENV = Path(os.environ.get("CLV_BENCH_LIFETIMES_VENV", "/tmp/lifetimes-venv"))
# lifetimes 0.11.3 (2020) predates pandas 2: pinned beside versions it runs with.
LIFETIMES_PACKAGES = ["lifetimes==0.11.3", "pandas==1.5.3", "numpy==1.26.4", "scipy==1.11.4"]

_LIFETIMES_SCRIPT = """
import json, sys, time
import numpy as np, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
folder = sys.argv[1]
orders = pd.DataFrame({"customer_id": np.load(folder + "/customer.npy"),
                       "date": np.load(folder + "/date.npy").astype("datetime64[ns]"),
                       "amount": np.load(folder + "/amount.npy")})
end = pd.Timestamp(sys.argv[2])
start = time.perf_counter()
summary = summary_data_from_transaction_data(orders, "customer_id", "date", monetary_value_col="amount",
                                             observation_period_end=end, freq="W")
print(json.dumps({"seconds": time.perf_counter() - start, "customers": int(len(summary)),
                  "repeat": int((summary["frequency"] > 0).sum())}))
"""


# The cheapest pass that reads every order once per customer: how busy the machine is right now.
_FLOOR_SQL = """
SELECT count(*) AS customers FROM (
    SELECT customer_id, count(*), min(order_date), max(order_date), sum(amount)
    FROM order_facts WHERE NOT returned GROUP BY customer_id
)
"""


def _timed(func, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def pandas_summary(orders, end):
    """The summary of `customer_summary` (weeks) with a plain pandas groupby: same-day orders merged,
    frequency = purchase days − 1, recency and T from the first day, monetary = mean repeat-day spend."""
    import numpy as np
    import pandas as pd

    days = orders.groupby(["customer_id", "order_date"], sort=False, as_index=False, observed=True)["amount"].sum()
    per = days.groupby("customer_id", sort=True, observed=True)
    first_row = per["order_date"].idxmin()
    first = days.loc[first_row.to_numpy(), "order_date"].to_numpy()
    last = per["order_date"].max().to_numpy()
    n = per.size().to_numpy()
    total = per["amount"].sum().to_numpy()
    first_spend = days.loc[first_row.to_numpy(), "amount"].to_numpy()
    frequency = n - 1
    week = np.timedelta64(7, "D")
    return pd.DataFrame({
        "customer_id": first_row.index,
        "frequency": frequency,
        "recency": (last - first) / week,
        "T": (np.datetime64(end, "D") - first) / week,
        "monetary": np.where(frequency > 0, (total - first_spend) / np.maximum(frequency, 1), np.nan),
    })


def _lifetimes_python() -> Path | None:
    """The bench-only virtualenv's python with lifetimes 0.11.3, created when missing; None when it cannot be."""
    python = LIFETIMES_VENV / "bin" / "python"
    check = [str(python), "-c", "import lifetimes; assert lifetimes.__version__ == '0.11.3'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *LIFETIMES_PACKAGES], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  (lifetimes 0.11.3 skipped: it could not be installed in {LIFETIMES_VENV}: {type(exc).__name__})")
        return None
    return python if subprocess.run(check, capture_output=True).returncode == 0 else None


def _lifetimes_seconds(orders, end) -> dict | None:
    python = _lifetimes_python()
    if python is None:
        return None
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        codes = orders["customer_id"].cat.codes.to_numpy() if hasattr(orders["customer_id"], "cat") \
            else orders["customer_id"].factorize()[0]
        np.save(f"{folder}/customer.npy", np.asarray(codes, dtype="int64"))
        np.save(f"{folder}/date.npy", orders["order_date"].to_numpy(dtype="datetime64[D]"))
        np.save(f"{folder}/amount.npy", orders["amount"].to_numpy(dtype="float64"))
        done = subprocess.run([str(python), "-c", _LIFETIMES_SCRIPT, folder, str(end)], capture_output=True,
                              text=True, timeout=1800)
    if done.returncode != 0:
        print(f"  (lifetimes 0.11.3 failed: {done.stderr.strip().splitlines()[-1] if done.stderr else '?'})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(path: Path, *, with_lifetimes: bool = True) -> dict:
    import pandas as pd

    from crm.retention import backtest, clv
    from crm.retention.bgnbd import BetaGeoModel
    from crm.retention.gamma_gamma import GammaGammaModel
    from crm.retention.summary import customer_summary, latest_order_date
    from crm.store import db
    from crm.store.features import reference_date
    from crm.store.filters import default_filters

    con = db.connect(path, read_only=True)
    try:
        end = latest_order_date(con)
        figures: dict = {"customers": db.table_counts(con)["customers"]}
        figures["orders"] = int(db.scalar(con, "SELECT count(*) FROM order_facts WHERE NOT returned"))
        figures["floor"], _ = _timed(lambda: db.query(con, _FLOOR_SQL), repeat=2)
        figures["summary"], summary = _timed(lambda: customer_summary(con), repeat=2)
        figures["read_orders"], orders = _timed(lambda: db.query(
            con, "SELECT customer_id, order_date, amount FROM order_facts WHERE NOT returned"))
        orders["customer_id"] = orders["customer_id"].astype("category")
        orders["order_date"] = pd.to_datetime(orders["order_date"])
        figures["pandas"], by_pandas = _timed(lambda: pandas_summary(orders, end))
        check = summary.set_index("customer_id")[["frequency", "recency", "T"]]
        other = by_pandas.assign(customer_id=by_pandas["customer_id"].astype(str)).set_index("customer_id")
        figures["pandas_agrees"] = bool((other.loc[check.index, ["frequency", "recency", "T"]].to_numpy()
                                         == check.to_numpy()).all())
        figures["lifetimes"] = _lifetimes_seconds(orders, end) if with_lifetimes else None
        del orders, by_pandas
        x, tx, big_t = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
        figures["bg_fit"], bg = _timed(lambda: BetaGeoModel().fit(x, tx, big_t))
        figures["gg_fit"], gg = _timed(lambda: GammaGammaModel().fit(x, summary["monetary"].to_numpy(dtype="float64")))
        figures["bg_iterations"], figures["gg_iterations"] = bg.n_iter_, gg.n_iter_
        figures["customer_value"], value = _timed(lambda: clv.customer_value(con))
        filters = default_filters(reference_date(con))
        figures["value_report"], _ = _timed(lambda: clv.value_report(con, filters))
        figures["backtest"], result = _timed(lambda: backtest.backtest(con, holdout_months=6, filters=filters))
        figures["total_error"], figures["poor_fit"] = result.errors["total_error"], result.poor_fit
        figures["modelled"] = len(value.table)
    finally:
        con.close()
    return figures


def report(small_db: Path, large_db: Path | None, args=None) -> None:
    """Print the lifetime-value figures of both databases as markdown."""
    print("\n## Lifetime value (BG/NBD + Gamma-Gamma)\n")
    print("Seconds on this machine (shared cores: read them as ratios). Summary: best of 2; one run otherwise.\n")
    print("| database | orders | one GROUP BY customer pass (floor) | CLV summary, DuckDB SQL "
          "| same summary, pandas groupby (+ reading the orders) "
          "| lifetimes 0.11.3 summary | BG/NBD fit | Gamma-Gamma fit | both fits | customer_value | page report "
          "| backtest (6 months) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in (small_db, large_db):
        if path is None or not Path(path).exists():
            continue
        f = measure(Path(path))
        life = f"{f['lifetimes']['seconds']:.2f}" if f["lifetimes"] else "skipped"
        agree = "" if f["pandas_agrees"] else " (differs!)"
        print(f"| {Path(path).name}: {f['customers']:,} customers | {f['orders']:,} | {f['floor']:.2f} | {f['summary']:.2f} "
              f"| {f['pandas']:.2f}{agree} (+{f['read_orders']:.2f}) | {life} | {f['bg_fit']:.2f} "
              f"({f['bg_iterations']} it.) | {f['gg_fit']:.2f} ({f['gg_iterations']} it.) "
              f"| {f['bg_fit'] + f['gg_fit']:.2f} | {f['customer_value']:.2f} | {f['value_report']:.2f} "
              f"| {f['backtest']:.2f} (error {f['total_error']:+.1%}{', poor' if f['poor_fit'] else ''}) |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=Path, default=ROOT / "data" / "bench" / "crm_20k.duckdb")
    parser.add_argument("--large", type=Path, default=ROOT / "data" / "bench" / "crm_1000k.duckdb")
    options = parser.parse_args()
    report(options.small, options.large if options.large.exists() else None, options)
