"""Questions: classify each as rating, NPS, single choice, multiple choice or open text, infer its scale,
and guess the aspect it measures (dimension) and how (measure) from its wording.

Rules, in order, over the answered (non-skipped) cells of a column:

* a multiple choice spread over option columns, or cells joined by the tool's separator
  (``┋`` 问卷星/腾讯, ``, `` Google Forms, ``;`` Microsoft Forms) using a small vocabulary → ``multi``;
* numbers 0–10 under wording about recommending (推荐, recommend, NPS) → ``nps`` (scale 0–10);
* every label in one Likert set (``labels.LIKERT_SETS``) → ``rating`` on 1 … k, labels kept in ``options``;
* numbers, stars or labelled numbers ('5 - Very satisfied') within 0–10, under rating wording (满意, 评价,
  同意, 重要, satisfied, rate, agree …) or in a matrix → ``rating``; scale from the header ('(1-5分)',
  '1~7') or else 1 (0 when a 0 occurs) to the smallest of 3, 4, 5, 7, 10 holding the highest answer;
* a few distinct short answers → ``choice``; anything else → ``text``.

Dimension (ratings only): after-sales, delivery, packaging, price, quality, service by keywords in that
order (售后 before 服务, 物流服务 is delivery), else overall (整体, 总体, overall), else ``other``.
Measure (ratings only): expected (期望, 预期, expect), importance (重要, important), overall for the
overall dimension, else perceived.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import pandas as pd

from crm.intake.surveys import labels
from crm.intake.surveys.layouts import Source

KINDS = ("rating", "nps", "choice", "multi", "text")
DIMENSIONS = ("quality", "price", "delivery", "service", "packaging", "after_sales", "overall", "other")
MEASURES = ("perceived", "expected", "importance", "overall")

_DIMENSION_WORDS = (
    ("after_sales", r"售后|退换|退货|退款|维修|保修|after[- ]?sales?|returns?\b|refund|warranty|repair"),
    ("delivery", r"物流|配送|快递|送货|发货|到货|运送|delivery|shipping|shipment|courier|dispatch"),
    ("packaging", r"包装|packag"),
    ("price", r"价格|性价比|价钱|优惠|费用|价位|price|pricing|value for money|cost|affordab"),
    ("quality", r"质量|品质|做工|耐用|quality|durab|workmanship|reliab"),
    ("service", r"服务|客服|态度|导购|店员|响应|service|support|staff|agent|helpful|courteous"),
)
_OVERALL_WORDS = (r"整体|总体|总的来说|综合|总体而言|本次购物|本店|我们的产品|overall|in general|as a whole|altogether|"
                  r"\bwith us\b|\bour (store|shop|company|brand|products?)\b")
_EXPECTED_WORDS = r"期望|预期|期待|expect"
_IMPORTANCE_WORDS = r"重要|important|importance"
_NPS_WORDS = r"推荐|介绍给|recommend|\bnps\b|net promoter"
_RATING_WORDS = (r"满意|评价|评分|打分|同意|认同|重要|期望|预期|符合|几分|星级|程度|"
                 r"satisf|rate|rating|agree|important|expect|score|stars?\b|how (good|well)|quality of")
_TEXT_WORDS = r"建议|意见|评论|留言|原因|为什么|请说明|请描述|想说|comment|suggest|why\b|feedback|describe|explain|anything else|tell us"
_SCALE_HINT = re.compile(r"(\d+)\s*(?:分|星)?\s*[-~～至到—–]\s*(\d+)\s*(?:分|星)?"
                         # labelled ends: '1=非常不满意，10=非常满意', '1 = Very dissatisfied, 7 = Very satisfied'
                         r"|(?<!\d)(\d+)\s*[=＝:：]\s*[^\d=＝]+?[,，;；、/]\s*(\d+)\s*[=＝:：]")
_SCALES = (5, 7, 10)  # a 1–5 question answered only 1–4 is still on 1–5


@dataclass
class Question:
    """One question as it will be stored (``survey_questions``), with where its answers are."""

    key: str                 # the source column (or 'question / sub-item'): what overrides name
    columns: list[str]
    text: str
    group_text: str | None
    item_text: str | None
    kind: str
    dimension: str | None
    measure: str | None
    scale_min: float | None
    scale_max: float | None
    reverse_scored: bool
    options: list[str] | None
    spread: str | None = None
    question_id: str = ""
    position: int = 0

    def row(self) -> dict:
        out = asdict(self)
        out["source_column"] = out.pop("key")
        out["options"] = json.dumps(self.options, ensure_ascii=False) if self.options else None
        return out


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text or "", re.IGNORECASE) is not None


def guess_dimension(text: str) -> str:
    for dimension, words in _DIMENSION_WORDS:
        if _has(words, text):
            return dimension
    return "overall" if _has(_OVERALL_WORDS, text) else "other"


def guess_measure(text: str, dimension: str | None) -> str:
    if _has(_EXPECTED_WORDS, text):
        return "expected"
    if _has(_IMPORTANCE_WORDS, text):
        return "importance"
    return "overall" if dimension == "overall" else "perceived"


def answered(values: pd.Series, skipped: frozenset) -> pd.Series:
    """The cells as stripped text, NA where skipped or blank."""
    text = values.astype("string[pyarrow]").str.strip()
    return text.mask(text.isin(skipped) | (text == ""))


def classify(source: Source, values: pd.Series, *, separator: str | None, matrix: bool) -> Question:
    """The question a column (already without skipped cells: NA) holds."""
    wording = " ".join(filter(None, [source.group_text, source.text]))
    base = dict(key=source.key, columns=source.columns, text=source.text, group_text=source.group_text,
                item_text=source.item_text, reverse_scored=False, spread=source.spread)
    if source.kind == "text":
        return Question(**base, kind="text", dimension=None, measure=None, scale_min=None, scale_max=None,
                        options=None)
    if source.spread:
        return Question(**base, kind="multi", dimension=None, measure=None, scale_min=None, scale_max=None,
                        options=list(source.options or []))
    present = values.dropna()
    distinct = pd.Series(present.unique(), dtype="string[pyarrow]")
    if distinct.empty:
        return Question(**base, kind="text", dimension=None, measure=None, scale_min=None, scale_max=None,
                        options=None)
    if separator and (separator == "┋" or not _has(_TEXT_WORDS, wording)) and _is_multi(present, distinct, separator):
        options = sorted({p.strip() for v in distinct for p in str(v).split(separator.strip() or separator)
                          if p.strip()})
        return Question(**base, kind="multi", dimension=None, measure=None, scale_min=None, scale_max=None,
                        options=options)
    numbers = labels.to_scale(distinct, None)
    label_set, unknown = labels.find_label_set(distinct.tolist())
    if label_set is not None and numbers.isna().all() and not _has(_TEXT_WORDS, wording):
        dimension = guess_dimension(wording)
        return Question(**base, kind="rating", dimension=dimension, measure=guess_measure(wording, dimension),
                        scale_min=1.0, scale_max=float(len(label_set)), options=list(label_set))
    numeric_share = numbers.notna().mean()
    whole = numbers.dropna()
    whole = whole[(whole == whole.round()) & (whole >= 0)]
    small = whole[whole <= 10]  # the bulk of a rating or NPS column; a stray 11 is reported, not a new scale
    if numeric_share >= 0.8 and len(whole) and len(small) >= 0.8 * len(numbers.dropna()):
        whole = small if not _SCALE_HINT.search(wording) else whole
        if _has(_NPS_WORDS, wording):
            return Question(**base, kind="nps", dimension=None, measure=None, scale_min=0.0, scale_max=10.0,
                            options=None)
        hint = _SCALE_HINT.search(wording)
        ratingish = _has(_RATING_WORDS, wording) or matrix or labels.STAR in "".join(distinct.tolist())
        if ratingish and (hint or whole.max() <= 10):
            if hint:
                low, high = (float(v) for v in (hint.group(1, 2) if hint.group(1) else hint.group(3, 4)))
            else:
                low = 0.0 if whole.min() == 0 else 1.0
                high = float(next(s for s in _SCALES if s >= whole.max()))
            dimension = guess_dimension(wording)
            return Question(**base, kind="rating", dimension=dimension, measure=guess_measure(wording, dimension),
                            scale_min=low, scale_max=high, options=None)
    lengths = distinct.str.len()
    if (not _has(_TEXT_WORDS, wording) and len(distinct) <= 30 and lengths.mean() <= 12
            and len(distinct) <= 0.8 * len(present)):
        return Question(**base, kind="choice", dimension=None, measure=None, scale_min=None, scale_max=None,
                        options=sorted(distinct.tolist()) if len(distinct) <= 30 else None)
    return Question(**base, kind="text", dimension=None, measure=None, scale_min=None, scale_max=None, options=None)


def _is_multi(present: pd.Series, distinct: pd.Series, separator: str) -> bool:
    sep = separator.strip() or separator
    joined = distinct.str.contains(sep, regex=False)
    if not joined.any():
        return False
    if separator == "┋":
        return True
    parts = [p.strip() for v in present for p in str(v).split(sep) if p.strip()]
    # options recur across answers ('Shoes, Shirts', 'Shoes'); the clauses of free text do not
    return len(set(parts)) <= 30 and len(parts) > len(set(parts)) and distinct.str.len().mean() <= 80


def apply_override(question: Question, spec: dict) -> Question:
    """`question` with the user's choices (kind, dimension, measure, reverse, scale_min, scale_max)."""
    from crm.errors import CRMInputError

    q = Question(**{k: v for k, v in question.__dict__.items()})
    if "kind" in spec and spec["kind"]:
        if spec["kind"] not in KINDS:
            raise CRMInputError("surveys_import.error.bad_kind", column=q.key, value=spec["kind"],
                                choices=", ".join(KINDS))
        if spec["kind"] != q.kind:
            q.kind = spec["kind"]
            if q.kind == "nps":
                q.scale_min, q.scale_max = 0.0, 10.0
            elif q.kind == "rating" and q.scale_max is None:
                q.scale_min, q.scale_max = 1.0, 5.0
            if q.kind == "rating" and q.dimension is None:
                q.dimension = guess_dimension(" ".join(filter(None, [q.group_text, q.text])))
                q.measure = guess_measure(q.text, q.dimension)
            if q.kind != "rating":
                q.dimension = q.measure = None
                q.reverse_scored = False
            if q.kind not in ("rating", "nps"):
                q.scale_min = q.scale_max = None
    if spec.get("dimension"):
        if spec["dimension"] not in DIMENSIONS:
            raise CRMInputError("surveys_import.error.bad_dimension", column=q.key, value=spec["dimension"],
                                choices=", ".join(DIMENSIONS))
        q.dimension = spec["dimension"]
    if spec.get("measure"):
        if spec["measure"] not in MEASURES:
            raise CRMInputError("surveys_import.error.bad_measure", column=q.key, value=spec["measure"],
                                choices=", ".join(MEASURES))
        q.measure = spec["measure"]
    if "reverse" in spec and spec["reverse"] is not None:
        q.reverse_scored = bool(spec["reverse"]) and q.kind == "rating"
    for end in ("scale_min", "scale_max"):
        if spec.get(end) is not None:
            q.__dict__[end] = float(spec[end])
    return q


def parse_spec(text: str) -> dict:
    """'kind=rating,dimension=price,measure=expected,reverse' → {'kind': 'rating', …, 'reverse': True};
    'noreverse' or 'reverse=no' clear it; 'scale=1-7' sets both ends."""
    from crm.errors import CRMInputError

    spec: dict = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if name in ("reverse", "reversed") and value.lower() in ("", "yes", "true", "1", "y"):
            spec["reverse"] = True
        elif name in ("noreverse",) or (name in ("reverse", "reversed") and value.lower() in ("no", "false", "0", "n")):
            spec["reverse"] = False
        elif name in ("kind", "dimension", "measure") and value:
            spec[name] = value.lower()
        elif name == "scale" and re.fullmatch(r"\d+(\.\d+)?-\d+(\.\d+)?", value):
            low, high = value.split("-")
            spec["scale_min"], spec["scale_max"] = float(low), float(high)
        else:
            raise CRMInputError("surveys_import.error.bad_spec", value=text)
    return spec
