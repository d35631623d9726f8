"""`python -m crm import survey FILE [--title T] [--wave W] [--link COLUMN] [--map COLUMN=SPEC]... [--dry-run]`,
reached through `crm.cli.cmd_import`; and the plan as text for the terminal."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from crm.errors import CRMInputError
from crm.i18n import t
from crm.intake.surveys.loader import SurveyPlan, SurveyResult, commit_survey, prepare_survey
from crm.intake.surveys.questions import parse_spec

_REPORT_LINES = 20


def parse_overrides(pairs: list[str] | None) -> dict[str, dict]:
    """['Q2_2=kind=rating,reverse', …] → {'Q2_2': {'kind': 'rating', 'reverse': True}}."""
    out: dict[str, dict] = {}
    for pair in pairs or []:
        column, sep, spec = pair.partition("=")
        if not sep or not column.strip():
            raise CRMInputError("imports.error.bad_map_argument", value=pair)
        out.setdefault(column.strip(), {}).update(parse_spec(spec))
    return out


def format_plan(plan: SurveyPlan, lang: str) -> str:
    """What was understood and the validation report, as lines for the terminal."""
    tool = t(f"surveys_import.tool.{plan.tool}", lang)
    lines = [t("surveys_import.cli.summary", lang, tool=tool, total=plan.rows_total, accepted=plan.rows_accepted,
               rejected=plan.rows_rejected, wave=plan.wave or "—")]
    if len(plan.metadata):
        lines.append(t("surveys_import.metadata", lang, columns=", ".join(plan.metadata["column"])))
    for q in plan.questions.itertuples():
        scale = f"{q.scale_min:g}-{q.scale_max:g}" if pd.notna(q.scale_min) else ""
        lines.append(t("surveys_import.cli.question", lang, id=q.question_id, kind=q.kind,
                       dimension=q.dimension if pd.notna(q.dimension) else "",
                       measure=q.measure if pd.notna(q.measure) else "", scale=scale,
                       reverse="R" if q.reverse_scored else " ", text=q.source_column))
    if plan.link.column:
        lines.append(t("surveys_import.cli.link", lang, column=plan.link.column,
                       method=t(f"surveys_import.method.{plan.link.method}", lang), matched=plan.matched,
                       unmatched=plan.unmatched))
    else:
        lines.append(t("surveys_import.link.absent", lang))
    texts = plan.issue_texts(lang)
    for issue, text in list(zip(plan.issues.itertuples(), texts))[:_REPORT_LINES]:
        lines.append(t("surveys_import.cli.issue", lang, row=issue.row_number, column=issue.column or "", issue=text))
    if len(plan.issues) > _REPORT_LINES:
        lines.append(f"… (+{len(plan.issues) - _REPORT_LINES})")
    if plan.already_imported:
        lines.append(t("surveys_import.already_imported", lang, batch=plan.existing_batch_id))
    return "\n".join(lines)


def format_result(result: SurveyResult, title: str, lang: str) -> str:
    if result.skipped_duplicate_file:
        return t("surveys_import.result.skipped", lang, batch=result.batch_id)
    return t("surveys_import.result", lang, title=title, batch=result.batch_id, responses=result.responses,
             answers=result.answers, matched=result.matched)


def import_survey(args: argparse.Namespace) -> int:
    from crm.cli import _lang, _record, _writing
    from crm.intake import imports
    from crm.store import access

    path = Path(args.file)
    if path.is_dir():
        raise CRMInputError("imports.error.is_directory", file=str(path))
    if not path.is_file():
        raise CRMInputError("imports.error.file_not_found", file=str(path))
    size = path.stat().st_size
    if size > imports.MAX_IMPORT_BYTES:
        raise CRMInputError("imports.error.file_too_large", file=path.name, size_mb=round(size / 2**20, 1),
                            limit_mb=round(imports.MAX_IMPORT_BYTES / 2**20, 1))
    overrides = parse_overrides(args.map)
    with access.reading(args.db) as con:
        plan = prepare_survey(con, path.read_bytes(), path.name, title=args.title, overrides=overrides,
                              link_column=args.link, wave=args.wave, encoding=args.encoding, sheet=args.sheet)
    print(format_plan(plan, _lang()))
    if args.rejected_out and len(plan.issues):  # the whole validation report, messages in the CLI's language
        plan.issues.assign(message=plan.issue_texts(_lang())).to_csv(args.rejected_out, index=False,
                                                                     encoding="utf-8-sig")
    if args.dry_run:
        return 0
    with _writing(args, "import", path.name, "safety.wait.import") as con:
        result = commit_survey(con, plan)
        _record(con, "import", {"kind": "survey", "file": path.name, "batch": result.batch_id,
                                "skipped_duplicate_file": result.skipped_duplicate_file}, rows=result.responses)
    print(format_result(result, plan.title, _lang()))
    return 0
