"""The Data page's survey import: what was understood (tool, questions, link to customers, validation
report), the questions editable before import, then one batch written by `crm.intake.surveys`."""

from __future__ import annotations

import json
import re
from pathlib import PurePath

import pandas as pd
import streamlit as st

from crm.errors import CRMInputError
from crm.formatting import escape_markdown, format_number
from crm.intake import surveys
from crm.intake.surveys import loader
from ui import access, guard, state
from ui import components as ui
from ui.cache import cached, write_cursor
from ui.labels import as_label
from ui.shell import PageContext

NO_LINK = ""
REPORT_PREVIEW = 500
_NONE = "none"


def _frozen(overrides: dict[str, dict]) -> tuple:
    return tuple(sorted((column, tuple(sorted(spec.items()))) for column, spec in overrides.items()))


def _plan(ctx: PageContext, name: str, data: bytes, **options) -> loader.SurveyPlan | None:
    try:
        with st.spinner(ctx.t("data.import.validating")):
            return cached(surveys.prepare_survey, data, name, **options)
    except CRMInputError as exc:
        st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
        return None


def _labels(ctx: PageContext, prefix: str, codes) -> dict[str, str]:
    return {code: as_label(ctx.t(f"{prefix}.{code}"), ctx.lang) for code in codes}


_SCALE = re.compile(r"(\d+(?:\.\d+)?)\s*[-–~～]\s*(\d+(?:\.\d+)?)")  # '1–7', '0-10', '1 ~ 5'


def _questions_editor(ctx: PageContext, plan: loader.SurveyPlan, file_key: str) -> dict[str, dict]:
    """The questions as understood, kind / dimension / measure / reverse editable; returns the overrides."""
    kinds = _labels(ctx, "surveys_import.kind", surveys.KINDS)
    dimensions = {_NONE: ctx.t("surveys_import.dimension.none"),
                  **_labels(ctx, "surveys_import.dimension", surveys.DIMENSIONS)}
    measures = {_NONE: ctx.t("surveys_import.dimension.none"),
                **_labels(ctx, "surveys_import.measure", surveys.MEASURES)}
    q = plan.questions
    scale = [f"{lo:g}–{hi:g}" if pd.notna(lo) else "" for lo, hi in zip(q["scale_min"], q["scale_max"])]
    shown = pd.DataFrame({
        "source_column": q["source_column"], "text": q["text"],
        "kind": q["kind"].map(kinds),
        "dimension": q["dimension"].fillna(_NONE).map(dimensions),
        "measure": q["measure"].fillna(_NONE).map(measures),
        "scale": scale, "reverse_scored": q["reverse_scored"].astype(bool),
        "options": q["options"].map(lambda o: ("、" if ctx.lang == "zh" else " / ").join(json.loads(o))
                                    if isinstance(o, str) else ""),
        "answers": q["answers"],
    })
    col = {c: ctx.t(f"surveys_import.col.{c}") for c in shown.columns}
    st.markdown(f"**{ctx.t('surveys_import.questions')}**")
    st.caption(ctx.t("surveys_import.questions.help"))
    edited = st.data_editor(
        shown, key=f"{state.SURVEY_QUESTIONS}.{file_key}", hide_index=True, width="stretch", num_rows="fixed",
        disabled=["source_column", "text", "options", "answers"],
        column_config={
            "source_column": st.column_config.TextColumn(col["source_column"]),
            "text": st.column_config.TextColumn(col["text"]),
            "kind": st.column_config.SelectboxColumn(col["kind"], options=list(kinds.values()), required=True),
            "dimension": st.column_config.SelectboxColumn(col["dimension"], options=list(dimensions.values()),
                                                          required=True),
            "measure": st.column_config.SelectboxColumn(col["measure"], options=list(measures.values()),
                                                        required=True),
            "scale": st.column_config.TextColumn(col["scale"], help=ctx.t("surveys_import.scale.help")),
            "reverse_scored": st.column_config.CheckboxColumn(col["reverse_scored"]),
            "options": st.column_config.TextColumn(col["options"]),
            "answers": st.column_config.NumberColumn(col["answers"], format="%d"),
        },
    )
    back = {"kind": {v: k for k, v in kinds.items()}, "dimension": {v: k for k, v in dimensions.items()},
            "measure": {v: k for k, v in measures.items()}}
    overrides: dict[str, dict] = {}
    for i, source in enumerate(shown["source_column"]):
        spec = {}
        for field in ("kind", "dimension", "measure"):
            if edited[field].iloc[i] != shown[field].iloc[i]:
                value = back[field].get(edited[field].iloc[i])
                if value and value != _NONE:
                    spec[field] = value
        if bool(edited["reverse_scored"].iloc[i]) != bool(shown["reverse_scored"].iloc[i]):
            spec["reverse"] = bool(edited["reverse_scored"].iloc[i])
        typed = str(edited["scale"].iloc[i] or "").strip()
        if typed != shown["scale"].iloc[i]:
            ends = _SCALE.fullmatch(typed)
            if ends and float(ends[1]) < float(ends[2]):
                spec["scale_min"], spec["scale_max"] = float(ends[1]), float(ends[2])
            else:
                st.warning(ctx.t("surveys_import.scale.bad", column=escape_markdown(source),
                                 value=escape_markdown(typed)), icon=":material/warning:")
        if spec:
            overrides[source] = spec
    return overrides


