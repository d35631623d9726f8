"""What opening the database only while needed costs, in figures (nothing here asserts a duration).

For one database file (default data/bench/crm_1000000.duckdb, as `make bench` builds it):

1. the data version a warm rerun needs: from the side file (now) against a
   query on a connection held open for the process's life (before);
2. the overview's first-visit queries, run one after another as a page does:
   on a held connection, through `access.reading` per call with the shared
   connection kept a moment (LINGER, as the app runs), and opening and
   closing the file on every call (LINGER = 0);
3. the once-per-process schema check (`access.prepare`) and how long a CLI
   writer waits for an idle app to let go of the file.

Usage: python scripts/bench_access.py [--db PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.store import access, db  # noqa: E402
from crm.store.features import reference_date  # noqa: E402
from crm.store.filters import default_filters  # noqa: E402
from crm.value import overview  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def page_queries(f):
    return [
        lambda con: overview.data_range(con),
        lambda con: overview.filter_options(con),
        lambda con: overview.compute_kpis(con, f),
        lambda con: overview.monthly_trend(con, f),
        *[lambda con, d=d: overview.breakdown(con, f, d) for d in ("category", "channel", "province")],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(ROOT / "data" / "bench" / "crm_1000000.duckdb"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = args.db
    if not Path(path).exists():
        print(f"{path} does not exist: build it with `python -m crm demo --db {path} --customers 1000000`")
        return 2

    start = time.perf_counter()
    access.prepare(path)
    print(f"schema check once per process (access.prepare)      {ms(time.perf_counter() - start)}")
    with access.reading(path) as con:
        customers = db.scalar(con, "SELECT count(*) FROM customers")
        f = default_filters(reference_date(con))
    print(f"database: {path} ({customers:,} customers, {Path(path).stat().st_size / 2**20:,.0f} MiB)")

    access.data_version(path)  # writes the side file
    held = db.connect(path, read_only=True)
    print("\n1. data version of a warm rerun (median of 200)")
    print(f"   side file, database not opened                   {ms(median_time(lambda: access.data_version(path), 200))}")
    print(f"   query on a connection held for the process life  {ms(median_time(lambda: db.data_version(held), 200))}")

    queries = page_queries(f)
    print(f"\n2. the overview's {len(queries)} first-visit queries in a row (median of {args.repeat})")
    for q in queries:
        q(held)  # the held connection's buffers are warm, as in a long-running app
    t_held = median_time(lambda: [q(held) for q in queries], args.repeat)
    held.close()

    def through_access():
        for q in queries:
            with access.reading(path) as con:
                q(con)

    t_linger = median_time(lambda: (through_access(), access.release_idle()), args.repeat)
    linger, access.LINGER = access.LINGER, 0
    t_each = median_time(through_access, args.repeat)
    access.LINGER = linger
    print(f"   connection held for the process life (before)     {ms(t_held)}")
    print(f"   access.reading per call, first opens it (now)     {ms(t_linger)}")
    print(f"   opened and closed on every call                  {ms(t_each)}")

    print("\n3. a writer arriving while the app sits idle with its connection kept")
    with access.reading(path) as con:
        db.scalar(con, "SELECT 1")
    start = time.perf_counter()
    with access.writing(path, who="cli", action="write"):
        waited = time.perf_counter() - start
    print(f"   waited for the idle reader, opened read-write      {ms(waited)}")

    slow = threading.Event()

    def long_read():
        with access.reading(path) as con:
            slow.set()
            overview.monthly_trend(con, f)

    thread = threading.Thread(target=long_read)
    thread.start()
    slow.wait()
    start = time.perf_counter()
    with access.writing(path, who="cli", action="write"):
        waited = time.perf_counter() - start
    thread.join()
    print(f"   ... while a monthly-trend query was running       {ms(waited)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
