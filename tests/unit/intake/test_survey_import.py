"""Survey import: the validation report, respondent linkage, one batch written, idempotent re-import, undo,
question overrides changing what is stored, bad files refused with nothing changed, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crm import cli
from crm.errors import CRMInputError
from crm.intake import imports
from crm.intake.surveys import commit_survey, prepare_survey
from crm.store import access, db
from tests.fixtures.surveys import FOLDER, connect_survey_shop, read, seed

ROOT = Path(__file__).resolve().parents[3]
WJX = "wjx_text_gbk.csv"
TABLES = ("surveys", "survey_questions", "survey_responses", "survey_answers", "import_batches")


@pytest.fixture
def con():
    con = connect_survey_shop()
    yield con
    con.close()


def plain(series) -> list:
    return [None if pd.isna(v) else v for v in series]


def counts(con) -> dict[str, int]:
    return {table: int(db.scalar(con, f"SELECT count(*) FROM {table}")) for table in TABLES}


def test_validation_report_names_rows_and_columns(con):
    plan = prepare_survey(con, read(WJX), WJX)
    report = plan.issues[["row_number", "column", "value", "issue"]].astype(object).where(
        plan.issues[["row_number", "column", "value", "issue"]].notna(), None).values.tolist()
    assert report == [
        [6, "1、您的会员编号", "C001", "duplicate_respondent"],
        [7, "5、您有多大可能向朋友推荐我们？", "11", "out_of_scale"],
        [7, "2、您对商品质量的满意度", "超级满意", "unknown_label"],
        [8, None, None, "empty_response"],
    ]
    assert plan.issues["first_row"].iloc[0] == 2
    texts = plan.issue_texts("en").tolist()
    assert texts[0] == "The same respondent answered again (first in row 2); this row is not imported"
    assert texts[1] == "Answer 11 lies outside the scale 0–10; this answer is not imported"
    assert plan.issue_texts("zh").iloc[2] == "无法识别的选项“超级满意”（不在该题的量表选项中），未导入该答案"
    assert (plan.rows_total, plan.rows_accepted, plan.rows_rejected) == (7, 5, 2)
    # row 7 is kept without its two bad answers: 8 questions, 2 dropped
    answers = plan.answers.to_pandas()
    assert (answers["response_id"] == plan.survey_id + "-7").sum() == 6


def test_import_writes_one_batch_and_links_respondents(con):
    plan = prepare_survey(con, read(WJX), WJX, title="客户满意度调查")
    result = commit_survey(con, plan)
    assert (result.batch_id, result.responses, result.answers, result.matched) == (1, 5, 35, 4)
    assert counts(con) == {"surveys": 1, "survey_questions": 8, "survey_responses": 5, "survey_answers": 35,
                           "import_batches": 1}
    survey = db.query(con, "SELECT title, source_tool, language, wave, batch_id FROM surveys").iloc[0].tolist()
    assert survey == ["客户满意度调查", "wjx", "zh", "2026-Q1", 1]
    responses = db.query(con, "SELECT customer_id, respondent_key, link_method, duration_seconds "
                              "FROM survey_responses ORDER BY response_id")
    assert responses.astype(object).where(responses.notna(), None).values.tolist() == [
        ["C001", None, "customer_id", 105.0], ["C002", None, "customer_id", 125.0],
        ["C003", None, "customer_id", 88.0], [None, "X999", None, 60.0], ["C004", None, "customer_id", 95.0]]
    batch = db.query(con, "SELECT table_name, file_name, rows_total, rows_accepted, rows_rejected, status "
                          "FROM import_batches").iloc[0].tolist()
    assert batch == ["surveys", WJX, 7, 5, 2, "active"]
    mean_quality = db.scalar(con, "SELECT avg(value_num) FROM survey_answers WHERE question_id = 'Q01'")
    assert mean_quality == pytest.approx((5 + 4 + 2 + 3) / 4)
    assert db.scalar(con, "SELECT value_text FROM survey_answers WHERE question_id = 'Q05' "
                          "AND response_id LIKE '%-5'") == "服务周到┋质量好"


def test_the_same_file_twice_adds_nothing(con):
    commit_survey(con, prepare_survey(con, read(WJX), WJX))
    before = counts(con)
    again = prepare_survey(con, read(WJX), WJX, title="another title")
    assert again.already_imported and again.existing_batch_id == 1
    result = commit_survey(con, again)
    assert result.skipped_duplicate_file and result.batch_id == 1
    assert counts(con) == before


def test_undo_removes_the_survey_and_a_later_import_works(con):
    commit_survey(con, prepare_survey(con, read("google_forms.csv"), "google_forms.csv"))
    version = db.data_version(con)
    imports.undo_batch(con, 1)
    assert counts(con) == {"surveys": 0, "survey_questions": 0, "survey_responses": 0, "survey_answers": 0,
                           "import_batches": 1}
    assert db.scalar(con, "SELECT status FROM import_batches WHERE batch_id = 1") == "undone"
    assert db.data_version(con) == version + 1
    with pytest.raises(CRMInputError, match="already been undone"):
        imports.undo_batch(con, 1)
    result = commit_survey(con, prepare_survey(con, read("google_forms.csv"), "google_forms.csv"))
    assert (result.batch_id, result.responses) == (2, 5)


def test_import_raises_the_data_version(con):
    before = db.data_version(con)
    commit_survey(con, prepare_survey(con, read("plain.csv"), "plain.csv"))
    assert db.data_version(con) == before + 1


def test_overrides_change_what_is_stored(con):
    overrides = {"Q2_2": {"measure": "expected", "reverse": True},
                 "Q1": {"dimension": "service"},
                 "Q3": {"kind": "choice"},
                 "Q2_1": {"scale_max": 4.0}}
    plan = prepare_survey(con, read("qualtrics.csv"), "qualtrics.csv", overrides=overrides)
    commit_survey(con, plan)
    q = db.query(con, "SELECT source_column, kind, dimension, measure, scale_max, reverse_scored "
                      "FROM survey_questions ORDER BY position").set_index("source_column")
    assert q.loc["Q2_2", ["measure", "reverse_scored"]].tolist() == ["expected", True]
    assert q.loc["Q1", "dimension"] == "service"
    assert q.loc["Q3", "kind"] == "choice" and q.loc["Q3"].isna()["dimension"]
    # the NPS question now stores its answers as text, and Q2_1's 5s fall outside 1–4
    nps = db.query(con, "SELECT value_num, value_text FROM survey_answers WHERE question_id = 'Q05' "
                        "ORDER BY response_id")
    assert nps["value_text"].tolist() == ["10", "9", "4", "7", "8"] and nps["value_num"].isna().all()
    assert plan.issues.query("issue == 'out_of_scale'")["row_number"].tolist() == [4]
    assert db.scalar(con, "SELECT count(*) FROM survey_answers WHERE question_id = 'Q02'") == 4


def test_choosing_no_link_keeps_everyone_anonymous_with_the_tools_respondent_id(con):
    plan = prepare_survey(con, read("qualtrics.csv"), "qualtrics.csv", link_column="")
    assert plan.link.column is None and plan.matched == 0
    assert plan.responses["respondent_key"].tolist()[:2] == ["R_0001abcdEFGH", "R_0002abcdEFGH"]
    chosen = prepare_survey(con, read("surveymonkey.csv"), "surveymonkey.csv", link_column="Email Address")
    assert (chosen.link.method, chosen.matched) == ("email", 0)


def test_linkage_by_phone_normalises_country_code_and_separators(con):
    plan = prepare_survey(con, read("wjx_code.xlsx"), "wjx_code.xlsx")
    assert plain(plan.responses["customer_id"]) == ["C001", "C002", None, "C005"]
    assert plain(plan.responses["respondent_key"]) == [None, None, "13900000000", None]


def test_linkage_through_orders(con):
    plan = prepare_survey(con, read("plain.csv"), "plain.csv")
    assert plain(plan.responses["customer_id"]) == ["C001", "C002", "C003", None]
    assert plain(plan.responses["link_method"]) == ["order_id", "order_id", "order_id", None]


@pytest.mark.parametrize("name, data, key", [
    ("orders.csv", (ROOT / "data" / "samples" / "orders.csv").read_bytes(), "surveys_import.error.looks_like"),
    ("customers.csv", (ROOT / "data" / "samples" / "customers.csv").read_bytes(), "surveys_import.error.looks_like"),
    ("notes.csv", (FOLDER / "notes.csv").read_bytes(), "surveys_import.error.not_a_survey"),
    ("wjx_no_questions.csv", (FOLDER / "wjx_no_questions.csv").read_bytes(), "surveys_import.error.no_questions"),
    ("empty.csv", b"", "imports.error.empty_file"),
    ("header_only.csv", "序号,提交答卷时间,1、满意度\n".encode(), "imports.error.no_rows"),
    ("locked.xlsx", (ROOT / "tests" / "fixtures" / "hostile" / "xlsx_encrypted.xlsx").read_bytes(),
     "imports.error.encrypted"),
    ("photo.png", b"\x89PNG\r\n", "imports.error.unsupported_format"),
])
def test_bad_files_are_refused_and_nothing_changes(con, name, data, key):
    commit_survey(con, prepare_survey(con, read("plain.csv"), "plain.csv"))
    before = counts(con)
    with pytest.raises(CRMInputError) as raised:
        commit_survey(con, prepare_survey(con, data, name))
    assert raised.value.key == key
    assert raised.value.message("zh") != raised.value.message("en")
    assert counts(con) == before


def test_bad_overrides_are_refused(con):
    with pytest.raises(CRMInputError, match="no question column “Q9”"):
        prepare_survey(con, read("qualtrics.csv"), "qualtrics.csv", overrides={"Q9": {"kind": "rating"}})
    with pytest.raises(CRMInputError, match="not a dimension"):
        prepare_survey(con, read("qualtrics.csv"), "qualtrics.csv", overrides={"Q1": {"dimension": "taste"}})


@pytest.fixture
def db_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    monkeypatch.setenv("CRM_LOG", str(tmp_path / "errors.log"))
    path = tmp_path / "crm.duckdb"
    con = db.connect(path)
    seed(con)
    con.close()
    yield path
    access.release_idle()


def _file_counts(path) -> dict[str, int]:
    with access.reading(path) as con:
        return counts(con)


def test_cli_dry_run_map_and_import(db_file, capsys):
    args = ["import", "survey", str(FOLDER / "qualtrics.csv"), "--db", str(db_file), "--title", "Store survey",
            "--map", "Q2_2=measure=expected,reverse", "--map", "Q1=dimension=service"]
    assert cli.main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Survey tool: Qualtrics; 5 responses, 5 to import, 0 not imported; wave 2026-Q2" in out
    assert "Q03  rating     price      expected   1-5      R Q2_2" in out
    assert "Customers linked by column “ExternalReference” (member/customer ID): 4 matched, 1 unmatched" in out
    assert _file_counts(db_file)["survey_responses"] == 0
    assert cli.main(args) == 0
    assert "Imported survey “Store survey” (batch 1): 5 responses, 32 answers, 4 of them linked" in \
        capsys.readouterr().out
    with access.reading(db_file) as con:
        assert db.scalar(con, "SELECT reverse_scored FROM survey_questions WHERE source_column = 'Q2_2'") is True
    assert cli.main(args) == 0
    assert "imported in batch 1 already" in capsys.readouterr().out
    assert cli.main(["import", "survey", str(ROOT / "data" / "samples" / "orders.csv"), "--db", str(db_file)]) == 2
    assert "looks like Orders data" in capsys.readouterr().err
    assert cli.main([*args[:5], "--map", "Q1=colour=blue"]) == 2
    report = db_file.parent / "report.csv"
    assert cli.main(["import", "survey", str(FOLDER / WJX), "--db", str(db_file), "--dry-run",
                     "--rejected-out", str(report)]) == 0
    written = pd.read_csv(report, encoding="utf-8-sig")
    assert written["row_number"].tolist() == [6, 7, 7, 8]
    assert written["message"].iloc[3] == "Empty response (no question answered); this row is not imported"


def test_a_gbk_export_the_detector_cannot_place_is_read_as_gb18030(con):
    import importlib.util

    from crm.intake.fileformats import _guess_encoding

    spec = importlib.util.spec_from_file_location("bench_survey_import", ROOT / "scripts" / "bench_survey_import.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.make_export(500, [f"C00{i}" for i in range(1, 7)])
    assert _guess_encoding(data) is None  # charset-normalizer gives up on it
    plan = prepare_survey(con, data, "wjx_200.csv")
    assert (plan.tool, plan.source["encoding"], plan.rows_accepted, len(plan.questions)) == ("wjx", "gb18030", 500, 30)
    assert plan.matched == 6
    with pytest.raises(CRMInputError) as raised:  # bytes that are no GB18030 either stay refused
        prepare_survey(con, b"\x81\x20\xff\xfe\x00" * 50 + b"\n", "noise.csv")
    assert raised.value.key in ("imports.error.not_a_table", "imports.error.bad_encoding")
