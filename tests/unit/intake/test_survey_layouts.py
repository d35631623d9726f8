"""Every tool's header layout: the tool recognised, metadata set aside, the exact questions with kind,
dimension, measure and scale, the first respondent's stored answers and link (fixtures: tests/fixtures/surveys)."""

import math

import pytest

from crm.intake.surveys import prepare_survey
from tests.fixtures.surveys import connect_survey_shop, read

N = None  # no dimension / measure / scale

EXPECTED = {
    "wjx_text_gbk.csv": dict(
        tool="wjx", encoding="gb18030", link=("1、您的会员编号", "customer_id", 4, 1),
        meta=["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"],
        questions=[("2、您对商品质量的满意度", "rating", "quality", "perceived", 1, 5),
                   ("3、请评价以下方面—物流速度", "rating", "delivery", "perceived", 1, 5),
                   ("3、请评价以下方面—客服态度", "rating", "service", "perceived", 1, 5),
                   ("3、请评价以下方面—包装", "rating", "packaging", "perceived", 1, 5),
                   ("4、您选择我们的原因", "multi", N, N, N, N),
                   ("5、您有多大可能向朋友推荐我们？", "nps", N, N, 0, 10),
                   ("6、您对价格的期望(1-5分)", "rating", "price", "expected", 1, 5),
                   ("7、您还有什么建议？", "text", N, N, N, N)],
        first=[5, 4, 5, 3, "价格实惠┋质量好", 10, 4, "很好，会再来"], customer="C001", duration=105),
    "wjx_code.xlsx": dict(
        tool="wjx", encoding=None, link=("1、您的手机号", "phone", 3, 1),
        meta=["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"],
        questions=[("2、您对商品质量的满意度", "rating", "quality", "perceived", 1, 5),
                   ("3、您对物流配送的满意度", "rating", "delivery", "perceived", 1, 5),
                   ("4(价格实惠)", "multi", N, N, N, N),
                   ("5、您有多大可能向朋友推荐我们？", "nps", N, N, 0, 10),
                   ("6、您的性别", "choice", N, N, N, N)],
        first=[5, 4, "价格实惠┋质量好", 10, "1"], customer="C001", duration=100),
    "tencent.csv": dict(
        tool="tencent", encoding="utf-8", link=("Q1.您的邮箱", "email", 3, 1),
        meta=["编号", "开始答题时间", "结束答题时间", "答题时长", "IP"],
        questions=[("Q2.您对本次购物的整体满意度", "rating", "overall", "overall", 1, 5),
                   ("Q3.请对以下方面打分(1-5分)-商品质量", "rating", "quality", "perceived", 1, 5),
                   ("Q3.请对以下方面打分(1-5分)-价格", "rating", "price", "perceived", 1, 5),
                   ("Q4.您从哪个渠道了解到我们", "choice", N, N, N, N),
                   ("Q5.您的建议", "text", N, N, N, N)],
        first=[5, 5, 4, "朋友推荐", "很好"], customer="C001", duration=120),
    "google_forms.csv": dict(
        tool="google_forms", encoding="utf-8", link=("Email address", "email", 4, 1), meta=["Timestamp"],
        questions=[("Overall, how satisfied are you with your purchase?", "rating", "overall", "overall", 1, 5),
                   ("How would you rate the following? [Product quality]", "rating", "quality", "perceived", 1, 5),
                   ("How would you rate the following? [Delivery speed]", "rating", "delivery", "perceived", 1, 5),
                   ("How likely are you to recommend us to a friend?", "nps", N, N, 0, 10),
                   ("Which of our products do you use?", "multi", N, N, N, N),
                   ("Any other comments?", "text", N, N, N, N)],
        first=[5, 5, 4, 10, "Shoes┋Shirts", "Great service, thank you"], customer="C001", duration=N),
    "qualtrics.csv": dict(
        tool="qualtrics", encoding="utf-8", link=("ExternalReference", "customer_id", 4, 1),
        meta=["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
              "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage", "RecipientEmail",
              "ExternalReference", "Q3_NPS_GROUP"],
        questions=[("Q1", "rating", "overall", "overall", 1, 7), ("Q2_1", "rating", "quality", "perceived", 1, 5),
                   ("Q2_2", "rating", "price", "perceived", 1, 5), ("Q2_3", "rating", "service", "perceived", 1, 5),
                   ("Q3", "nps", N, N, 0, 10), ("Q4", "choice", N, N, N, N), ("Q4_5_TEXT", "text", N, N, N, N),
                   ("Q5", "text", N, N, N, N)],
        first=[7, 5, 4, 5, 10, "1", "Nothing"], customer="C001", duration=301),
    "surveymonkey.csv": dict(
        tool="surveymonkey", encoding="utf-8", link=("Custom Data 1", "customer_id", 3, 1),
        meta=["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "First Name", "Last Name",
              "Email Address", "Custom Data 1"],
        questions=[("How satisfied are you with our product?", "rating", "overall", "overall", 1, 5),
                   ("Please rate the following.", "rating", "quality", "perceived", 1, 5),
                   ("Please rate the following. / Delivery", "rating", "delivery", "perceived", 1, 5),
                   ("Please rate the following. / Customer service", "rating", "service", "perceived", 1, 5),
                   ("Which of these did you buy?", "multi", N, N, N, N),
                   ("How likely is it that you would recommend us to a friend?", "nps", N, N, 0, 10),
                   ("What else would you like to tell us?", "text", N, N, N, N)],
        first=[5, 5, 4, 5, "Shoes┋Shirts", 10, "Love it"], customer="C001", duration=250),
    "ms_forms.xlsx": dict(
        tool="ms_forms", encoding=None, link=("Email", "email", 2, 1),
        meta=["ID", "Start time", "Completion time", "Name", "Last modified time"],
        questions=[("How satisfied are you with the delivery?", "rating", "delivery", "perceived", 1, 5),
                   ("Rate the packaging (1-5)", "rating", "packaging", "perceived", 1, 5),
                   ("How likely are you to recommend us?", "nps", N, N, 0, 10),
                   ("Which channels do you use?", "multi", N, N, N, N), ("Comments", "text", N, N, N, N)],
        first=[5, 5, 9, "App┋Store", "Fast"], customer="C004", duration=180),
    "plain.csv": dict(
        tool="excel", encoding="utf-8", link=("订单编号", "order_id", 3, 1), meta=["提交时间"],
        questions=[("1. 整体满意度", "rating", "overall", "overall", 1, 5),
                   ("2. 价格满意度", "rating", "price", "perceived", 1, 5),
                   ("3. 您会向朋友推荐我们吗(0-10)", "nps", N, N, 0, 10), ("4. 意见", "text", N, N, N, N)],
        first=[5, 4, 9, "不错"], customer="C001", duration=N),
}


