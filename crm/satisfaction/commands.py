"""Command-line commands of the satisfaction pages: `python -m crm ...` (registered by `crm.cli`).

* ``surveys``: one row per survey: survey_id, title, tool, responses, linked, first_response, last_response.
* ``survey-report [SURVEY_ID] --out FILE``: one row per rating or NPS question of the survey (default: the
  most recently imported) with exactly ``REPORT_COLUMNS``; CSV or XLSX by the file's extension.
"""

from __future__ import annotations

import argparse

import pandas as pd

REPORT_COLUMNS = ["question_id", "question", "kind", "dimension", "measure", "n", "mean", "top2_share", "nps",
                  "promoters", "passives", "detractors"]
SURVEY_COLUMNS = ["survey_id", "title", "tool", "responses", "linked", "first_response", "last_response"]


def survey_report(con, survey_id: str | None = None) -> tuple[str, pd.DataFrame]:
    """(survey id, the report table): per rating / NPS question n, mean on its own scale, top-2-box share,
    and for the NPS question the NPS (−100 … 100) and promoter / passive / detractor shares (fractions 0–1);
    those four are empty for ratings. Formulas in ``crm.satisfaction.scores``."""
    from crm.errors import CRMInputError
    from crm.satisfaction import scores, surveys
    from crm.store.db import scalar

    if survey_id is None:
        survey_id = surveys.latest_survey_id(con)
        if survey_id is None:
            raise CRMInputError("satisfaction.error.no_survey")
    elif not scalar(con, "SELECT count(*) FROM surveys WHERE survey_id = ?", [survey_id]):
        raise CRMInputError("satisfaction.error.unknown_survey", survey_id=survey_id)
    table = scores.question_scores(con, (survey_id,))
    return survey_id, table[REPORT_COLUMNS].reset_index(drop=True)


def cmd_surveys(args: argparse.Namespace) -> int:
    from crm.cli import _lang
    from crm.i18n import t
    from crm.satisfaction import surveys
    from crm.store import access

    with access.reading(args.db) as con:
        table = surveys.list_surveys(con)[SURVEY_COLUMNS]
    if table.empty:
        print(t("satisfaction.cli.surveys.none", _lang()))
        return 0
    print(table.to_string(index=False))
    return 0


def cmd_survey_report(args: argparse.Namespace) -> int:
    from crm.cli import _lang
    from crm.export import write_table
    from crm.i18n import t
    from crm.store import access

    with access.reading(args.db) as con:
        survey_id, table = survey_report(con, args.survey_id)
    kinds = {"top2_share": "share", "promoters": "share", "passives": "share", "detractors": "share",
             "mean": "decimal", "nps": "decimal", "n": "count"}
    path = write_table(table, args.out, kinds=kinds)
    print(t("satisfaction.cli.survey_report.written", _lang(), path=str(path), survey_id=survey_id, rows=len(table)))
    return 0


def register(add, add_period) -> None:
    """Add this domain's subcommands; `add(name, func, help)` returns the argparse parser of one command."""
    add("surveys", cmd_surveys, "list surveys: id, title, tool, responses, linked, first and last response")
    p = add("survey-report", cmd_survey_report,
            "write one survey's scores per rating and NPS question (CSV or XLSX by extension)")
    p.add_argument("survey_id", nargs="?", default=None, metavar="SURVEY_ID",
                   help="survey id (default: the most recently imported survey)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")