def _link_choice(ctx: PageContext, plan: loader.SurveyPlan, file_key: str) -> str | None:
    candidates = plan.link.candidates
    if candidates.empty:
        return None
    methods = dict(zip(candidates["column"], candidates["method"]))
    matched = dict(zip(candidates["column"], candidates["matched"]))
    options = [*candidates["column"], NO_LINK]

    def label(column: str) -> str:
        if column == NO_LINK:
            return ctx.t("surveys_import.link.none")
        return ctx.t("surveys_import.link.option", column=column,
                     method=ctx.t(f"surveys_import.method.{methods[column]}"),
                     matched=format_number(matched[column], ctx.lang))

    return st.selectbox(ctx.t("surveys_import.link"), options, index=options.index(plan.link.column or NO_LINK),
                        format_func=label, key=f"{state.SURVEY_LINK}.{file_key}")


def _report(ctx: PageContext, plan: loader.SurveyPlan, name: str) -> None:
    st.markdown(f"**{ctx.t('surveys_import.report')}**")
    if plan.issues.empty:
        st.success(ctx.t("surveys_import.report.empty"), icon=":material/task_alt:")
        return
    report = pd.DataFrame({
        ctx.t("surveys_import.report.row"): plan.issues["row_number"].astype("Int64"),
        ctx.t("surveys_import.report.column"): plan.issues["column"],
        ctx.t("surveys_import.report.value"): plan.issues["value"].astype("string"),
        ctx.t("surveys_import.report.issue"): plan.issue_texts(ctx.lang),
    })
    ui.dataframe(report.head(REPORT_PREVIEW), key="data.survey.report")
    ui.download_buttons(ctx, report, f"survey_report_{PurePath(name).stem}", key="data.survey.report",
                        period=False, title=ctx.t("surveys_import.report"))


def survey_flow(ctx: PageContext, name: str, data: bytes) -> None:
    """Understand → check and edit → import on request."""
    file_key = f"{name}.{len(data)}"
    left, right = st.columns(2)
    title = left.text_input(ctx.t("surveys_import.title"), value=PurePath(name).stem, help=ctx.t(
        "surveys_import.title.help"), key=f"{state.SURVEY_TITLE}.{file_key}")
    link_key = f"{state.SURVEY_LINK}.{file_key}"
    link_column = st.session_state.get(link_key)
    base = _plan(ctx, name, data, link_column=link_column)
    if base is None:
        return
    wave = right.text_input(ctx.t("surveys_import.wave"), value=base.wave or "", help=ctx.t("surveys_import.wave.help"),
                            key=f"{state.SURVEY_WAVE}.{file_key}")

    st.subheader(ctx.t("surveys_import.understood"))
    cards = st.container(horizontal=True)
    cards.metric(ctx.t("surveys_import.tool"), ctx.t(f"surveys_import.tool.{base.tool}"), border=True, width="content")
    cards.metric(ctx.t("surveys_import.responses"), format_number(base.rows_accepted, ctx.lang), border=True,
                 width="content")
    cards.metric(ctx.t("surveys_import.questions_count"), format_number(len(base.questions), ctx.lang), border=True,
                 width="content")
    cards.metric(ctx.t("surveys_import.matched"), format_number(base.matched, ctx.lang), border=True, width="content")
    cards.metric(ctx.t("surveys_import.unmatched"), format_number(base.unmatched, ctx.lang), border=True,
                 width="content")
    cards.metric(ctx.t("surveys_import.rejected"), format_number(base.rows_rejected, ctx.lang), border=True,
                 width="content")
    if len(base.metadata):
        st.caption(ctx.t("surveys_import.metadata", columns="、".join(base.metadata["column"]) if ctx.lang == "zh"
                         else ", ".join(base.metadata["column"])))
    _link_choice(ctx, base, file_key)
    if base.link.column:
        st.caption(ctx.t("surveys_import.link.caption", method=ctx.t(f"surveys_import.method.{base.link.method}"),
                         matched=format_number(base.matched, ctx.lang),
                         unmatched=format_number(base.unmatched, ctx.lang)))
    else:
        st.caption(ctx.t("surveys_import.link.absent"))

    overrides = _questions_editor(ctx, base, file_key)
    plan = base
    if overrides or title.strip() != base.title or (wave or None) != base.wave:
        plan = _plan(ctx, name, data, link_column=link_column, overrides=_frozen(overrides),
                     title=title.strip() or None, wave=wave.strip() or None)
        if plan is None:
            return
    _report(ctx, plan, name)
    if plan.already_imported:
        st.warning(ctx.t("surveys_import.already_imported", batch=plan.existing_batch_id),
                   icon=":material/content_copy:")
    disabled = plan.rows_accepted == 0 or plan.already_imported
    if st.button(ctx.t("surveys_import.commit", count=format_number(plan.rows_accepted, ctx.lang)), type="primary",
                 disabled=disabled, key="data.survey.commit", icon=":material/file_upload:"):
        try:
            with guard.write_notice(ctx.lang, "safety.wait.import") as on_wait, \
                    st.spinner(ctx.t("data.import.committing")), \
                    write_cursor(action="import", detail=name, on_wait=on_wait) as cur:
                result = surveys.commit_survey(cur, plan)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        access.record("import", {"kind": "survey", "file": name, "batch": result.batch_id,
                                 "skipped_duplicate_file": result.skipped_duplicate_file}, rows=result.responses)
        st.session_state[state.IMPORT_RESULT] = ("survey", (result, plan.title))
        st.rerun()