@pytest.fixture(scope="module")
def con():
    con = connect_survey_shop()
    yield con
    con.close()


def _value(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@pytest.mark.parametrize("name", list(EXPECTED))
def test_tool_layout(con, name):
    want = EXPECTED[name]
    plan = prepare_survey(con, read(name), name)
    assert plan.tool == want["tool"]
    assert plan.source.get("encoding") == want["encoding"]
    assert sorted(plan.metadata["column"]) == sorted(want["meta"])
    got = [(r.source_column, r.kind, _value(r.dimension), _value(r.measure), _value(r.scale_min), _value(r.scale_max))
           for r in plan.questions.itertuples()]
    assert got == [(c, k, d, m, None if lo is None else float(lo), None if hi is None else float(hi))
                   for c, k, d, m, lo, hi in want["questions"]]
    assert (plan.link.column, plan.link.method, plan.matched, plan.unmatched) == want["link"]
    first = plan.responses.iloc[0]
    assert first["customer_id"] == want["customer"]
    assert _value(first["duration_seconds"]) == want["duration"]
    answers = plan.answers.to_pandas()
    mine = answers[answers["response_id"] == first["response_id"]]
    values = [_value(n) if _value(n) is not None else tx for n, tx in zip(mine["value_num"], mine["value_text"])]
    expected_first = [float(v) if isinstance(v, int) else v for v in want["first"]]
    assert values == expected_first


def test_matrix_items_keep_stem_and_item(con):
    plan = prepare_survey(con, read("wjx_text_gbk.csv"), "wjx_text_gbk.csv")
    matrix = plan.questions[plan.questions["group_text"].notna()]
    assert matrix["group_text"].unique().tolist() == ["请评价以下方面"]
    assert matrix["item_text"].tolist() == ["物流速度", "客服态度", "包装"]
    qualtrics = prepare_survey(con, read("qualtrics.csv"), "qualtrics.csv").questions.set_index("source_column")
    assert qualtrics.loc["Q2_3", "item_text"] == "Customer service"
    assert qualtrics.loc["Q2_3", "group_text"] == "How satisfied are you with each of the following?"
    assert qualtrics.loc["Q4_5_TEXT", "item_text"] == "Other - Text"


def test_labels_are_kept_as_options_and_matrix_scales_shared(con):
    plan = prepare_survey(con, read("surveymonkey.csv"), "surveymonkey.csv")
    options = plan.questions.set_index("source_column")["options"]
    assert options["Please rate the following. / Delivery"] == '["Very poor", "Poor", "Fair", "Good", "Excellent"]'
    assert options["Which of these did you buy?"] == '["Shoes", "Shirts", "Hats"]'


def test_submission_times_per_tool(con):
    times = {name: prepare_survey(con, read(name), name).responses["submitted_at"].iloc[0].isoformat()
             for name in ("wjx_text_gbk.csv", "google_forms.csv", "surveymonkey.csv", "ms_forms.xlsx")}
    assert times == {"wjx_text_gbk.csv": "2026-03-12T14:05:33", "google_forms.csv": "2026-03-02T10:15:22",
                     "surveymonkey.csv": "2026-06-10T09:04:10", "ms_forms.xlsx": "2026-06-20T10:03:00"}


@pytest.mark.parametrize("sep", ["—", ":", "：", "-", "_"])
def test_wjx_matrix_separators_and_skip_codes(con, sep):
    header = f"序号,提交答卷时间,所用时间,1、请评价{sep}质量,1、请评价{sep}价格,2、您的建议"
    body = "1,2026/1/5 10:00:00,30秒,5,-3,好\n2,2026/1/5 11:00:00,40秒,-2,4,(空)\n3,2026/1/6 09:00:00,50秒,3,2,(跳过)\n"
    plan = prepare_survey(con, (header + "\n" + body).encode("utf-8"), "wjx.csv")
    q = plan.questions
    assert q["group_text"].tolist()[:2] == ["请评价", "请评价"]
    assert q["item_text"].tolist()[:2] == ["质量", "价格"]
    assert q["dimension"].tolist()[:2] == ["quality", "price"]
    answers = plan.answers.to_pandas()
    assert answers.groupby("question_id").size().to_dict() == {"Q01": 2, "Q02": 2, "Q03": 1}  # -3, -2, (空), (跳过)
    assert plan.issues.empty


def test_tencent_trailing_empty_columns_and_colon_items(con):
    text = ("编号,开始答题时间,结束答题时间,答题时长,Q1:请评价:质量,Q1:请评价:物流,,\n"
            "1,2026-01-01 10:00:00,2026-01-01 10:01:00,60,非常满意,满意,,\n"
            "2,2026-01-01 11:00:00,2026-01-01 11:02:00,120,一般,不满意,,\n")
    plan = prepare_survey(con, text.encode("utf-8"), "tencent.csv")
    assert plan.tool == "tencent"
    assert plan.questions["source_column"].tolist() == ["Q1:请评价:质量", "Q1:请评价:物流"]
    assert plan.questions["item_text"].tolist() == ["质量", "物流"]
    assert plan.responses["duration_seconds"].tolist() == [60.0, 120.0]
    assert plan.answers.to_pandas()["value_num"].tolist() == [5.0, 3.0, 4.0, 2.0]


def test_durations_and_times_as_tools_write_them():
    import pandas as pd

    from crm.intake.surveys.loader import parse_durations, parse_times

    assert parse_durations(pd.Series(["105秒", "2分5秒", "1小时2分", "00:01:45", "88", "", "abc"])).tolist()[:5] == \
        [105.0, 125.0, 3720.0, 105.0, 88.0]
    times = parse_times(pd.Series(["2026/3/12 14:05:33", "3/12/2026 2:05:33 PM", "2026/03/12 2:05:33 下午 GMT+8",
                                   "2026-03-12T14:05:33.250", "46093.5"]))
    assert [x.isoformat() for x in times] == ["2026-03-12T14:05:33"] * 4 + ["2026-03-12T12:00:00"]


def test_google_forms_in_chinese(con):
    text = ("时间戳记,电子邮件地址,您对本次购物的整体满意度,请评价 [商品质量],请评价 [售后服务],您是否愿意推荐我们给朋友？\n"
            "2026/3/1 上午10:00:00,c001@example.com,非常满意,5,4,9\n"
            "2026/3/2 下午3:30:00,c002@example.com,不满意,2,1,4\n")
    plan = prepare_survey(con, text.encode("utf-8"), "表单.csv")
    assert plan.tool == "google_forms" and plan.language == "zh"
    assert [(_value(r.item_text), r.kind, _value(r.dimension)) for r in plan.questions.itertuples()] == [
        (None, "rating", "overall"), ("商品质量", "rating", "quality"), ("售后服务", "rating", "after_sales"),
        (None, "nps", None)]
    assert (plan.link.method, plan.matched) == ("email", 2)
    assert [x.isoformat() for x in plan.responses["submitted_at"]] == ["2026-03-01T10:00:00", "2026-03-02T15:30:00"]


def test_qualtrics_display_order_and_embedded_data_are_set_aside(con):
    import csv
    import io

    from tests.fixtures.surveys.build import QUALTRICS

    rows = [row + extra for row, extra in zip(QUALTRICS, [["Q2_DO", "member_no"],
                                                          ["Q2 - Display Order", "member_no"],
                                                          ['{"ImportId":"QID2_DO"}', '{"ImportId":"member_no"}']]
                                               + [["1|2|3", "x"]] * 5)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    plan = prepare_survey(con, buffer.getvalue().encode(), "qualtrics_do.csv")
    assert {"Q2_DO", "member_no"} <= set(plan.metadata["column"])
    assert "Q2_DO" not in plan.questions["source_column"].tolist() and len(plan.questions) == 8
