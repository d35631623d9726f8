"""Survey imports: read an export, show what was understood (a plan), write it as one batch in one transaction.

``prepare_survey`` reads the file (``crm.intake.fileformats``, hostile spreadsheets in the isolated
reader), recognises the tool and its header rows (``layouts``), classifies the questions
(``questions``), links respondents to customers (``linkage``), converts every answer and validates:

* a response without any answer (an empty row) is rejected;
* a respondent already seen in the file (same identifying value, or the tool's respondent id)
  is rejected, naming the first row;
* an answer outside its question's scale, or a label outside its Likert set, is reported with
  its row and column and not stored (the rest of the response is).

It writes nothing. ``commit_survey`` writes the plan as import batch (``table_name`` 'surveys'):
the survey, its questions, responses (customer_id when linked, else respondent_key kept) and
answers, then raises the data version. The very same file (by SHA-256) already in an active batch
adds nothing. Undo is the batch undo of ``crm.intake.imports.undo_batch``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from crm.errors import CRMInputError, Translated
from crm.i18n import normalise_language, t
from crm.intake.fileformats import TEXT_EXTENSIONS, read_raw
from crm.intake.surveys import layouts, linkage
from crm.intake.surveys.questions import Question, answered, apply_override, classify
from crm.store import db

TABLE_NAME = "surveys"
QUESTION_COLUMNS = ["question_id", "position", "source_column", "text", "group_text", "item_text", "kind",
                    "dimension", "measure", "scale_min", "scale_max", "reverse_scored", "options"]
ISSUES = ("out_of_scale", "unknown_label", "duplicate_respondent", "empty_response")
MULTI_JOIN = "┋"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class SurveyPlan:
    """What importing a survey export would write, for the user to check first.

    ``questions`` has ``QUESTION_COLUMNS`` (options as a JSON list) plus ``answers`` (how many cells
    answered it); ``metadata`` the set-aside columns and their role; ``link`` the identifying column,
    its method and matched / unmatched counts with every candidate; ``issues`` the validation report
    (``row_number`` in the file, ``column``, ``value``, ``issue`` one of ``ISSUES``, ``first_row`` for a
    duplicate); ``responses`` and ``answers`` the rows to write.
    """

    file_name: str
    file_hash: str
    tool: str
    title: str
    wave: str | None
    language: str
    survey_id: str
    metadata: pd.DataFrame
    questions: pd.DataFrame
    link: linkage.Link
    issues: pd.DataFrame
    responses: pd.DataFrame
    answers: pa.Table
    rows_total: int
    rows_rejected: int
    overrides: dict = field(default_factory=dict)
    already_imported: bool = False
    existing_batch_id: int | None = None
    source: dict = field(default_factory=dict)

    @property
    def rows_accepted(self) -> int:
        return len(self.responses)

    @property
    def matched(self) -> int:
        return int(self.responses["customer_id"].notna().sum())

    @property
    def unmatched(self) -> int:
        return self.rows_accepted - self.matched

    def issue_texts(self, lang: str) -> pd.Series:
        """The validation report's messages in `lang`, aligned with ``issues``."""
        lang = normalise_language(lang)
        return pd.Series([
            t(f"surveys_import.issue.{r.issue}", lang, value=r.value, low=_num(r.low), high=_num(r.high),
              first=r.first_row)
            for r in self.issues.itertuples()
        ], index=self.issues.index, dtype="string[pyarrow]")


@dataclass
class SurveyResult:
    batch_id: int | None
    survey_id: str
    responses: int
    answers: int
    matched: int
    skipped_duplicate_file: bool = False


def _num(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:g}"


# --------------------------------------------------------------------------- reading


