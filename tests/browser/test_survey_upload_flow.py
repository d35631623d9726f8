"""A 问卷星 export uploaded through the Data page in a real browser: recognised, imported, listed as a batch."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from crm.i18n import t
from crm.intake import demo
from crm.intake.surveys import prepare_survey
from crm.store import access, db
from tests.browser.conftest import ARTIFACTS, running_server

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "survey_wjx_gbk.csv"


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("survey_flow") / "crm.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=20000, seed=42, years=1)  # the sample's respondents are these customers
    con.close()
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_upload_a_wjx_export_and_import_it(survey_db, page, lang):
    with access.reading(survey_db) as con:
        expected = prepare_survey(con, SAMPLE.read_bytes(), SAMPLE.name)
        before = int(db.scalar(con, "SELECT count(*) FROM survey_responses"))
    already = expected.already_imported
    with running_server(survey_db) as server:
        if not already:  # before: the Satisfaction page shows the demo's questionnaire
            page.goto(f"{server}/satisfaction?lang={lang}")
            expect(page.get_by_role("heading", name=t("satisfaction.title", lang), exact=True)).to_be_visible(
                timeout=60_000)
            expect(page.locator(".st-key-sat-survey input")).to_have_value("客户满意度调查", timeout=30_000)
        page.goto(f"{server}/data?lang={lang}")
        expect(page.get_by_role("heading", name=t("data.title", lang), exact=True)).to_be_visible(timeout=30_000)
        page.locator(".st-key-data-import-kind input").click()
        page.get_by_role("option", name=t("data.import.kind.survey", lang), exact=True).click()
        page.locator("input[type=file]").set_input_files(str(SAMPLE))
        expect(page.get_by_role("heading", name=t("surveys_import.understood", lang))).to_be_visible(timeout=30_000)
        expect(page.get_by_text(t("surveys_import.tool.wjx", lang), exact=True)).to_be_visible()
        expect(page.get_by_text(t("surveys_import.link.caption", lang, method=t("surveys_import.method.customer_id",
                                                                                 lang),
                                  matched=f"{expected.matched:,}", unmatched=f"{expected.unmatched:,}"))).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"survey_upload_{lang}.png"), full_page=True)
        if already:  # the second language finds the file imported by the first
            expect(page.get_by_text(t("surveys_import.already_imported", lang, batch=1))).to_be_visible()
            return
        page.locator(".st-key-data-survey-commit button").click()
        expect(page.get_by_text(t("surveys_import.result", lang, title="survey_wjx_gbk", batch=1, responses=80,
                                  answers=expected.answers.num_rows, matched=expected.matched))
               ).to_be_visible(timeout=60_000)
        # after: the Satisfaction page opens on the imported survey, with its 80 responses
        page.goto(f"{server}/satisfaction?lang={lang}")
        expect(page.get_by_role("heading", name=t("satisfaction.title", lang), exact=True)).to_be_visible(
            timeout=60_000)
        expect(page.locator(".st-key-sat-survey input")).to_have_value("survey_wjx_gbk", timeout=60_000)
        responses = page.get_by_test_id("stMetric").filter(has_text=t("satisfaction.kpi.responses", lang))
        expect(responses.get_by_test_id("stMetricValue")).to_have_text("80", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"survey_upload_satisfaction_{lang}.png"), full_page=True)
    with access.reading(survey_db) as con:
        assert int(db.scalar(con, "SELECT count(*) FROM survey_responses")) == before + 80
        assert db.scalar(con, "SELECT table_name FROM import_batches WHERE batch_id = 1") == "surveys"
