"""Open comments: the searchable list with scores, and word frequencies.

* Comments are the non-empty answers to the survey's open-text (kind 'text') questions, with the
  respondent's overall-satisfaction and NPS answers and NPS group (promoter 9–10, passive 7–8,
  detractor 0–6).
* Words: Chinese text is cut with jieba (precise mode); Latin text is lower-cased and split on
  anything that is not a letter, digit or apostrophe. Stop words (``STOP_WORDS``), single
  characters that are not CJK, numbers and punctuation are dropped. A word's ``comments`` is the
  number of comments that contain it (each comment counted once), ``share`` that number ÷ the
  comments of the group. Tokenising runs once per distinct comment text, weighted by its count.
"""

from __future__ import annotations

import re

import pandas as pd

from crm.satisfaction.surveys import params, scored_sql
from crm.store.db import query
from crm.store.filters import Filters

GROUPS = ("all", "promoter", "passive", "detractor")

STOP_WORDS = frozenset("""
的 了 是 我 你 他 她 它 们 我们 你们 他们 在 有 和 与 及 或 也 都 就 还 又 很 太 非常 比较 挺 真 真的 就是 但是 但 不过 而且
并且 所以 因为 如果 虽然 一个 一些 这个 那个 这样 那样 这次 这里 那里 什么 怎么 为什么 没有 没 不 要 会 能 可以 可能 应该
吧 吗 呢 啊 呀 哦 嗯 哈 啦 着 过 被 把 给 让 对 向 从 到 为 以 于 上 下 中 里 后 前 时 等 等等 已经 一直 一下 一点 有点 还是 东西 感觉 觉得
the a an and or but if of to in on at for with from by is are was were be been being it its this that these those
i me my we our you your he she they them their very so too not no just also as than then there here have has had do
does did will would can could should about into over after before again more most some such only own same
""".split())

_WORD = re.compile(r"[\w']+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z][a-z']*")

_COMMENTS_TAIL = """
    SELECT a.response_id, resp.submitted_at, resp.customer_id, q.question_id, a.value_text AS comment,
           p.overall, p.nps,
           CASE WHEN p.nps >= 9 THEN 'promoter' WHEN p.nps >= 7 THEN 'passive' WHEN p.nps IS NOT NULL THEN 'detractor'
           END AS nps_group
    FROM resp
    JOIN survey_answers a USING (response_id)
    JOIN survey_questions q ON q.survey_id = resp.survey_id AND q.question_id = a.question_id
    JOIN per_response p ON p.response_id = resp.response_id
    WHERE q.kind = 'text' AND nullif(trim(a.value_text), '') IS NOT NULL
      AND ($search = '' OR contains(lower(a.value_text), lower($search)))
"""


def list_comments(con, survey_ids, filters: Filters | None = None, *, search: str = "",
                  limit: int | None = None) -> pd.DataFrame:
    """response_id, submitted_at, customer_id, question_id, comment, overall, nps, nps_group; newest first.
    `search` keeps comments containing it (case-insensitive, plain text, not a pattern)."""
    sql = "WITH " + scored_sql(filters) + _COMMENTS_TAIL + " ORDER BY resp.submitted_at DESC, a.response_id"
    df = query(con, sql, {**params(survey_ids, filters), "search": str(search or "").strip()})
    return df.head(limit) if limit else df


def tokenise(text: str) -> list[str]:
    """The words of one comment, stop words removed (jieba for Chinese, simple splitting for Latin)."""
    import jieba

    words = []
    for token in jieba.lcut(str(text)):
        token = token.strip().lower()
        if not token or token in STOP_WORDS:
            continue
        if _CJK.search(token):
            if len(token) >= 2 or token not in STOP_WORDS:
                words.append(token) if len(token) >= 2 else None
        else:
            words.extend(w for w in _LATIN.findall(token) if len(w) > 1 and w not in STOP_WORDS)
    return words


def word_frequencies(con, survey_ids, filters: Filters | None = None, *, top: int = 30) -> pd.DataFrame:
    """group ('all', 'promoter', 'passive', 'detractor'), word, comments, share; the `top` words per group."""
    texts = query(con, "WITH c AS (WITH " + scored_sql(filters) + _COMMENTS_TAIL + """)
        SELECT comment, coalesce(nps_group, 'unknown') AS nps_group, count(*) AS k FROM c GROUP BY 1, 2
    """, {**params(survey_ids, filters), "search": ""})
    columns = ["group", "word", "comments", "share"]
    if texts.empty:
        return pd.DataFrame(columns=columns)
    distinct = texts["comment"].drop_duplicates()
    words = {text: sorted(set(tokenise(text))) for text in distinct}
    exploded = texts.assign(word=texts["comment"].map(words)).explode("word").dropna(subset=["word"])
    totals = texts.groupby("nps_group")["k"].sum()
    frames = []
    for group in GROUPS:
        part = exploded if group == "all" else exploded[exploded["nps_group"] == group]
        n = totals.sum() if group == "all" else totals.get(group, 0)
        if part.empty or not n:
            continue
        counts = part.groupby("word")["k"].sum().sort_values(ascending=False, kind="stable").head(top)
        frames.append(pd.DataFrame({"group": group, "word": counts.index, "comments": counts.to_numpy(),
                                    "share": counts.to_numpy() / n}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
