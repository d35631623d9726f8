"""The vocabulary of category, channel and province values: what an import brings that the
database has not seen, the closest known value, and the mappings users chose, remembered.

An import's accepted rows are grouped by value for each dimension of its kind
(orders: category, channel; customers: province, channel). A value is *known*
when the stored data has it (categories from orders, channels from orders and
customers, provinces from customers plus the 34 provincial-level short names).
Every other value is listed with its row count and a suggestion:

* the known value whose text, or English label (``value.<dimension>.<value>``
  in the catalog), equals the unknown one ignoring case, spaces and punctuation;
* else the known value that contains it or that it contains (天猫 → 天猫旗舰店,
  门店 → 线下门店, Tmall → 天猫旗舰店), the closest by `difflib` ratio among several;
* else the known value with the highest `difflib.SequenceMatcher` ratio, when it is
  at least 0.5 for Chinese text (食品 → 美食: one of two characters shared) or 0.8 for
  Latin letters (Guangdon → 广东 by its label Guangdong; Canton → nothing).

A choice per value is either "keep as a new value" or a target value. Choices
committed with an import are stored in ``value_mappings`` with the batch that
recorded them and applied automatically to later imports (status ``auto``);
undoing that batch removes them and restores the mapping they replaced, if any.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import unicodedata

import duckdb
import pandas as pd

from crm.errors import CRMInputError
from crm.formatting import format_number
from crm.i18n import has_key, t
from crm.store import db

# Dimension fields per import kind, in display order.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "orders": ("category", "channel"),
    "customers": ("province", "channel"),
    "tickets": (),
}
ALL_DIMENSIONS = ("category", "channel", "province")

# Stored values seen per dimension (static SQL: identifiers only).
_KNOWN_SQL = {
    "category": "SELECT DISTINCT category AS value FROM orders WHERE category IS NOT NULL",
    "channel": (
        "SELECT channel AS value FROM orders WHERE channel IS NOT NULL "
        "UNION SELECT channel FROM customers WHERE channel IS NOT NULL"
    ),
    "province": "SELECT DISTINCT province AS value FROM customers WHERE province IS NOT NULL",
}
# label keys of stored values (ui.labels uses the same: value.categories.服装 → Apparel)
_LABEL_GROUP = {"category": "categories", "channel": "channels", "province": "provinces"}

# The 34 provincial-level divisions by the short name stored (广东, 内蒙古, 香港 …).
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
    "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
# Pinyin and English spellings, lower case without spaces, after dropping an English
# suffix such as "province" or "autonomous region" (see imports' crm_imp_province).
PROVINCE_ALIASES = {
    "beijing": "北京", "tianjin": "天津", "shanghai": "上海", "chongqing": "重庆", "hebei": "河北",
    "shanxi": "山西", "liaoning": "辽宁", "jilin": "吉林", "heilongjiang": "黑龙江", "jiangsu": "江苏",
    "zhejiang": "浙江", "anhui": "安徽", "fujian": "福建", "jiangxi": "江西", "shandong": "山东",
    "henan": "河南", "hubei": "湖北", "hunan": "湖南", "guangdong": "广东", "hainan": "海南",
    "sichuan": "四川", "guizhou": "贵州", "yunnan": "云南", "shaanxi": "陕西", "gansu": "甘肃",
    "qinghai": "青海", "taiwan": "台湾", "innermongolia": "内蒙古", "neimenggu": "内蒙古",
    "neimongol": "内蒙古", "guangxi": "广西", "tibet": "西藏", "xizang": "西藏", "ningxia": "宁夏",
    "xinjiang": "新疆", "hongkong": "香港", "xianggang": "香港", "macau": "澳门", "macao": "澳门",
    "aomen": "澳门",
}

SUGGEST_LIMIT = 200            # unknown values per dimension that get a suggestion, most rows first
SUGGEST_MIN_RATIO = 0.5        # Chinese: one of two characters shared
SUGGEST_MIN_RATIO_LATIN = 0.8  # Latin letters: a close spelling
_CJK = re.compile(r"[\u4e00-\u9fff]")
STATUSES = ("new", "mapped", "auto", "known")

_EMPTY_COLUMNS = ["dimension", "value", "rows", "known", "suggestion", "remembered", "target", "status"]


def empty_values() -> pd.DataFrame:
    """The value report of a kind without dimensions (tickets)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _EMPTY_COLUMNS})


# --------------------------------------------------------------------------- detection


