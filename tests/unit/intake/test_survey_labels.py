"""Likert labels in Chinese and English, stars, labelled numbers, and scale inference."""

import pandas as pd
import pytest

from crm.intake.surveys import labels
from crm.intake.surveys.layouts import Source
from crm.intake.surveys.questions import classify, guess_dimension, guess_measure, parse_spec


def scale(values, options):
    return labels.to_scale(pd.Series(values, dtype="string"), options).tolist()


@pytest.mark.parametrize("values, expected_set", [
    (["非常不满意", "不满意", "一般", "满意", "非常满意"], ("非常不满意", "不满意", "一般", "满意", "非常满意")),
    (["很不满意", "很满意", "一般"], ("很不满意", "不满意", "一般", "满意", "很满意")),
    (["非常不同意", "同意", "非常同意"], ("非常不同意", "不同意", "一般", "同意", "非常同意")),
    (["Very dissatisfied", "Satisfied", "Neutral"],
     ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")),
    (["strongly disagree", "Agree", "Strongly Agree"],
     ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")),
])
def test_label_sets_are_found_in_both_languages(values, expected_set):
    found, unknown = labels.find_label_set(values)
    assert found == expected_set
    assert unknown == 0


def test_labels_become_positions_and_unknown_labels_stay_empty():
    options = ("非常不满意", "不满意", "一般", "满意", "非常满意")
    got = scale(["非常满意", "一般", "不满意", "超级满意", None], options)
    assert got[:3] == [5.0, 3.0, 2.0]
    assert pd.isna(got[3]) and pd.isna(got[4])
    # English, case and spacing ignored
    assert scale(["Strongly Agree", " disagree "], labels.LIKERT_SETS[21]) == [5.0, 2.0]


def test_seven_point_labels_take_the_seven_point_set():
    found, _ = labels.find_label_set(["有点满意", "非常满意", "一般"])
    assert len(found) == 7
    assert scale(["有点满意", "一般", "非常不满意"], found) == [5.0, 4.0, 1.0]


def test_stars_labelled_ends_and_plain_numbers():
    assert scale(["★★★★☆", "★★☆☆☆", "5 - Very satisfied", "1=非常不满意", "4分", "3", "10 - Extremely likely"],
                 None) == [4.0, 2.0, 5.0, 1.0, 4.0, 3.0, 10.0]


def q(text, values, **kw):
    source = Source(key=text, columns=[text], text=text, group_text=kw.pop("group", None))
    return classify(source, pd.Series(values, dtype="string"), separator=kw.pop("separator", None),
                    matrix=source.group_text is not None)


def test_scales_are_inferred_from_the_header_or_the_answers():
    hinted = q("您对价格的期望(1-7分)", ["3", "5", "4"])
    assert (hinted.kind, hinted.scale_min, hinted.scale_max) == ("rating", 1.0, 7.0)
    ends = q("请为我们的服务打分（1=非常不满意，10=非常满意）", ["3", "6", "5"])
    assert (ends.kind, ends.scale_min, ends.scale_max) == ("rating", 1.0, 10.0)
    ends_en = q("Rate the checkout (1 = Very dissatisfied, 7 = Very satisfied)", ["3", "4"])
    assert (ends_en.scale_min, ends_en.scale_max) == (1.0, 7.0)
    plain = q("How would you rate our service?", ["1", "4", "3", "4"])
    assert (plain.kind, plain.scale_min, plain.scale_max) == ("rating", 1.0, 5.0)  # answered 1–4: still 1–5
    ten = q("满意度打分", ["0", "8", "10", "6"])
    assert (ten.scale_min, ten.scale_max) == (0.0, 10.0)
    nps = q("您有多大可能向朋友推荐我们？", ["10", "9", "3", "8", "11"])
    assert (nps.kind, nps.scale_min, nps.scale_max) == ("nps", 0.0, 10.0)
    labelled = q("How satisfied are you overall?", ["Very satisfied", "Dissatisfied", "Neutral"])
    assert (labelled.kind, labelled.scale_max, labelled.options[0]) == ("rating", 5.0, "Very dissatisfied")


def test_choice_multi_and_text():
    assert q("您的性别", ["男", "女", "男", "女"]).kind == "choice"
    multi = q("4、您选择我们的原因", ["价格实惠┋质量好", "质量好", "服务周到┋质量好"], separator="┋")
    assert (multi.kind, multi.options) == ("multi", ["价格实惠", "服务周到", "质量好"])
    google = q("Which products do you use?", ["Shoes, Shirts", "Shirts", "Hats, Shoes"], separator=", ")
    assert (google.kind, google.options) == ("multi", ["Hats", "Shirts", "Shoes"])
    assert q("您还有什么建议？", ["很好", "很好", "一般"]).kind == "text"
    assert q("Comments", ["Delivery was late, the box was torn", "Great, thanks", "Fine"], separator=", ").kind \
        == "text"


@pytest.mark.parametrize("text, dimension, measure", [
    ("您对商品质量的满意度", "quality", "perceived"),
    ("您对价格的期望", "price", "expected"),
    ("物流服务的速度", "delivery", "perceived"),
    ("售后服务", "after_sales", "perceived"),
    ("客服态度的重要性", "service", "importance"),
    ("包装是否完好", "packaging", "perceived"),
    ("总体满意度", "overall", "overall"),
    ("How important is delivery speed to you?", "delivery", "importance"),
    ("What did you expect of the price?", "price", "expected"),
    ("Overall, how satisfied are you?", "overall", "overall"),
    ("How satisfied are you with the app?", "other", "perceived"),
])
def test_dimension_and_measure_from_wording(text, dimension, measure):
    assert guess_dimension(text) == dimension
    assert guess_measure(text, dimension) == measure


def test_parse_spec():
    assert parse_spec("kind=rating,dimension=price,measure=expected,reverse") == {
        "kind": "rating", "dimension": "price", "measure": "expected", "reverse": True}
    assert parse_spec("noreverse, scale=1-7") == {"reverse": False, "scale_min": 1.0, "scale_max": 7.0}
    from crm.errors import CRMInputError

    with pytest.raises(CRMInputError, match="surveys_import.error.bad_spec|Could not understand"):
        parse_spec("colour=blue")
