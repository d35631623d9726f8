"""Survey tools' export layouts: which tool wrote a file, its header rows, metadata columns and question columns.

Recognised layouts (the first that fits wins):

* 问卷星 (``wjx``): 序号, 提交答卷时间, 所用时间 (``105秒``), 来源, 来源详情, 来自IP, then
  ``N、题干``; a matrix's items ``N、题干—子项`` (also ``:`` ``：`` ``-`` ``_``); in the
  "按选项序号" download a multiple choice comes as one 0/1 column per option ``N(选项)``
  (and a matrix item may be ``N(子项)``). Skipped answers: ``(跳过)``, ``(空)``, ``-3``, ``-2``.
* 腾讯问卷 (``tencent``): 编号, 开始答题时间, 结束答题时间, 答题时长 … then ``Q1.题干`` /
  ``Q1:题干`` / ``1.题干`` / ``Q1``; matrix items suffixed ``-子项`` or ``:子项``; trailing
  empty columns dropped.
* Google Forms (``google_forms``): Timestamp (时间戳记), Email address, then one column per
  question; matrix items ``Question [Row]``; multiple choice joined by ``, ``.
* Qualtrics (``qualtrics``): three header rows — QIDs (``Q2_1``), question text, ImportId JSON;
  ``_NPS_GROUP`` helper columns set aside, ``_TEXT`` columns kept as open text; a matrix's
  text is ``Stem - Item``.
* SurveyMonkey (``surveymonkey``): two header rows — the question (blank over its further
  columns), then ``Response`` / ``Open-Ended Response``, a matrix's items or the options of a
  multiple choice (a chosen option's cell holds its label).
* Microsoft Forms (``ms_forms``): ID, Start time, Completion time, Email, Name, then one
  column per question; multiple choice joined by ``;``.
* Plain Excel/CSV (``excel``): one row per respondent, one column per question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pandas as pd

from crm.intake.fileformats import normalise_header

TOOLS = ("wjx", "tencent", "google_forms", "qualtrics", "surveymonkey", "ms_forms", "excel")

# Metadata roles: what a set-aside column is.
SUBMITTED, STARTED, DURATION, RESPONDENT, SOURCE, IP, OTHER = (
    "submitted_at", "started_at", "duration", "respondent_id", "source", "ip", "other")

SKIPPED = frozenset({"", "(跳过)", "(空)", "（跳过）", "（空）"})
WJX_SKIPPED = SKIPPED | {"-3", "-2"}

_BLANK_HEADER = re.compile(r"^column_\d+$")


@dataclass
class Source:
    """One question as found in the file, before classification.

    ``columns`` are the file's columns holding its answers (several for a multiple choice
    spread over 0/1 or label columns, then ``options`` names them in order); ``key`` is the
    name the user sees and overrides by (the header, or 'question / sub-item' under a blank
    SurveyMonkey header).
    """

    key: str
    columns: list[str]
    text: str
    group_text: str | None = None
    item_text: str | None = None
    options: list[str] | None = None   # option columns of a spread multiple choice
    spread: str | None = None          # 'binary' (0/1 cells) or 'label' (cells hold the option label)
    number: str | None = None
    kind: str | None = None            # known from the layout (Qualtrics text entry), else classified


@dataclass
class Layout:
    """A survey file understood as a table of answers: ``frame`` (text, index = the file's row number)."""

    tool: str
    frame: pd.DataFrame
    metadata: dict[str, str] = field(default_factory=dict)   # column -> role
    sources: list[Source] = field(default_factory=list)
    skipped: frozenset = SKIPPED
    multi_separator: str | None = None


_META_NAMES = {
    "wjx": {"序号": RESPONDENT, "提交答卷时间": SUBMITTED, "所用时间": DURATION, "来源": SOURCE, "来源详情": SOURCE,
            "来自ip": IP, "总分": OTHER, "答题序号": RESPONDENT, "开始答题时间": STARTED},
    "tencent": {"编号": RESPONDENT, "开始答题时间": STARTED, "结束答题时间": SUBMITTED, "答题时长": DURATION,
                "ip": IP, "来源": SOURCE, "渠道": SOURCE, "地理位置国家和地区": OTHER, "地理位置省": OTHER,
                "地理位置市": OTHER, "自定义字段": OTHER, "用户类型": OTHER, "用户标识": OTHER, "昵称": OTHER,
                "答题状态": OTHER, "提交时间": SUBMITTED, "ip地址": IP, "总分": OTHER},
    "google_forms": {"timestamp": SUBMITTED, "时间戳记": SUBMITTED, "时间戳": SUBMITTED, "score": OTHER,
                     "分数": OTHER, "总分": OTHER},
    "qualtrics": {"startdate": STARTED, "enddate": OTHER, "status": OTHER, "ipaddress": IP, "progress": OTHER,
                  "duration": DURATION, "durationinseconds": DURATION, "finished": OTHER,
                  "recordeddate": SUBMITTED, "responseid": RESPONDENT, "recipientlastname": OTHER,
                  "recipientfirstname": OTHER, "locationlatitude": OTHER, "locationlongitude": OTHER,
                  "distributionchannel": SOURCE, "userlanguage": OTHER, "qrecaptchascore": OTHER},
    "surveymonkey": {"respondentid": RESPONDENT, "collectorid": SOURCE, "startdate": STARTED, "enddate": SUBMITTED,
                     "ipaddress": IP, "firstname": OTHER, "lastname": OTHER},
    "ms_forms": {"id": RESPONDENT, "starttime": STARTED, "completiontime": SUBMITTED, "name": OTHER,
                 "lastmodifiedtime": OTHER, "totalpoints": OTHER, "quizfeedback": OTHER, "gradepostedtime": OTHER},
    "excel": {"提交时间": SUBMITTED, "提交答卷时间": SUBMITTED, "答题时间": SUBMITTED, "填写时间": SUBMITTED,
              "时间": SUBMITTED, "日期": SUBMITTED, "submittedat": SUBMITTED, "submitted": SUBMITTED,
              "timestamp": SUBMITTED, "date": SUBMITTED, "responsedate": SUBMITTED, "序号": RESPONDENT,
              "编号": RESPONDENT, "respondentid": RESPONDENT, "responseid": RESPONDENT, "ip": IP,
              "来源": SOURCE, "source": SOURCE, "所用时间": DURATION, "答题时长": DURATION, "duration": DURATION,
              "姓名": OTHER, "name": OTHER},
}
# Every header a survey tool writes, normalised: picks an Excel workbook's survey sheet.
KNOWN_HEADERS = frozenset(h for names in _META_NAMES.values() for h in names)

_WJX_QUESTION = re.compile(r"^(\d+)、\s*(.*)$", re.S)
_WJX_OPTION = re.compile(r"^(\d+)\s*([(（].*[)）])$", re.S)
_TENCENT_QUESTION = re.compile(r"^(?:Q|q)?(\d+)(?:[.:：、．]\s*(.*))?$", re.S)
_GOOGLE_ITEM = re.compile(r"^(.*?)\s*\[(.+)\]$", re.S)
_PLAIN_NUMBER = re.compile(r"^(?:Q|q|第)?(\d+)(?:题)?\s*[.:：、．)]\s*(.+)$", re.S)
_MATRIX_SEPARATORS = ("——", "—", "：", ":", " - ", "-", "_")


def detect(columns: list[str], frame: pd.DataFrame) -> str:
    """The tool that wrote a file with these header names (and first rows)."""
    names = {normalise_header(c) for c in columns}
    first = [str(v) for v in frame.iloc[1].tolist()] if len(frame) > 1 else []
    if {"startdate", "responseid"} <= names or any(v.startswith('{"ImportId"') for v in first):
        return "qualtrics"
    if {"respondentid", "collectorid"} <= names:
        return "surveymonkey"
    if {"序号", "提交答卷时间"} <= names or ({"序号", "所用时间"} <= names) or {"来自ip", "来源详情"} <= names:
        return "wjx"
    if "编号" in names and names & {"开始答题时间", "结束答题时间", "答题时长"}:
        return "tencent"
    if names & {"timestamp", "时间戳记"} and (names & {"emailaddress", "电子邮件地址"} or len(columns) > 1):
        return "google_forms"
    if {"id", "starttime", "completiontime"} <= names:
        return "ms_forms"
    return "excel"


def understand(columns: list[str], frame: pd.DataFrame) -> Layout:
    """The layout of a file read with one header row (`frame` has `columns`, strings)."""
    tool = detect(columns, frame)
    return {"wjx": _wjx, "tencent": _tencent, "google_forms": _google, "qualtrics": _qualtrics,
            "surveymonkey": _surveymonkey, "ms_forms": _ms_forms, "excel": _plain}[tool](columns, frame)


def _metadata(tool: str, columns: list[str]) -> dict[str, str]:
    names = _META_NAMES[tool]
    return {c: names[normalise_header(c)] for c in columns if normalise_header(c) in names}


def _split_matrix(texts: list[str]) -> tuple[str, list[str]] | None:
    """A common stem and each text's item, when every text is stem + one separator + item."""
    for sep in _MATRIX_SEPARATORS:
        if all(sep in t for t in texts):
            stems = {t.rsplit(sep, 1)[0].strip() for t in texts}
            if len(stems) == 1:
                return stems.pop(), [t.rsplit(sep, 1)[1].strip() for t in texts]
    return None


def _numbered(tool: str, columns: list[str], frame: pd.DataFrame, pattern: re.Pattern,
              option_pattern: re.Pattern | None, metadata: dict[str, str]) -> list[Source]:
    """Questions headed 'N<sep>text', grouped by N into matrices and spread multiple choices
    ('5(价格实惠)', '5(质量好)' or '5、原因(价格实惠)' … holding 0/1)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for column in columns:
        if column in metadata:
            continue
        found = pattern.match(column) or (option_pattern.match(column) if option_pattern else None)
        if not found:
            continue
        groups.setdefault(found.group(1), []).append((column, (found.group(2) or column).strip()))
    sources: list[Source] = []
    for number, members in groups.items():
        if len(members) == 1:
            column, text = members[0]
            sources.append(Source(key=column, columns=[column], text=text, number=number))
            continue
        options = [_OPTION_SUFFIX.match(text) for _, text in members]
        if all(options) and len({o.group(1).strip() for o in options}) == 1 \
                and _binary(frame[[m[0] for m in members]]):
            stem = options[0].group(1).strip() or number
            sources.append(Source(key=members[0][0], columns=[m[0] for m in members], text=stem,
                                  options=[o.group(2).strip() for o in options], spread="binary", number=number))
            continue
        split = _split_matrix([text for _, text in members])
        if split is None and all(options) and len({o.group(1).strip() for o in options}) == 1:
            split = (options[0].group(1).strip(), [o.group(2).strip() for o in options])
        for i, (column, text) in enumerate(members):
            group, item = (split[0], split[1][i]) if split else (None, None)
            sources.append(Source(key=column, columns=[column], text=text, group_text=group, item_text=item,
                                  number=number))
    return sources


_OPTION_SUFFIX = re.compile(r"^(.*?)\s*[(（]([^()（）]+)[)）]$", re.S)


def _binary(cells: pd.DataFrame) -> bool:
    values = {str(v).strip() for v in pd.unique(cells.to_numpy().ravel()) if v is not None}
    return values <= {"0", "1", "", "-2", "-3"} and bool(values & {"0", "1"})


def _drop_trailing_blank(columns: list[str], frame: pd.DataFrame) -> list[str]:
    """Columns without a header and without a value (tools pad their exports) left out."""
    return [c for c in columns if not (_BLANK_HEADER.match(c) and not frame[c].str.strip().astype(bool).any())]


def _wjx(columns, frame) -> Layout:
    meta = _metadata("wjx", columns)
    sources = _numbered("wjx", columns, frame, _WJX_QUESTION, _WJX_OPTION, meta)
    return Layout("wjx", frame, meta, sources, skipped=WJX_SKIPPED, multi_separator="┋")


def _tencent(columns, frame) -> Layout:
    columns = _drop_trailing_blank(columns, frame)
    meta = _metadata("tencent", columns)
    sources = _numbered("tencent", columns, frame, _TENCENT_QUESTION, None, meta)
    return Layout("tencent", frame[columns], meta, sources, multi_separator="┋")


def _google(columns, frame) -> Layout:
    meta = _metadata("google_forms", columns)
    sources: list[Source] = []
    for column in columns:
        if column in meta or _is_email(column):
            continue
        item = _GOOGLE_ITEM.match(column)
        if item:
            sources.append(Source(key=column, columns=[column], text=column, group_text=item.group(1).strip(),
                                  item_text=item.group(2).strip()))
        else:
            sources.append(Source(key=column, columns=[column], text=column))
    return Layout("google_forms", frame, meta, sources, multi_separator=", ")


def _is_email(column: str) -> bool:
    return normalise_header(column) in {"emailaddress", "电子邮件地址", "email", "邮箱", "电子邮箱", "recipientemail"}


def _qualtrics(columns, frame) -> Layout:
    texts = frame.iloc[0].tolist() if len(frame) else [""] * len(columns)
    imports = frame.iloc[1].tolist() if len(frame) > 1 else [""] * len(columns)
    body = frame.iloc[2:] if len(frame) > 1 and str(imports[0]).startswith("{") else frame.iloc[1:]
    meta = _metadata("qualtrics", columns)
    sources: list[Source] = []
    groups: dict[str, list[int]] = {}
    import_ids: dict[int, str] = {}
    for i, column in enumerate(columns):
        if column in meta:
            continue
        try:
            import_id = json.loads(imports[i]).get("ImportId", "")
        except (ValueError, TypeError, AttributeError):
            import_id = column if re.match(r"^Q", column) else ""
        if column.endswith(("_NPS_GROUP", "_DO")) or str(import_id).endswith("_DO"):  # NPS groups, display orders
            meta[column] = OTHER
            continue
        if not str(import_id).startswith("QID"):
            meta[column] = OTHER  # embedded data and other fields Qualtrics adds
            continue
        base = re.sub(r"(_\d+)?(_TEXT)?$", "", column)
        groups.setdefault(base, []).append(i)
        import_ids[i] = import_id
    for base, positions in groups.items():
        items = [i for i in positions if not columns[i].endswith("_TEXT")]
        split = _split_matrix([str(texts[i]) for i in items]) if len(items) > 1 else None
        parent = split[0] if split else (str(texts[items[0]]).strip() if items else None)
        for i in positions:
            text = str(texts[i]).strip() or columns[i]
            if columns[i].endswith("_TEXT") and items:  # the text typed beside a choice ('Other - Text')
                item = text[len(parent) + 3:] if parent and text.startswith(parent + " - ") else None
                sources.append(Source(key=columns[i], columns=[columns[i]], text=text, group_text=parent,
                                      item_text=item, kind="text"))
            elif columns[i].endswith("_TEXT") or str(import_ids[i]).endswith("_TEXT"):
                sources.append(Source(key=columns[i], columns=[columns[i]], text=text, kind="text"))
            elif split:
                sources.append(Source(key=columns[i], columns=[columns[i]], text=text, group_text=split[0],
                                      item_text=split[1][items.index(i)]))
            else:
                sources.append(Source(key=columns[i], columns=[columns[i]], text=text))
    return Layout("qualtrics", body, meta, sources, multi_separator=",")


def _surveymonkey(columns, frame) -> Layout:
    subs = [str(v).strip() for v in frame.iloc[0].tolist()] if len(frame) else [""] * len(columns)
    body = frame.iloc[1:]
    meta = _metadata("surveymonkey", columns)
    for c in columns:
        if _is_email(c) or normalise_header(c).startswith("customdata"):
            meta.setdefault(c, OTHER)
    groups: list[tuple[str, list[int]]] = []
    for i, column in enumerate(columns):
        if column in meta:
            continue
        if _BLANK_HEADER.match(column) and groups and groups[-1][1][-1] == i - 1:
            groups[-1][1].append(i)
        elif not _BLANK_HEADER.match(column):
            groups.append((column, [i]))
    sources: list[Source] = []
    for question, positions in groups:
        if len(positions) == 1 and subs[positions[0]] in ("Response", "Open-Ended Response", ""):
            sources.append(Source(key=question, columns=[question], text=question))
            continue
        cols = [columns[i] for i in positions]
        keys = [question if i == positions[0] else f"{question} / {subs[i]}" for i in positions]
        label_cells = [i for i in positions if subs[i] not in ("Other (please specify)", "Open-Ended Response")
                       and set(body[columns[i]].str.strip().unique()) <= {"", subs[i]}]
        if len(label_cells) >= 2:
            sources.append(Source(key=question, columns=[columns[i] for i in label_cells], text=question,
                                  options=[subs[i] for i in label_cells], spread="label"))
            rest = [i for i in positions if i not in label_cells]
            for i in rest:
                sources.append(Source(key=keys[positions.index(i)], columns=[columns[i]],
                                      text=f"{question} - {subs[i]}", group_text=question, item_text=subs[i]))
            continue
        for i, column, key in zip(positions, cols, keys):
            sources.append(Source(key=key, columns=[column], text=f"{question} - {subs[i]}", group_text=question,
                                  item_text=subs[i]))
    return Layout("surveymonkey", body, meta, sources, multi_separator=None)


def _ms_forms(columns, frame) -> Layout:
    meta = _metadata("ms_forms", columns)
    sources = []
    for column in columns:
        if column in meta or _is_email(column) or re.match(r"^(Points|Feedback) - ", column):
            if column not in meta and not _is_email(column):
                meta[column] = OTHER
            continue
        sources.append(Source(key=column, columns=[column], text=column))
    return Layout("ms_forms", frame, meta, sources, multi_separator=";")


def _plain(columns, frame) -> Layout:
    columns = _drop_trailing_blank(columns, frame)
    meta = _metadata("excel", columns)
    sources = []
    numbered: dict[str, list[str]] = {}
    for column in columns:
        if column in meta:
            continue
        found = _PLAIN_NUMBER.match(column)
        text = found.group(2).strip() if found else column
        sources.append(Source(key=column, columns=[column], text=text, number=found.group(1) if found else None))
        if found:
            numbered.setdefault(found.group(1), []).append(len(sources) - 1)
    for positions in numbered.values():  # '3. 满意度—质量', '3. 满意度—价格': a matrix
        if len(positions) > 1:
            split = _split_matrix([sources[p].text for p in positions])
            if split:
                for p, item in zip(positions, split[1]):
                    sources[p].group_text, sources[p].item_text = split[0], item
    return Layout("excel", frame[columns], meta, sources, multi_separator=None)