def read_survey(data: bytes, file_name: str, *, encoding: str | None = None, sheet: str | None = None):
    """The file's layout (``layouts.Layout``) and how it was read; CRMInputError when it is no table."""
    from crm.intake import imports

    if len(data) > imports.MAX_IMPORT_BYTES:
        raise CRMInputError("imports.error.file_too_large", file=file_name, size_mb=round(len(data) / 2**20, 1),
                            limit_mb=round(imports.MAX_IMPORT_BYTES / 2**20, 1))
    try:
        raw = read_raw(data, file_name, encoding=encoding, sheet=sheet, known_headers=layouts.KNOWN_HEADERS)
    except CRMInputError as exc:
        # Chinese survey tools write GBK: a file the detector cannot place (box-drawing '┋' and repeated
        # labels look like noise to it) is read as GB18030 when it decodes as such, else refused as before
        if encoding is not None or exc.key != "imports.error.not_a_table" \
                or not file_name.lower().endswith(TEXT_EXTENSIONS):
            raise
        try:
            raw = read_raw(data, file_name, encoding="gb18030", known_headers=layouts.KNOWN_HEADERS)
        except CRMInputError:
            raise exc from None
    frame = raw.to_pandas()
    layout = layouts.understand(list(raw.columns), frame)
    return layout, dict(raw.info)


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                 "%Y/%m/%d", "%Y/%m/%d %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M",
                 "%m/%d/%Y", "%m/%d/%y %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S",
                 "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")


