"""`make bench`: how fast the product is, in figures (nothing here asserts a duration).

1. Builds (or reuses) two demo databases under data/bench/: the default
   20,000 customers and 1,000,000 customers (about ten million orders).
2. For each database and each page: the warm render time of the page script
   (AppTest: one run to warm the caches, then the median of three runs with
   the same filters) and the cold time of the page's main queries (crm/
   functions called directly, no cache).
3. What a user feels, in a real browser (Playwright driving Debian's Chromium
   against `streamlit run app.py`): per page, the time from navigation until
   the page is complete, and from a sidebar filter change until it is complete
   again. "Complete" means Streamlit has finished the run (the app's script
   state is back to not-running) and the page has stopped changing (no DOM
   mutation for 0.6 s: charts and tables drawn); the figure is the moment of
   the last change. Measured:
     - cold server: the page opened as the first request of a freshly started
       server (Python imports, database open, empty caches);
     - first visit: a new browser session opening the page on a server that has
       served every page once (default filters cached, session new);
     - filter, new: picking a province (广东), then adding a second (江苏):
       queries for filter values nobody asked before;
     - filter, seen: going back to one province: every query cached.
4. Imports a generated 1,000,000-row orders CSV into a copy of the large database
   (validation, upsert, re-materialising every aggregate).

Options: --customers N (large size), --skip-large, --skip-import, --rebuild,
--skip-browser, --only-browser (just part 3), --cold (adds the cold-server figures).
"""

from __future__ import annotations

import argparse
import importlib.util
import contextlib
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.intake import demo  # noqa: E402
from crm.store import db  # noqa: E402
from crm.value import overview  # noqa: E402
from crm.i18n import t  # noqa: E402
from crm.store.features import reference_date  # noqa: E402
from crm.store.filters import default_filters, Filters  # noqa: E402

BENCH_DIR = ROOT / "data" / "bench"


def main_queries(con) -> dict[str, callable]:
    """The queries each page runs on a first visit, by page (extended as pages arrive)."""
    f = default_filters(reference_date(con))
    guangdong = Filters(start=f.start, end=f.end, as_of=f.as_of, provinces=("广东",))
    queries = {
        "overview": {
            "kpis": lambda: overview.compute_kpis(con, f),
            "kpis (province filter)": lambda: overview.compute_kpis(con, guangdong),
            "monthly_trend": lambda: overview.monthly_trend(con, f),
            "breakdown x3": lambda: [overview.breakdown(con, f, d) for d in ("category", "channel", "province")],
            "filter_options": lambda: overview.filter_options(con),
        },
    }
    from crm.value import concentration, customer360, key_accounts, loyalty, profiles, rfm

    queries["segments"] = {
        "compute_rfm": lambda: rfm.compute_rfm(con, f),
        "clustering (auto k, fit+predict)": lambda: profiles.cluster_analysis(con, f),
        "pareto": lambda: concentration.pareto(con, f),
        "abc_classes": lambda: concentration.abc_classes(con, f),
        "compute_points": lambda: loyalty.compute_points(con, f),
        "segment_mix (province)": lambda: profiles.segment_mix(con, f, "province"),
    }
    top = key_accounts.select_key_accounts(con, f, top_share=0.05)
    first = top.table["customer_id"].iloc[0] if len(top.table) else None
    queries["key_accounts"] = {
        "select_key_accounts top 5%": lambda: key_accounts.select_key_accounts(con, f, top_share=0.05),
        "customer 360 (profile+history)": lambda: (customer360.profile(con, first, f.as_of),
                                                   customer360.order_history(con, first)),
    }
    try:
        from crm.intake import imports

        queries["data"] = {
            "list_batches": lambda: imports.list_batches(con),
            "data_quality": lambda: imports.data_quality(con),
        }
    except ImportError:
        pass
    return queries


def timed(func, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def build(path: Path, customers: int, rebuild: bool) -> None:
    if path.exists() and not rebuild:
        print(f"  reusing {path.relative_to(ROOT)}")
        return
    if path.exists():
        path.unlink()
    start = time.perf_counter()
    con = db.connect(path)
    summary = demo.build_demo(con, customers=customers, seed=42)
    con.close()
    print(f"  built {path.relative_to(ROOT)}: {summary['customers']:,} customers, {summary['orders']:,} orders "
          f"in {time.perf_counter() - start:.1f} s")


def page_paths() -> list[str]:
    return sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


def warm_render(path: Path) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["CRM_DB"] = str(path)
    os.environ["CRM_AUTH"] = "local"  # AppTest binds no address: run as `make run` does, signed in locally
    results = {}
    for page in page_paths():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.query_params["lang"] = "zh"
        at.run()
        at.switch_page(page).run()  # cold: fills the caches
        if at.exception:
            raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - start)
        results[page] = statistics.median(runs)
        for name, label in _TABS.get(page, {}).items():  # pages that draw only the open tab
            at.session_state[_TAB_KEYS[page]] = label
            at.run()  # fills that tab's caches
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                at.run()
                runs.append(time.perf_counter() - start)
            results[f"{page} [{name}]"] = statistics.median(runs)
    return results


