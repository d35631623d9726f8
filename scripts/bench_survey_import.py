"""Survey import speed: a 问卷星 export of 100,000 responses × 30 questions (GBK CSV, text labels), read,
understood, linked to the demo's customers, validated and written as one batch (nothing here asserts a duration).

The export: 序号 … 来自IP, a member-id column (up to 80 % of respondents are demo customers, each once), a 20-item
satisfaction matrix in Likert labels, 2 numeric expectation items, NPS 0–10, 3 single choices, 2 multiple
choices joined by ┋ and 2 open comments. It is imported into a copy of the database, never into it.

Usage: python scripts/bench_survey_import.py [--db PATH] [--responses N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ("非常不满意", "不满意", "一般", "满意", "非常满意")
ITEMS = ("商品质量", "商品价格", "物流速度", "配送员态度", "客服响应", "客服专业", "包装完好", "包装环保", "售后退换",
         "售后维修", "页面体验", "支付便捷", "商品描述", "发货速度", "优惠力度", "会员权益", "退款速度", "咨询体验",
         "整体购物体验", "品牌信任")


def make_export(n: int, customer_ids: list[str], seed: int = 0) -> bytes:
    """The export's bytes (GBK), built column-wise with numpy."""
    rng = np.random.default_rng(seed)
    columns: list[tuple[str, np.ndarray]] = []
    seconds = rng.integers(0, 90 * 86400, n)
    times = (np.datetime64("2026-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(str)
    columns += [("序号", np.arange(1, n + 1).astype(str)), ("提交答卷时间", np.char.replace(times, "T", " ")),
                ("所用时间", np.char.add(rng.integers(30, 900, n).astype(str), "秒")),
                ("来源", rng.choice(["手机提交", "微信", "链接"], n)), ("来源详情", np.full(n, "直接访问")),
                ("来自IP", np.full(n, "1.2.3.4(广东-深圳)"))]
    # each customer answers once (a repeat is a duplicate respondent); the rest are not customers
    members = rng.permutation(np.array(customer_ids))[: int(0.8 * n)]
    ids = np.char.add("X", np.arange(n).astype(str)).astype(object)
    ids[rng.permutation(n)[: len(members)]] = members
    ids = ids.astype(str)
    columns.append(("1、您的会员编号", ids))
    mood = rng.normal(0, 1, n)
    for i, item in enumerate(ITEMS):
        score = np.clip(np.round(3.6 + mood + rng.normal(0, 0.8, n)), 1, 5).astype(int)
        columns.append((f"2、请评价以下方面—{item}", np.array(LABELS)[score - 1]))
    for i, text in enumerate(("3、您对价格的期望(1-5分)", "4、您对物流速度的期望(1-5分)")):
        columns.append((text, rng.integers(2, 6, n).astype(str)))
    nps = np.clip(np.round(7 + 2 * mood + rng.normal(0, 1, n)), 0, 10).astype(int).astype(str)
    columns.append(("5、您有多大可能向朋友推荐我们？", nps))
    columns += [("6、您的性别", rng.choice(["男", "女"], n)), ("7、您的年龄段", rng.choice(["18-25", "26-35", "36-45", "46+"], n)),
                ("8、您最常用的购物渠道", rng.choice(["天猫", "京东", "小程序", "门店"], n))]
    options = np.array(["价格实惠", "质量好", "服务周到", "配送快", "品牌信任"])
    for text in ("9、您选择我们的原因", "10、您希望改进的方面"):
        first, second = rng.choice(options, n), rng.choice(options, n)
        columns.append((text, np.where(first == second, first, np.char.add(np.char.add(first, "┋"), second))))
    comments = np.array(["很好，会再来", "物流太慢了", "(跳过)", "价格再低一点", "客服态度很好", "包装有破损", "(空)"])
    columns += [("11、您还有什么建议？", rng.choice(comments, n)), ("12、其他意见", rng.choice(comments, n))]
    header = ",".join(name for name, _ in columns)
    body = columns[0][1]
    for _, values in columns[1:]:
        body = np.char.add(np.char.add(body, ","), values)
    return (header + "\r\n" + "\r\n".join(body.tolist()) + "\r\n").encode("gbk")


def measure(db_path: Path, responses: int) -> dict:
    from crm.intake.surveys import commit_survey, prepare_survey
    from crm.store import db

    with tempfile.TemporaryDirectory(prefix="crm-bench-survey-") as folder:
        copy = Path(folder) / "crm.duckdb"
        shutil.copy(db_path, copy)
        con = db.connect(copy)
        ids = db.query(con, "SELECT customer_id FROM customers ORDER BY customer_id")["customer_id"].tolist()
        data = make_export(responses, ids)
        start, cpu_start = time.perf_counter(), time.process_time()
        plan = prepare_survey(con, data, "wjx_bench.csv")
        prepared = time.perf_counter()
        result = commit_survey(con, plan)
        done, cpu_done = time.perf_counter(), time.process_time()
        con.close()
    return {"bytes": len(data), "questions": len(plan.questions), "responses": result.responses,
            "answers": result.answers, "matched": result.matched, "prepare": prepared - start,
            "commit": done - prepared, "total": done - start, "cpu": cpu_done - cpu_start,
            "load": os.getloadavg()[0]}


def report(small_db: Path, large_db: Path | None, args=None, responses: int = 100_000) -> None:
    """Markdown lines: the import of a 100,000 × 30 问卷星 export into a copy of the default demo."""
    figures = measure(small_db, responses)
    print("\n## Survey import (问卷星 GBK CSV)")
    print(f"- {figures['responses']:,} responses × {figures['questions']} questions "
          f"({figures['bytes'] / 2**20:.1f} MB, {figures['answers']:,} answers, {figures['matched']:,} linked): "
          f"understand + validate {figures['prepare']:.2f} s, write {figures['commit']:.2f} s, "
          f"total {figures['total']:.2f} s (target < 15 s); CPU time of all threads {figures['cpu']:.2f} s, "
          f"load average {figures['load']:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "crm.duckdb")
    parser.add_argument("--responses", type=int, default=100_000)
    options = parser.parse_args()
    report(options.db, None, options, responses=options.responses)