def _match_key(text: str) -> str:
    """Text reduced for matching: NFKC, lower case, without spaces and punctuation."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(text)).lower())


def suggest(value: str, known: list[str], dimension: str) -> str | None:
    """The known value closest to `value` (see the module docstring), or None."""
    key = _match_key(value)
    if not key or not known:
        return None
    best: tuple[float, float, str] | None = None
    for candidate in known:
        keys = {_match_key(candidate)}
        label_key = f"value.{_LABEL_GROUP[dimension]}.{candidate}"
        if has_key(label_key, "en"):
            keys.add(_match_key(t(label_key, "en")))
        score = 0.0
        ratio = 0.0
        for other in keys:
            if not other:
                continue
            r = difflib.SequenceMatcher(None, key, other).ratio()
            ratio = max(ratio, r)
            if other == key:
                score = max(score, 3.0)
            elif min(len(key), len(other)) >= 2 and (key in other or other in key):
                score = max(score, 2.0)
            elif r >= (SUGGEST_MIN_RATIO if _CJK.search(key + other) else SUGGEST_MIN_RATIO_LATIN):
                score = max(score, 1.0)
        if score and (best is None or (score, ratio) > best[:2]):
            best = (score, ratio, candidate)
    return None if best is None else best[2]


def known_values(con: duckdb.DuckDBPyConnection, dimension: str) -> list[str]:
    """The values of `dimension` the stored data has (provinces: plus the 34 short names), sorted."""
    values = set(db.query(con, _KNOWN_SQL[dimension])["value"].tolist())
    if dimension == "province":
        values.update(PROVINCES)
    return sorted(values)


def remembered_mappings(con: duckdb.DuckDBPyConnection, dimensions: tuple[str, ...] = ALL_DIMENSIONS) -> pd.DataFrame:
    """Stored mappings: dimension, source_value, target_value, created_at, batch_id."""
    return db.query(
        con,
        "SELECT dimension, source_value, target_value, created_at, batch_id FROM value_mappings "
        "WHERE list_contains($dims, dimension) ORDER BY dimension, source_value",
        {"dims": list(dimensions)},
    )


def detect(cur: duckdb.DuckDBPyConnection, kind: str, rows_view: str) -> pd.DataFrame:
    """Every distinct value of the kind's dimensions in the registered table `rows_view`, with
    its row count, whether the database knows it, a suggestion and the remembered mapping.

    `rows_view` is a fixed name registered by the caller (not user text). Columns:
    dimension, value, rows, known, suggestion, remembered, target, status; ordered by
    dimension, then rows descending. Target and status are those without any choice:
    the remembered mapping (``auto``) or none (``new`` / ``known``).
    """
    dimensions = DIMENSIONS[kind]
    if not dimensions:
        return empty_values()
    parts = [
        f"SELECT '{d}' AS dimension, {d} AS value, count(*) AS rows FROM {rows_view} "
        f"WHERE {d} IS NOT NULL GROUP BY {d}"
        for d in dimensions
    ]
    counts = cur.execute(" UNION ALL ".join(parts)).df()
    remembered = remembered_mappings(cur, dimensions)
    memory = {(d, s): tgt for d, s, tgt in zip(remembered["dimension"], remembered["source_value"],
                                               remembered["target_value"])}
    frames = []
    for d in dimensions:
        part = counts.loc[counts["dimension"] == d].sort_values(["rows", "value"], ascending=[False, True])
        known = known_values(cur, d)
        part["known"] = part["value"].isin(set(known))
        # suggestions for the most frequent unknown values only (a free-text column may hold thousands)
        unknown_rank = (~part["known"]).cumsum()
        part["suggestion"] = [
            None if k or rank > SUGGEST_LIMIT else suggest(v, known, d)
            for v, k, rank in zip(part["value"], part["known"], unknown_rank)
        ]
        part["remembered"] = [memory.get((d, v)) for v in part["value"]]
        frames.append(part)
    out = pd.concat(frames, ignore_index=True).astype({"dimension": "object", "value": "object"})
    for column in ("suggestion", "remembered"):
        out[column] = pd.Series([None if pd.isna(v) else v for v in out[column]], index=out.index, dtype="object")
    out["rows"] = out["rows"].astype("int64")
    out["known"] = out["known"].astype(bool)
    out["order"] = out["dimension"].map({d: i for i, d in enumerate(dimensions)})
    out = out.sort_values(["order", "rows", "value"], ascending=[True, False, True]).drop(columns="order")
    out = out.reset_index(drop=True)
    return _with_targets(out, {})


def _with_targets(values: pd.DataFrame, choices: dict[str, dict[str, str | None]]) -> pd.DataFrame:
    """`values` with target and status for `choices` (dimension → {value: target or None}).

    A value the choices name takes that target (None or the value itself: keep as it is);
    any other value takes its remembered mapping.
    """
    targets, statuses = [], []
    for d, v, known, remembered in zip(values["dimension"], values["value"], values["known"], values["remembered"]):
        remembered = None if pd.isna(remembered) else remembered
        chosen = choices.get(d, {})
        target = (chosen[v] or None) if v in chosen else remembered
        if target == v:
            target = None
        if target is None:
            status = "known" if known else "new"
        else:
            status = "auto" if target == remembered else "mapped"
        targets.append(target)
        statuses.append(status)
    return values.assign(target=pd.Series(targets, index=values.index, dtype="object"),
                         status=pd.Series(statuses, index=values.index, dtype="object"))


def unknown_values(values: pd.DataFrame) -> pd.DataFrame:
    """The rows of a value report the user has to look at: unknown values and mapped ones."""
    return values.loc[values["status"] != "known"]


# --------------------------------------------------------------------------- choices


def parse_choice(text: str) -> tuple[str, str, str | None]:
    """``category:食品=美食`` → ('category', '食品', '美食'); an empty target keeps the value.

    The dimension may be its field name or its label in either language (类目, 渠道, 省份).
    """
    if ":" not in text or "=" not in text.split(":", 1)[1]:
        raise CRMInputError("imports.error.bad_map_value_argument", value=text)
    dimension, rest = text.split(":", 1)
    source, target = rest.split("=", 1)
    dimension = _dimension_name(dimension.strip())
    source = source.strip()
    if not source:
        raise CRMInputError("imports.error.bad_map_value_argument", value=text)
    return dimension, source, target.strip() or None


def _dimension_name(name: str) -> str:
    for d in ALL_DIMENSIONS:
        if name.lower() == d or name in {t(f"imports.field.{d}", lang) for lang in ("zh", "en")}:
            return d
    raise CRMInputError("imports.error.unknown_dimension", dimension=name, dimensions=", ".join(ALL_DIMENSIONS))


def check_choices(kind: str, choices: dict | None) -> dict[str, dict[str, str | None]]:
    """Choices as dimension → {value: target or None}; raises CRMInputError for a dimension
    `kind` does not have."""
    out: dict[str, dict[str, str | None]] = {}
    for dimension, mapping in (choices or {}).items():
        if dimension not in DIMENSIONS[kind]:
            raise CRMInputError(
                "imports.error.unknown_dimension", dimension=dimension,
                dimensions=", ".join(DIMENSIONS[kind]) or "—",
            )
        out[dimension] = {str(s): (str(v).strip() or None) if v is not None else None for s, v in mapping.items()}
    return out


def apply_choices(plan, choices: dict | None):
    """A copy of `plan` (an ``ImportPlan``) whose accepted rows carry the chosen values.

    `choices` (dimension → {value: target, or None to keep the value}) override the
    remembered mappings; values not named keep their remembered mapping or stay.
    """
    checked = check_choices(plan.kind, choices)
    values = _with_targets(plan.values, checked)
    if not values["target"].notna().any() and not plan.values["target"].notna().any():
        return dataclasses.replace(plan, values=values)  # nothing mapped before or now: no copy
    accepted = plan.accepted.copy()
    for dimension in DIMENSIONS[plan.kind]:
        mapped = values.loc[(values["dimension"] == dimension) & values["target"].notna()]
        source = plan.source_values[dimension]
        if len(mapped):
            accepted[dimension] = source.replace(dict(zip(mapped["value"], mapped["target"])))
        else:
            accepted[dimension] = source
    return dataclasses.replace(plan, accepted=accepted, values=values)


def unused_choices(values: pd.DataFrame, choices: dict | None) -> list[tuple[str, str]]:
    """(dimension, value) of the choices whose value the file does not have (a typo, say)."""
    present = set(zip(values["dimension"], values["value"]))
    return [(d, v) for d, mapping in (choices or {}).items() for v in mapping if (d, v) not in present]


def value_choices(plan) -> dict[str, dict[str, str | None]]:
    """The targets in effect per dimension (mapped and auto values only)."""
    out: dict[str, dict[str, str | None]] = {}
    mapped = plan.values.loc[plan.values["target"].notna()]
    for d, v, target in zip(mapped["dimension"], mapped["value"], mapped["target"]):
        out.setdefault(d, {})[v] = target
    return out


# --------------------------------------------------------------------------- memory


def remember(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, batch: int) -> int:
    """Store the plan's choices inside the caller's transaction; return how many changed.

    For every value of the file whose target differs from the stored mapping, the stored
    row (if any) is kept in ``value_mappings_replaced`` (replaced_by = `batch`) and the
    new mapping is written with `batch`; a value now kept as it is loses its mapping.
    """
    if values.empty:
        return 0
    frame = pd.DataFrame({
        "dimension": values["dimension"].astype("object"),
        "source_value": values["value"].astype("object"),
        "target_value": values["target"].astype("object"),
    })
    con.register("_crm_value_choices", frame)
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _crm_value_changes AS
            SELECT c.dimension, c.source_value, c.target_value
            FROM _crm_value_choices c
            LEFT JOIN value_mappings m USING (dimension, source_value)
            WHERE c.target_value IS DISTINCT FROM m.target_value
            """
        )
    finally:
        con.unregister("_crm_value_choices")
    changed = int(con.execute("SELECT count(*) FROM _crm_value_changes").fetchall()[0][0])
    params = {"batch": batch}
    con.execute(
        """
        INSERT INTO value_mappings_replaced
        SELECT m.*, $batch FROM value_mappings m JOIN _crm_value_changes c USING (dimension, source_value)
        """,
        params,
    )
    con.execute(
        "DELETE FROM value_mappings m USING _crm_value_changes c "
        "WHERE m.dimension = c.dimension AND m.source_value = c.source_value"
    )
    con.execute(
        """
        INSERT INTO value_mappings (dimension, source_value, target_value, created_at, batch_id)
        SELECT dimension, source_value, target_value, $at, $batch FROM _crm_value_changes
        WHERE target_value IS NOT NULL
        """,
        {**params, "at": dt.datetime.now().replace(microsecond=0)},
    )
    con.execute("DROP TABLE _crm_value_changes")
    return changed