_TAB_KEYS = {"pages/segments.py": "seg.tab"}
_TABS = {"pages/segments.py": {name: t(f"segmentation.tab.{name}", "zh")
                               for name in ("rfm", "clusters", "value", "tiers", "who")}}


def report(path: Path, label: str) -> None:
    con = db.connect(path)
    counts = db.table_counts(con)
    print(f"\n## {label}: {counts['customers']:,} customers, {counts['orders']:,} orders")
    print("\nMain queries, cold (no cache), best of 2:")
    for page, queries in main_queries(con).items():
        for name, func in queries.items():
            print(f"  {page:<14} {name:<28} {timed(func, repeat=2):7.3f} s")
    con.close()
    print("\nPage scripts, warm (AppTest, median of 3 runs after a first run):")
    for page, seconds in warm_render(path).items():
        print(f"  {page:<38} {seconds:7.3f} s")


# ------------------------------------------------------------------ browser-perceived time
CHROMIUM = "/usr/bin/chromium"
BROWSER_PAGES = ("overview", "satisfaction", "retention", "segments", "key_accounts", "churn", "clv", "data")
FILTERLESS = {"data"}  # pages without the sidebar filters

# Installed before every page load: records the app's script state changes and the last DOM change.
_WATCH = """
(() => {
  const perf = window.__perf = {states: [], lastMutation: 0, input: 0};
  const attach = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { setTimeout(attach, 5); return; }
    const record = () => {
      const state = app.getAttribute('data-test-script-state');
      const last = perf.states[perf.states.length - 1];
      if (!last || last[1] !== state) perf.states.push([performance.now(), state]);
    };
    record();
    new MutationObserver(mutations => {
      const now = performance.now();
      for (const m of mutations) {
        if (m.target === app && m.attributeName === 'data-test-script-state') record();
        else perf.lastMutation = now;
      }
    }).observe(app, {subtree: true, childList: true, attributes: true, characterData: true});
  };
  attach();
})();
"""

_SETTLED = """
([since, quiet]) => {
  const perf = window.__perf;
  if (!perf || !perf.states.length) return null;
  const now = performance.now();
  const last = perf.states[perf.states.length - 1];
  const ran = perf.states.some(([t, s]) => t >= since && s !== 'notRunning') || since === 0;
  if (!ran || last[1] !== 'notRunning' || now - last[0] < quiet || now - perf.lastMutation < quiet) return null;
  if (document.querySelector('[data-testid="stMain"] [data-stale="true"]')) return null;
  return Math.max(last[0], perf.lastMutation) - since;
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db_path: Path):
    """`streamlit run app.py` on a free loopback port against `db_path`; yields its URL and start time."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "CRM_DB": str(db_path)}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("streamlit did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _settle(page, since: float, timeout: float = 600.0, quiet: int = 600) -> float:
    """Seconds from `since` (page clock, ms) until the page was last changed by a finished run."""
    handle = page.wait_for_function(_SETTLED, arg=[since, quiet], polling=100, timeout=timeout * 1000)
    return handle.json_value() / 1000


def _open(context, url: str, timeout: float = 600.0):
    """A new tab opening `url`; returns the tab and the seconds from navigation start to complete."""
    page = context.new_page()
    page.add_init_script(_WATCH)
    page.goto(url, timeout=timeout * 1000)
    return page, _settle(page, 0, timeout)


def _pick_province(page, name: str) -> float:
    """Pick `name` in the sidebar's province filter; seconds from the click until complete."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text=t("shell.filter.provinces", "zh"))
    box.locator("input").click()
    option = page.get_by_role("option", name=name, exact=True)
    option.wait_for()
    since = page.evaluate("performance.now()")
    option.click()
    seconds = _settle(page, since)
    page.keyboard.press("Escape")
    return seconds


def _unpick_last_province(page) -> float:
    """Remove the last picked province (Backspace in the filter); seconds from the key press until complete."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text=t("shell.filter.provinces", "zh"))
    box.locator("input").click()
    since = page.evaluate("performance.now()")
    page.keyboard.press("Backspace")
    seconds = _settle(page, since)
    page.keyboard.press("Escape")
    return seconds


