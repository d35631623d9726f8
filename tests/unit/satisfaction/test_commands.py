"""`python -m crm surveys` and `survey-report`: the columns and figures written."""

import pandas as pd
import pytest

from crm import cli
from crm.satisfaction.commands import REPORT_COLUMNS
from crm.store import db


@pytest.fixture
def survey_db(tmp_path):
    from tests.fixtures import small_shop, survey_shop

    path = tmp_path / "crm.duckdb"
    con = db.connect(path)
    small_shop.build(con)
    survey_shop.build(con)
    con.close()
    return path


def test_survey_report_columns_and_values(survey_db, tmp_path):
    out = tmp_path / "report.csv"
    assert cli.main(["survey-report", "--db", str(survey_db), "--out", str(out)]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert df.columns.tolist() == REPORT_COLUMNS == [
        "question_id", "question", "kind", "dimension", "measure", "n", "mean", "top2_share", "nps",
        "promoters", "passives", "detractors"]
    rows = df.set_index("question_id")
    assert rows.index.tolist() == ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]  # S2, the latest
    assert rows.loc["q1", "mean"] == pytest.approx(3.6) and rows.loc["q1", "top2_share"] == pytest.approx(0.6)
    assert rows.loc["q4", "mean"] == pytest.approx(3.4)
    assert rows.loc["q2", "kind"] == "nps" and rows.loc["q2", "nps"] == pytest.approx(0.0)
    assert rows.loc["q2", "promoters"] == pytest.approx(0.4) and rows.loc["q2", "detractors"] == pytest.approx(0.4)
    assert rows.loc[["q1", "q3"], ["nps", "promoters", "passives", "detractors"]].isna().all().all()


def test_survey_report_of_a_chosen_survey_as_xlsx(survey_db, tmp_path):
    out = tmp_path / "report.xlsx"
    assert cli.main(["survey-report", "S1", "--db", str(survey_db), "--out", str(out)]) == 0
    df = pd.read_excel(out)
    assert df.columns.tolist() == REPORT_COLUMNS
    assert df["question_id"].tolist() == ["q1", "q2"] and df["n"].tolist() == [1, 1]


def test_survey_report_unknown_survey(survey_db, tmp_path, capsys):
    assert cli.main(["survey-report", "NOPE", "--db", str(survey_db), "--out", str(tmp_path / "r.csv")]) == 2
    assert "NOPE" in capsys.readouterr().err


def test_surveys_lists_every_survey(survey_db, capsys):
    assert cli.main(["surveys", "--db", str(survey_db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["survey_id", "title", "tool", "responses", "linked", "first_response",
                                "last_response"]
    assert lines[1].split()[:5] == ["S2", "客户调查", "wjx", "5", "4"]
    assert lines[2].split()[:5] == ["S1", "客户调查", "wjx", "1", "1"]