def forget_batch(con: duckdb.DuckDBPyConnection, batch: int) -> None:
    """Undo `batch`'s mappings inside the caller's transaction.

    Its mappings go; the ones it replaced come back unless a later batch has set that
    value since (the later choice stands); versions it wrote that a later batch
    replaced are dropped, so undoing that later batch never brings them back.
    """
    params = {"batch": batch}
    con.execute("DELETE FROM value_mappings WHERE batch_id = $batch", params)
    con.execute(
        """
        INSERT INTO value_mappings (dimension, source_value, target_value, created_at, batch_id)
        SELECT r.dimension, r.source_value, r.target_value, r.created_at, r.batch_id
        FROM value_mappings_replaced r
        WHERE r.replaced_by = $batch
          AND NOT EXISTS (SELECT 1 FROM value_mappings m
                          WHERE m.dimension = r.dimension AND m.source_value = r.source_value)
        """,
        params,
    )
    con.execute("DELETE FROM value_mappings_replaced WHERE replaced_by = $batch OR batch_id = $batch", params)


# --------------------------------------------------------------------------- report


def report_lines(values: pd.DataFrame, lang: str, limit: int = 20) -> list[str]:
    """Lines for the CLI report: per dimension, the values the database has not seen
    (or that are mapped), with row counts, what happens to them and the suggestion."""
    shown = unknown_values(values)
    lines: list[str] = []
    for dimension in dict.fromkeys(shown["dimension"]):
        part = shown.loc[shown["dimension"] == dimension]
        name = t(f"imports.field.{dimension}", lang)
        heading = t("imports.values.heading", lang, dimension=name, count=len(part))
        lines.append(heading[:1].upper() + heading[1:])
        for v, rows, status, target, suggestion in zip(
            part["value"].head(limit), part["rows"].head(limit), part["status"].head(limit),
            part["target"].head(limit), part["suggestion"].head(limit),
        ):
            rows = format_number(rows, lang)
            if status == "new" and suggestion:
                text = t("imports.values.line.suggest", lang, value=v, rows=rows, suggestion=suggestion,
                         option=f"{dimension}:{v}={suggestion}")
            elif status == "new":
                text = t("imports.values.line.new", lang, value=v, rows=rows)
            else:
                text = t(f"imports.values.line.{status}", lang, value=v, rows=rows, target=target)
            lines.append(text)
        if len(part) > limit:
            lines.append(t("imports.values.more", lang, count=len(part) - limit))
    return lines