def browser_timings(db_path: Path, cold: bool) -> dict[str, dict[str, float]]:
    """Per page: cold server, first visit, filter (new values), filter (seen values), in seconds."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, float]] = {p: {} for p in BROWSER_PAGES}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])

        def context():
            return browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")

        if cold:
            for name in BROWSER_PAGES:
                with streamlit_server(db_path) as url:
                    ctx = context()
                    _, results[name]["cold server"] = _open(ctx, f"{url}/{name}?lang=zh")
                    ctx.close()
        with streamlit_server(db_path) as url:
            warm = context()
            for name in BROWSER_PAGES:  # every page once, default filters: the server is warm
                _open(warm, f"{url}/{name}?lang=zh")
            warm.close()
            for name in BROWSER_PAGES:
                ctx = context()
                page, results[name]["first visit"] = _open(ctx, f"{url}/{name}?lang=zh")
                if name not in FILTERLESS:
                    results[name]["filter, new"] = _pick_province(page, "广东")
                    results[name]["filter, new 2"] = _pick_province(page, "江苏")
                    results[name]["filter, seen"] = _unpick_last_province(page)
                ctx.close()
        browser.close()
    return results


def browser_report(db_path: Path, cold: bool) -> None:
    if not Path(CHROMIUM).exists():
        print(f"\nBrowser timings skipped: {CHROMIUM} is not installed")
        return
    results = browser_timings(db_path, cold)
    columns = (["cold server"] if cold else []) + ["first visit", "filter, new", "filter, new 2", "filter, seen"]
    print("\nBrowser-perceived time until the page is complete (s), Chromium, lang=zh:")
    print("  " + f"{'page':<14}" + "".join(f"{c:>15}" for c in columns))
    for name, figures in results.items():
        cells = "".join(f"{figures[c]:>15.2f}" if c in figures else f"{'—':>15}" for c in columns)
        print(f"  {name:<14}{cells}")


def import_benchmark(base: Path, rows: int = 1_000_000) -> None:
    import numpy as np
    import pandas as pd

    from crm.intake import imports

    target = BENCH_DIR / "import_target.duckdb"
    csv_path = BENCH_DIR / "orders_1m.csv"
    shutil.copyfile(base, target)
    con = db.connect(target)
    customers = db.query(con, "SELECT customer_id FROM customers USING SAMPLE 200000 ROWS (reservoir, 1)")
    rng = np.random.default_rng(1)
    days = rng.integers(0, 365, rows)
    frame = pd.DataFrame({
        "订单编号": [f"BENCH{i:08d}" for i in range(rows)],
        "会员ID": customers["customer_id"].to_numpy()[rng.integers(0, len(customers), rows)],
        "下单时间": (pd.Timestamp("2025-11-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d %H:%M:%S"),
        "实付金额": rng.gamma(2.0, 120.0, rows).round(2),
        "商品类目": rng.choice(["服装", "鞋子", "包包", "配饰", "美妆", "家居", "美食"], rows),
        "渠道": rng.choice(["天猫旗舰店", "京东", "微信小程序", "官网", "线下门店"], rows),
        "数量": rng.integers(1, 5, rows),
    })
    frame.to_csv(csv_path, index=False)
    data = csv_path.read_bytes()
    print(f"\n## Import: {rows:,}-row orders CSV ({len(data) / 1e6:.0f} MB) into the large database")
    start = time.perf_counter()
    plan = imports.prepare_import(con, data, csv_path.name, "orders", today=dt.date(2026, 11, 23))
    prepared = time.perf_counter() - start
    result = imports.commit_import(con, plan)
    total = time.perf_counter() - start
    print(f"  validate {prepared:6.2f} s, total with upsert and re-materialising {total:6.2f} s "
          f"({result.inserted:,} inserted, {len(plan.rejected):,} rejected)")
    con.close()
    target.unlink()
    csv_path.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--only-browser", action="store_true")
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--only-areas", action="store_true", help="only the scripts/bench_<area>.py figures")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    small = BENCH_DIR / "crm_20k.duckdb"
    large = BENCH_DIR / f"crm_{args.customers // 1000}k.duckdb"
    print("# CRM Insight benchmark")
    print(f"machine: {os.cpu_count()} cores")
    build(small, 20_000, args.rebuild)
    if not args.skip_large:
        build(large, args.customers, args.rebuild)
    for path, label, last in ((small, "Default demo", False), (large, "Large demo", True)) if not args.only_areas else ():
        if last and args.skip_large:
            break
        if args.only_browser:
            print(f"\n## {label}: {path.relative_to(ROOT)}")
        else:
            report(path, label)
        if not args.skip_browser:
            browser_report(path, args.cold)
    if not args.skip_large and not args.skip_import and not args.only_browser and not args.only_areas:
        import_benchmark(large)
    if not args.only_browser:
        for path in sorted((ROOT / "scripts").glob("bench_*.py")):  # each area measures its own work
            area = _load_area(path)
            if hasattr(area, "report"):  # (bench_access.py is a separate study with its own command line)
                area.report(small, None if args.skip_large else large, args)
    return 0


def _load_area(path: Path):
    """scripts/bench_<area>.py: a module with report(small_db, large_db or None, args) that prints its figures."""
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    raise SystemExit(main())
