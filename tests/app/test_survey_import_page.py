"""The Data page's survey import in both languages: what was understood, the link to customers, the
validation report, import, re-import, undo, a bad file, and a question edit that changes what is stored."""

from __future__ import annotations

import pytest

from crm.formatting import escape_markdown
from crm.i18n import t
from crm.store import access, db
from tests.fixtures.surveys import read, seed

LANGS = ["zh", "en"]
WJX = "wjx_text_gbk.csv"


@pytest.fixture
def survey_db(tmp_path):
    path = tmp_path / "surveys.duckdb"
    con = db.connect(path)
    seed(con)
    con.close()
    return path


def counts(path) -> tuple[int, int]:
    with access.reading(path) as con:
        return (int(db.scalar(con, "SELECT count(*) FROM survey_responses")),
                int(db.scalar(con, "SELECT count(*) FROM survey_answers")))


def stored(path, sql: str):
    with access.reading(path) as con:
        return db.query(con, sql)


def upload(at, name: str, data: bytes):
    at.selectbox(key="data.import.kind").set_value("survey").run()
    at.get("file_uploader")[0].upload(name, data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, key: str, lang: str) -> str:
    return next(m.value for m in at.metric if m.label == t(key, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_understood_then_imported_reimported_and_undone(open_app, survey_db, lang):
    at = open_app(lang, page="pages/data.py", db=survey_db)
    upload(at, WJX, read(WJX))
    assert metric(at, "surveys_import.tool", lang) == t("surveys_import.tool.wjx", lang)
    assert metric(at, "surveys_import.responses", lang) == "5"
    assert metric(at, "surveys_import.questions_count", lang) == "8"
    assert metric(at, "surveys_import.matched", lang) == "4"
    assert metric(at, "surveys_import.unmatched", lang) == "1"
    assert metric(at, "surveys_import.rejected", lang) == "2"
    editor = at.data_editor[0].value
    assert editor.iloc[:, 0].tolist()[:2] == ["2、您对商品质量的满意度", "3、请评价以下方面—物流速度"]
    assert editor.iloc[1, 3] == t("surveys_import.dimension.delivery", lang).capitalize() \
        if lang == "en" else t("surveys_import.dimension.delivery", lang)
    issues = [df.value for df in at.dataframe if df.value.shape[1] == 4]
    assert issues and issues[0].iloc[:, 0].tolist() == [6, 7, 7, 8]
    assert counts(survey_db) == (0, 0)  # nothing written before the button

    at.button(key="data.survey.commit").click().run()
    assert any(t("surveys_import.result", lang, title="wjx_text_gbk", batch=1, responses=5, answers=35, matched=4)
               == s.value for s in at.success)
    assert counts(survey_db) == (5, 35)

    upload(at, WJX, read(WJX))
    assert any(w.value == t("surveys_import.already_imported", lang, batch=1) for w in at.warning)
    assert at.button(key="data.survey.commit").disabled

    at.checkbox(key="data.batches.undo.confirm").check().run()
    at.button(key="data.batches.undo.button").click().run()
    assert any(s.value == t("data.batches.undone", lang, batch=1) for s in at.success)
    assert counts(survey_db) == (0, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_a_question_edit_changes_what_is_stored(open_app, survey_db, lang):
    name, data = "qualtrics.csv", read("qualtrics.csv")
    at = open_app(lang, page="pages/data.py", db=survey_db)
    upload(at, name, data)
    editor = at.data_editor[0].value
    price = editor.iloc[:, 0].tolist().index("Q2_2")
    # mark the price item reverse-scored and an expectation, and the overall item a service rating
    at.session_state[f"data.survey.questions.{name}.{len(data)}"] = {
        "edited_rows": {price: {"reverse_scored": True,
                                "measure": t("surveys_import.measure.expected", lang).capitalize()
                                if lang == "en" else t("surveys_import.measure.expected", lang)},
                        0: {"dimension": t("surveys_import.dimension.service", lang).capitalize()
                            if lang == "en" else t("surveys_import.dimension.service", lang)}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="data.survey.commit").click().run()
    assert not at.exception
    questions = stored(survey_db, "SELECT source_column, dimension, measure, reverse_scored FROM survey_questions "
                                  "ORDER BY position")
    rows = {r.source_column: (r.dimension, r.measure, bool(r.reverse_scored)) for r in questions.itertuples()}
    assert rows["Q2_2"] == ("price", "expected", True)
    assert rows["Q1"] == ("service", "overall", False)
    assert rows["Q2_1"] == ("quality", "perceived", False)


@pytest.mark.parametrize("lang", LANGS)
def test_a_scale_edit_changes_the_stored_scale_and_a_bad_one_is_named(open_app, survey_db, lang):
    name, data = "qualtrics.csv", read("qualtrics.csv")
    at = open_app(lang, page="pages/data.py", db=survey_db)
    upload(at, name, data)
    editor = at.data_editor[0].value
    quality = editor.iloc[:, 0].tolist().index("Q2_1")
    guessed = editor.iloc[quality]["scale"]
    assert guessed == "1–5"
    key = f"data.survey.questions.{name}.{len(data)}"
    at.session_state[key] = {"edited_rows": {quality: {"scale": "1 ~ x"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert [w.value for w in at.warning] == [t("surveys_import.scale.bad", lang, column=escape_markdown("Q2_1"),
                                                           value=escape_markdown("1 ~ x"))]
    at.session_state[key] = {"edited_rows": {quality: {"scale": "1-7"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="data.survey.commit").click().run()
    assert not at.exception
    scales = stored(survey_db, "SELECT source_column, scale_min, scale_max FROM survey_questions")
    rows = {r.source_column: (r.scale_min, r.scale_max) for r in scales.itertuples()}
    assert rows["Q2_1"] == (1.0, 7.0)  # as typed
    assert rows["Q2_2"] == (1.0, 5.0)  # the others as understood


@pytest.mark.parametrize("lang", LANGS)
def test_an_orders_file_is_refused_as_a_survey(open_app, survey_db, lang):
    from pathlib import Path

    data = (Path(__file__).resolve().parents[2] / "data" / "samples" / "orders.csv").read_bytes()
    at = open_app(lang, page="pages/data.py", db=survey_db)
    upload(at, "orders.csv", data)
    kind = t("data.import.kind.orders", lang)
    assert [e.value for e in at.error] == [
        t("surveys_import.error.looks_like", lang, file="orders\\.csv", kind=kind)]  # file name escaped
    assert counts(survey_db) == (0, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_link_column_title_and_wave_are_chosen_on_the_page(open_app, survey_db, lang):
    name, data = "surveymonkey.csv", read("surveymonkey.csv")
    key = f"{name}.{len(data)}"
    at = open_app(lang, page="pages/data.py", db=survey_db)
    upload(at, name, data)
    assert metric(at, "surveys_import.matched", lang) == "3"
    link = at.selectbox(key=f"data.survey.link.{key}")
    assert link.value == "Custom Data 1"
    assert link.options[-1] == t("surveys_import.link.none", lang)
    link.set_value("").run()
    assert metric(at, "surveys_import.matched", lang) == "0"
    assert metric(at, "surveys_import.unmatched", lang) == "4"
    at.text_input(key=f"data.survey.title.{key}").set_value("Product survey").run()
    at.text_input(key=f"data.survey.wave.{key}").set_value("2026-06").run()
    at.button(key="data.survey.commit").click().run()
    assert not at.exception
    survey = stored(survey_db, "SELECT title, wave, source_tool FROM surveys").iloc[0].tolist()
    assert survey == ["Product survey", "2026-06", "surveymonkey"]
    keys = stored(survey_db, "SELECT customer_id, respondent_key FROM survey_responses ORDER BY response_id")
    assert keys["customer_id"].isna().all()
    assert keys["respondent_key"].tolist() == ["11801", "11802", "11803", "11804"]  # SurveyMonkey's Respondent ID