def parse_times(values: pd.Series) -> pd.Series:
    """Submission times as the tools write them ('2026/3/12 14:05:33', '3/12/2026 2:05:33 PM',
    '2026/03/12 2:05:33 下午 GMT+8', '2026/3/1 上午10:00:00', Excel serials); NaT when unreadable."""
    text = values.astype("string[pyarrow]").str.strip()
    odd = text.str.contains(r"上午|下午|GMT|UTC|:\d\d\.\d", regex=True).fillna(False).astype(bool)
    if odd.any():  # rewritten only where needed: these replacements run in Python
        fixed = (text[odd].str.replace(r"\s*(GMT|UTC)([+-]\d{1,2}(:?\d{2})?)?$", "", regex=True)
                 .str.replace(r"上午\s*([\d:]+)", r"\1 AM", regex=True)
                 .str.replace(r"下午\s*([\d:]+)", r"\1 PM", regex=True)
                 .str.replace(r"([\d:]+)\s*上午", r"\1 AM", regex=True)
                 .str.replace(r"([\d:]+)\s*下午", r"\1 PM", regex=True)
                 .str.replace(r"(:\d{2})\.\d+$", r"\1", regex=True))
        text = text.mask(odd, fixed)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    for fmt in _TIME_FORMATS:
        missing = parsed.isna() & text.notna()
        if not missing.any():
            break
        parsed = parsed.fillna(pd.to_datetime(text.where(missing), format=fmt, errors="coerce"))
    missing = parsed.isna() & text.notna()
    if missing.any():
        serial = pd.to_numeric(text.where(missing), errors="coerce")
        serial = serial.where(serial.between(20000, 80000))
        if serial.notna().any():
            parsed = parsed.fillna(pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D"))
    return parsed.astype("datetime64[us]")


def parse_durations(values: pd.Series) -> pd.Series:
    """Seconds from '105秒', '2分5秒', '1小时2分', '00:01:45', '105' (NaN when unreadable)."""
    text = values.astype("string[pyarrow]").str.strip()
    distinct = pd.Series(text.dropna().unique(), dtype="string[pyarrow]")
    parts = distinct.str.extract(r"^(?:(\d+)\s*(?:小时|时|h))?\s*(?:(\d+)\s*(?:分钟|分|m|min))?\s*(?:(\d+(?:\.\d+)?)\s*(?:秒|s|sec))?$")
    hours, minutes, seconds = (pd.to_numeric(parts[i], errors="coerce") for i in range(3))
    named = (hours.fillna(0) * 3600 + minutes.fillna(0) * 60 + seconds.fillna(0)).where(
        hours.notna() | minutes.notna() | seconds.notna())
    clock = distinct.str.extract(r"^(\d+):(\d{2}):(\d{2})$").apply(pd.to_numeric, errors="coerce")
    clocked = clock[0] * 3600 + clock[1] * 60 + clock[2]
    plain = pd.to_numeric(distinct, errors="coerce")
    result = plain.fillna(named).fillna(clocked)
    return text.map(dict(zip(distinct.tolist(), result.tolist()))).astype("float64")


# --------------------------------------------------------------------------- planning


def prepare_survey(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, *, title: str | None = None,
                   overrides: dict | None = None, link_column: str | None = None, wave: str | None = None,
                   encoding: str | None = None, sheet: str | None = None) -> SurveyPlan:
    """Read, understand, link and validate a survey export; write nothing (see the module docstring).

    `overrides`: source column → {kind, dimension, measure, reverse, scale_min, scale_max} (as
    ``questions.parse_spec`` gives them). `link_column`: the identifying column ('' for none; None
    chooses the best). Raises CRMInputError for a file that is no survey.
    """
    layout, info = read_survey(data, file_name, encoding=encoding, sheet=sheet)
    frame = layout.frame
    if frame.empty:
        raise CRMInputError("imports.error.no_rows", file=file_name)
    file_hash = hashlib.sha256(data).hexdigest()
    survey_id = "S" + file_hash[:12]

    wording = {s.columns[0]: s.text for s in layout.sources if len(s.columns) == 1}
    candidates = linkage.find_candidates(list(frame.columns), wording)
    link = linkage.link(con, frame, candidates, link_column)
    identifying = {c for c, _ in candidates} | ({link.column} if link.column else set())

    questions: list[Question] = []
    values: dict[str, pd.Series] = {}
    for source in layout.sources:
        if set(source.columns) & identifying:
            continue
        cells = {c: answered(frame[c], layout.skipped) for c in source.columns}
        question = classify(source, cells[source.columns[0]], separator=layout.multi_separator,
                            matrix=source.group_text is not None)
        questions.append(question)
        values.update(cells)
    _share_matrix_scales(questions)
    _refuse_non_surveys(layout, questions, file_name)
    if overrides and not isinstance(overrides, dict):  # ((column, ((name, value), …)), …) from a cached caller
        overrides = {column: dict(spec) for column, spec in overrides}
    overrides = {k: dict(v) for k, v in (overrides or {}).items() if v}
    keys = {q.key for q in questions}
    for key in overrides:
        if key not in keys:
            raise CRMInputError("surveys_import.error.unknown_question", column=key,
                                choices=", ".join(sorted(keys)[:20]))
    questions = [apply_override(q, overrides[q.key]) if q.key in overrides else q for q in questions]
    for position, q in enumerate(questions, start=1):
        q.position, q.question_id = position, f"Q{position:02d}"

    rows = frame.index.to_numpy()
    converted, issues = _convert(questions, values, rows, layout.multi_separator)
    answered_any = np.zeros(len(frame), dtype=bool)
    for num, text in converted.values():
        answered_any |= ~np.isnan(num) | ~pd.isna(text)

    respondent = _respondent_keys(layout, frame, link)
    duplicate = respondent.notna().to_numpy() & respondent.duplicated(keep="first").to_numpy()
    first_row = pd.Series(rows, index=frame.index).groupby(respondent.to_numpy(), dropna=True).transform("first")
    rejected = []
    if duplicate.any():
        rejected.append(pd.DataFrame({
            "row_number": rows[duplicate], "column": link.column or _role_column(layout, layouts.RESPONDENT),
            "value": respondent.to_numpy()[duplicate], "issue": "duplicate_respondent",
            "first_row": first_row.to_numpy()[duplicate]}))
    empty = ~answered_any & ~duplicate
    if empty.any():
        rejected.append(pd.DataFrame({"row_number": rows[empty], "column": None, "value": None,
                                      "issue": "empty_response", "first_row": None}))
    keep = answered_any & ~duplicate
    issues = pd.concat([f for f in [issues, *rejected] if len(f)] or [_empty_issues()], ignore_index=True)
    issues = issues.reindex(columns=["row_number", "column", "value", "issue", "first_row", "low", "high"])
    issues = issues.sort_values(["row_number", "issue"], kind="stable").reset_index(drop=True)

    submitted = _submitted(layout, frame)
    response_ids = pd.Series([f"{survey_id}-{int(r)}" for r in rows], index=frame.index, dtype="string[pyarrow]")
    respondent_key = _respondent_key_kept(layout, frame, link)
    responses = pd.DataFrame({
        "response_id": response_ids, "customer_id": link.customer_ids.astype("string[pyarrow]"),
        "submitted_at": submitted, "respondent_key": respondent_key.where(link.customer_ids.isna()),
        "link_method": pd.Series(link.method, index=frame.index, dtype="string[pyarrow]").where(link.customer_ids.notna()),
        "duration_seconds": _durations(layout, frame),
    }).loc[keep].reset_index(drop=True)
    answers = _answers(questions, converted, response_ids.to_numpy(), keep)

    qframe = pd.DataFrame([q.row() for q in questions]).reindex(columns=QUESTION_COLUMNS)
    qframe["answers"] = [int(np.sum(keep & (~np.isnan(converted[q.question_id][0])
                                            | ~pd.isna(converted[q.question_id][1])))) for q in questions]
    metadata = pd.DataFrame({"column": list(layout.metadata), "role": list(layout.metadata.values())},
                            columns=["column", "role"])
    existing = db.scalar(con, """SELECT max(batch_id) FROM import_batches
                                 WHERE status = 'active' AND table_name = $t AND file_hash = $h""",
                         {"t": TABLE_NAME, "h": file_hash})
    texts = " ".join(q.text for q in questions)
    return SurveyPlan(
        file_name=file_name, file_hash=file_hash, tool=layout.tool,
        title=(title or "").strip() or PurePath(file_name).stem, wave=wave or _wave(responses["submitted_at"]),
        language="zh" if _CJK.search(texts) else "en", survey_id=survey_id, metadata=metadata, questions=qframe,
        link=link, issues=issues, responses=responses, answers=answers, rows_total=len(frame),
        rows_rejected=int((~keep).sum()), overrides=overrides, already_imported=existing is not None,
        existing_batch_id=None if existing is None else int(existing), source={**info, "tool": layout.tool},
    )


def _share_matrix_scales(questions: list[Question]) -> None:
    """Numeric rating items of one matrix share its widest scale (one item answered only 1–4 is still on 1–5)."""
    groups: dict[str, list[Question]] = {}
    for q in questions:
        if q.kind == "rating" and q.group_text and not q.options:
            groups.setdefault(q.group_text, []).append(q)
    for items in groups.values():
        low, high = min(q.scale_min for q in items), max(q.scale_max for q in items)
        for q in items:
            q.scale_min, q.scale_max = low, high


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(columns=["row_number", "column", "value", "issue", "first_row", "low", "high"])


def _refuse_non_surveys(layout: layouts.Layout, questions: list[Question], file_name: str) -> None:
    """A file with no question, or a plain table that holds customers, orders or tickets."""
    from crm.intake import imports

    if layout.tool == "excel":
        for kind in ("orders", "tickets", "customers"):
            found = set(imports.suggest_mapping(list(layout.frame.columns), kind).values())
            required = set(imports.REQUIRED[kind])
            if required <= found and (len(required) > 1 or len(found) >= 3):
                raise CRMInputError("surveys_import.error.looks_like", file=file_name,
                                    kind=Translated(f"data.import.kind.{kind}"))
    if not questions:
        raise CRMInputError("surveys_import.error.no_questions", file=file_name)
    if layout.tool == "excel" and not any(q.kind in ("rating", "nps", "choice", "multi") for q in questions):
        raise CRMInputError("surveys_import.error.not_a_survey", file=file_name)


def _role_column(layout: layouts.Layout, role: str) -> str | None:
    return next((c for c, r in layout.metadata.items() if r == role), None)


def _respondent_keys(layout, frame: pd.DataFrame, link: linkage.Link) -> pd.Series:
    """What identifies a respondent for the duplicate check: the link value, else the tool's respondent id."""
    if link.column:
        return linkage.normalised_keys(frame[link.column], link.method)
    column = _role_column(layout, layouts.RESPONDENT)
    if column:
        text = frame[column].astype("string[pyarrow]").str.strip()
        return text.mask(text == "")
    return pd.Series(pd.NA, index=frame.index, dtype="string[pyarrow]")


def _respondent_key_kept(layout, frame: pd.DataFrame, link: linkage.Link) -> pd.Series:
    if link.column:
        text = frame[link.column].astype("string[pyarrow]").str.strip()
        return text.mask(text == "")
    return _respondent_keys(layout, frame, link)


def _submitted(layout, frame: pd.DataFrame) -> pd.Series:
    column = _role_column(layout, layouts.SUBMITTED) or _role_column(layout, layouts.STARTED)
    if column is None:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    return parse_times(frame[column])


def _durations(layout, frame: pd.DataFrame) -> pd.Series:
    column = _role_column(layout, layouts.DURATION)
    if column is not None:
        return parse_durations(frame[column])
    start, end = _role_column(layout, layouts.STARTED), _role_column(layout, layouts.SUBMITTED)
    if start and end:
        seconds = (parse_times(frame[end]) - parse_times(frame[start])).dt.total_seconds()
        return seconds.where(seconds >= 0)
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def _wave(submitted: pd.Series) -> str | None:
    """'2026-Q1': the quarter of the median submission time."""
    times = submitted.dropna()
    if times.empty:
        return None
    middle = times.sort_values().iloc[len(times) // 2]
    return f"{middle.year}-Q{(middle.month - 1) // 3 + 1}"


def _convert(questions: list[Question], values: dict[str, pd.Series], rows: np.ndarray, separator: str | None):
    """Per question (value_num array, value_text array) aligned with the file's rows, and the cell issues."""
    from crm.intake.surveys import labels

    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    issues = []
    n = len(rows)
    for q in questions:
        nums = np.full(n, np.nan)
        texts = np.full(n, None, dtype=object)
        cells = values[q.columns[0]]
        if q.kind == "multi":
            texts = _multi(q, values, separator).to_numpy(dtype=object, na_value=None)
        elif q.kind in ("rating", "nps"):
            parsed = labels.to_scale(cells, q.options if q.kind == "rating" else None)
            present = cells.notna().to_numpy()
            number = parsed.to_numpy(dtype="float64", na_value=np.nan)
            unknown = present & np.isnan(number)
            outside = ~np.isnan(number) & ((number < q.scale_min) | (number > q.scale_max))
            for mask, issue in ((unknown, "unknown_label"), (outside, "out_of_scale")):
                if mask.any():
                    issues.append(pd.DataFrame({"row_number": rows[mask], "column": q.key,
                                                "value": cells.to_numpy(dtype=object)[mask], "issue": issue,
                                                "low": q.scale_min, "high": q.scale_max}))
            nums = np.where(outside, np.nan, number)
        else:
            texts = cells.to_numpy(dtype=object, na_value=None)
        out[q.question_id] = (nums, texts)
    frame = pd.concat(issues, ignore_index=True) if issues else _empty_issues()
    return out, frame


def _multi(q: Question, values: dict[str, pd.Series], separator: str | None) -> pd.Series:
    """A multiple choice's chosen labels joined by '┋' (NA when none)."""
    from crm.intake.surveys import labels

    first = values[q.columns[0]]
    if q.spread:
        joined = pd.Series("", index=first.index, dtype="string[pyarrow]")
        for column, option in zip(q.columns, q.options or []):
            cells = values[column]
            chosen = (cells == "1") if q.spread == "binary" else cells.notna()
            joined = joined + chosen.fillna(False).map({True: option + MULTI_JOIN, False: ""}).astype("string[pyarrow]")
        joined = joined.str.rstrip(MULTI_JOIN)
        return joined.mask(joined == "")
    text = first.astype("string[pyarrow]")
    distinct = pd.Series(text.dropna().unique(), dtype="string[pyarrow]")
    joined = distinct
    if separator and separator != MULTI_JOIN:
        joined = joined.str.replace(separator.strip() or separator, MULTI_JOIN, regex=False)
    joined = joined.str.replace(r"\s*┋\s*", MULTI_JOIN, regex=True).str.strip(MULTI_JOIN + " ")
    text = pd.Series(labels.lookup(text, distinct, joined.to_numpy(dtype=object, na_value=None)), index=text.index,
                     dtype="string[pyarrow]")
    return text.mask(text == "")


def _answers(questions: list[Question], converted: dict, response_ids: np.ndarray, keep: np.ndarray) -> pa.Table:
    """The answers in long form (one row per answered cell of an accepted response), built by index."""
    rows, qidx, nums, texts = [], [], [], []
    for i, q in enumerate(questions):
        num, text = converted[q.question_id]
        has = keep & (~np.isnan(num) | ~pd.isna(text))
        where = np.flatnonzero(has)
        rows.append(where)
        qidx.append(np.full(len(where), i, dtype=np.int32))
        nums.append(num[where])
        texts.append(text[where])
    if not questions:
        return pa.table({"response_id": pa.array([], pa.string()), "question_id": pa.array([], pa.string()),
                         "value_num": pa.array([], pa.float64()), "value_text": pa.array([], pa.string())})
    ids = pa.array(response_ids.astype(str), pa.string())
    qids = pa.array([q.question_id for q in questions], pa.string())
    return pa.table({
        "response_id": ids.take(pa.array(np.concatenate(rows))),
        "question_id": qids.take(pa.array(np.concatenate(qidx))),
        "value_num": pa.array(np.concatenate(nums), pa.float64(), from_pandas=True),
        "value_text": pa.array(np.concatenate(texts), pa.string(), from_pandas=True),
    })


# --------------------------------------------------------------------------- writing


def commit_survey(con: duckdb.DuckDBPyConnection, plan: SurveyPlan) -> SurveyResult:
    """Write `plan` as one import batch in one transaction; the same file already active adds nothing.

    Raises CRMInputError('imports.error.nothing_to_import') when no response was accepted.
    """
    if plan.rows_accepted == 0:
        raise CRMInputError("imports.error.nothing_to_import", file=plan.file_name)
    con.begin()
    try:
        existing = con.execute("""SELECT max(batch_id) FROM import_batches
                                  WHERE status = 'active' AND table_name = $t AND file_hash = $h""",
                               {"t": TABLE_NAME, "h": plan.file_hash}).fetchall()[0][0]
        if existing is not None:
            con.rollback()
            return SurveyResult(int(existing), plan.survey_id, 0, 0, 0, skipped_duplicate_file=True)
        batch = db.next_batch_id(con)
        now = dt.datetime.now().replace(microsecond=0)
        params = {"batch": batch, "survey": plan.survey_id}
        con.execute("INSERT INTO surveys (survey_id, title, source_tool, language, created_at, batch_id, wave) "
                    "VALUES ($survey, $title, $tool, $lang, $at, $batch, $wave)",
                    {**params, "title": plan.title, "tool": plan.tool, "lang": plan.language, "at": now,
                     "wave": plan.wave})
        con.register("_survey_questions", plan.questions)
        con.execute("""
            INSERT INTO survey_questions (survey_id, question_id, position, text, kind, dimension, measure,
                scale_min, scale_max, batch_id, reverse_scored, group_text, item_text, options, source_column)
            SELECT $survey, question_id, position, text, kind, dimension, measure, scale_min, scale_max, $batch,
                   coalesce(reverse_scored, false), group_text, item_text, options, source_column
            FROM _survey_questions ORDER BY position""", params)
        con.register("_survey_responses", plan.responses)
        con.execute("""
            INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id,
                respondent_key, link_method, duration_seconds)
            SELECT response_id, $survey, customer_id, submitted_at, $batch, respondent_key, link_method,
                   duration_seconds
            FROM _survey_responses""", params)
        con.register("_survey_answers", plan.answers)
        con.execute("""
            INSERT INTO survey_answers (response_id, question_id, value_num, value_text, batch_id)
            SELECT response_id, question_id, value_num, value_text, $batch FROM _survey_answers""", {"batch": batch})
        for name in ("_survey_questions", "_survey_responses", "_survey_answers"):
            con.unregister(name)
        con.execute("""
            INSERT INTO import_batches (batch_id, table_name, file_name, file_hash, imported_at, rows_total,
                rows_accepted, rows_rejected, rows_inserted, rows_updated, customers_created, status, mapping)
            VALUES ($batch, $t, $file, $hash, $at, $total, $accepted, $rejected, $accepted, 0, 0, 'active', $map)
            """, {"batch": batch, "t": TABLE_NAME, "file": plan.file_name, "hash": plan.file_hash, "at": now,
                  "total": plan.rows_total, "accepted": plan.rows_accepted, "rejected": plan.rows_rejected,
                  "map": json.dumps({"survey_id": plan.survey_id, "title": plan.title, "tool": plan.tool,
                                     "link_column": plan.link.column, "overrides": plan.overrides},
                                    ensure_ascii=False)})
        db.bump_data_version(con)
        con.commit()
    except BaseException:
        try:
            con.rollback()
        except duckdb.TransactionException:
            pass
        for name in ("_survey_questions", "_survey_responses", "_survey_answers"):
            try:
                con.unregister(name)
            except duckdb.Error:
                pass
        raise
    return SurveyResult(batch, plan.survey_id, plan.rows_accepted, plan.answers.num_rows, plan.matched)

