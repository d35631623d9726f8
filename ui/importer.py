"""The Data page's parts: the import flow, the batch list with undo, data quality, demo rebuild.

Each step calls `crm.intake.imports` (or `crm.intake.demo`); nothing here validates or writes by itself.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm.intake import demo, fileformats, imports
from crm.store import db
from crm.errors import CRMInputError
from crm.i18n import render
from crm.formatting import escape_markdown, format_number, format_percent
from ui import access, backups
from ui import components as ui
from ui import guard, state
from ui.cache import cached, cached_pure, write_cursor
from ui.labels import as_label, field_label
from ui.shell import PageContext
from ui.value_mapping import values_editor

IGNORE = ""  # mapping choice: do not import this column
DETECT = ""  # encoding / decimal choice: detect from the file
REJECTED_PREVIEW = 500


def _describe(ctx: PageContext, name: str, data: bytes, encoding: str | None, sheet: str | None) -> dict | None:
    try:
        return cached_pure(imports.describe_file, data, name, encoding, sheet)
    except CRMInputError as exc:
        st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
        return None


def _reading_options(ctx: PageContext, kind: str, name: str, data: bytes, file_key: str):
    """The file read with the user's encoding and sheet choices (detected by default), the options
    shown in an expander; returns (description or None, encoding, sheet, decimal)."""
    is_text = name.lower().endswith(fileformats.TEXT_EXTENSIONS)
    keys = {k: f"{k}.{file_key}" for k in (state.IMPORT_ENCODING, state.IMPORT_SHEET, state.IMPORT_DECIMAL)}
    encoding = st.session_state.get(keys[state.IMPORT_ENCODING]) or None if is_text else None
    sheet = st.session_state.get(keys[state.IMPORT_SHEET]) or None
    with st.spinner(ctx.t("data.import.reading")):
        described = _describe(ctx, name, data, encoding, sheet)
    sheets = (described or {}).get("sheets") or []
    if not (is_text or len(sheets) > 1 or kind == "orders"):
        return described, encoding, sheet, None
    with st.expander(ctx.t("data.import.options"), expanded=described is None and is_text):
        st.caption(ctx.t("data.import.options.help"))
        cols = st.columns(3)
        if is_text:
            detected = (described or {}).get("encoding", "") if encoding is None else ""
            cols[0].selectbox(
                ctx.t("data.import.encoding"), [DETECT, *fileformats.ENCODINGS], key=keys[state.IMPORT_ENCODING],
                format_func=lambda e: f"{ctx.t('data.import.encoding.auto')} {detected.upper()}".strip()
                if e == DETECT else e.upper(),
            )
        if len(sheets) > 1:
            cols[1].selectbox(ctx.t("data.import.sheet"), sheets, index=sheets.index(described["sheet"]),
                              key=keys[state.IMPORT_SHEET])
        decimal = None
        if kind == "orders":
            decimal = cols[2].selectbox(
                ctx.t("data.import.decimal"), [DETECT, *fileformats.DECIMAL_MARKS], key=keys[state.IMPORT_DECIMAL],
                format_func=lambda d: {DETECT: ctx.t("data.import.decimal.auto"), ".": ctx.t("data.import.decimal.point"),
                                       ",": ctx.t("data.import.decimal.comma")}[d],
            ) or None
    return described, encoding, sheet, decimal


def _mapping_editor(ctx: PageContext, kind: str, columns: list[str], file_key: str) -> dict[str, str]:
    """One select box per file column, pre-filled with the recognised field (two columns that
    both look like one field are both pre-filled, so the user is asked to keep one)."""
    suggested = imports.candidate_mapping(columns, kind)
    fields = [IGNORE, *imports.FIELDS[kind]]
    required = set(imports.REQUIRED[kind])

    def label(field: str) -> str:
        if field == IGNORE:
            return ctx.t("data.import.ignore")
        text = field_label(field, ctx.lang)
        return f"{text} *" if field in required else text

    ambiguous = len(set(suggested.values())) < len(suggested)
    with st.expander(ctx.t("data.import.mapping"), expanded=ambiguous or not required <= set(suggested.values())):
        st.caption(ctx.t("data.import.mapping.help"))
        mapping: dict[str, str] = {}
        grid = st.columns(3)
        for i, column in enumerate(columns):
            default = suggested.get(column, IGNORE)
            mapping[column] = grid[i % 3].selectbox(
                escape_markdown(column), fields, index=fields.index(default), format_func=label,
                key=f"{state.IMPORT_MAPPING}.{file_key}.{kind}.{i}",
            )
    return mapping


def import_flow(ctx: PageContext, kind: str, name: str, data: bytes) -> None:
    """Read → map → validate (nothing written) → report → commit on request."""
    file_key = f"{name}.{len(data)}"
    described, encoding, sheet, decimal = _reading_options(ctx, kind, name, data, file_key)
    if described is None:
        return
    mapping = _mapping_editor(ctx, kind, described["columns"], file_key)
    try:
        with st.spinner(ctx.t("data.import.validating")):
            plan = cached(imports.prepare_import, data, name, kind, mapping,
                          encoding=encoding, sheet=sheet, decimal=decimal)
    except CRMInputError as exc:
        st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
        return

    st.subheader(ctx.t("data.import.report"))
    st.caption(ctx.t("imports.report.read_as", details=imports.describe_source(plan.source, ctx.lang)))
    cols = st.columns(5)
    cols[0].metric(ctx.t("data.import.rows_total"), format_number(plan.rows_total, ctx.lang))
    cols[1].metric(ctx.t("data.import.rows_accepted"), format_number(plan.rows_accepted, ctx.lang))
    cols[2].metric(ctx.t("data.import.rows_rejected"), format_number(plan.rows_rejected, ctx.lang))
    cols[3].metric(ctx.t("data.import.updates"), format_number(plan.updates, ctx.lang))
    cols[4].metric(ctx.t("data.import.new_customers"), format_number(len(plan.new_customers), ctx.lang))
    if plan.already_imported:
        st.warning(ctx.t("imports.report.already_imported", batch=plan.existing_batch_id), icon=":material/content_copy:")
    plan = values_editor(ctx, plan, file_key)

    if plan.rows_rejected:
        st.markdown(f"**{ctx.t('data.import.rejected_rows')}**")
        rejected = plan.rejected.drop(columns=["reason", "reason_text_zh", "reason_text_en"]).assign(
            reason=plan.reason_texts(ctx.lang).map(lambda r: as_label(r, ctx.lang)).to_numpy(),
            column=plan.rejected["column"].map(lambda c: field_label(c, ctx.lang) if isinstance(c, str) else c),
        ).rename(columns={"row_number": ctx.t("data.import.row_number"), "column": ctx.t("data.import.column"),
                          "reason": ctx.t("data.import.reason")})
        if len(rejected) > REJECTED_PREVIEW:
            st.caption(ctx.t("data.import.rejected_preview", shown=format_number(REJECTED_PREVIEW, ctx.lang),
                             total=format_number(len(rejected), ctx.lang)))
        ui.dataframe(rejected.head(REJECTED_PREVIEW), key="data.import.rejected")
        ui.download_buttons(ctx, rejected, f"rejected_{name.rsplit('.', 1)[0]}", key="data.import.rejected",
                            period=False, title=ctx.t("data.import.rejected_rows"))

    if plan.rows_accepted:
        with st.expander(ctx.t("data.import.preview")):
            preview = plan.accepted.head(50)
            ui.dataframe(preview.rename(columns=lambda c: field_label(c, ctx.lang)),
                         kinds={field_label(c, ctx.lang): "money" for c in ("amount", "cost", "profit") if c in preview})

    disabled = plan.rows_accepted == 0 or plan.already_imported
    if st.button(ctx.t("data.import.commit", count=format_number(plan.rows_accepted, ctx.lang)), type="primary",
                 disabled=disabled, key="data.import.commit", icon=":material/file_upload:"):
        try:
            with guard.write_notice(ctx.lang, "safety.wait.import") as on_wait, \
                    st.spinner(ctx.t("data.import.committing")), \
                    write_cursor(action="import", detail=name, on_wait=on_wait) as cur:
                result = imports.commit_import(cur, plan)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        access.record("import", {"kind": kind, "file": name, "batch": result.batch_id,
                                 "skipped_duplicate_file": result.skipped_duplicate_file},
                      rows=result.inserted + result.updated)
        st.session_state[state.IMPORT_RESULT] = ("import", result)
        st.rerun()


def show_last_result(ctx: PageContext) -> None:
    """The outcome of the write that triggered this rerun, once, in the current language."""
    done = st.session_state.pop(state.IMPORT_RESULT, None)
    if done is None:
        return
    what, value = done
    if what == "import":
        text = imports.format_result(value, ctx.lang)
    elif what == "survey":
        from crm.intake.surveys.commands import format_result

        text = format_result(value[0], value[1], ctx.lang)
    elif what == "undo":
        text = ctx.t("data.batches.undone", batch=value)
    elif what == "restore":
        text = ctx.t("backups.restored", name=value)
    else:
        text = ctx.t("data.demo.done", customers=format_number(value["customers"], ctx.lang),
                     orders=format_number(value["orders"], ctx.lang))
    st.success(text, icon=":material/check_circle:")


def batches(ctx: PageContext) -> None:
    """Past imports, newest first, and undo for an active one."""
    table = cached(imports.list_batches)
    if table.empty:
        st.info(ctx.t("data.batches.empty"))
        return
    shown = table.drop(columns=["mapping", "file_hash"]).assign(
        status=table["status"].map(lambda s: as_label(ctx.t(f"data.batches.status.{s}"), ctx.lang)),
        table_name=table["table_name"].map(lambda k: as_label(ctx.t(f"data.batches.table.{k}"), ctx.lang)),
    ).rename(columns={c: ctx.t(f"data.batches.col.{c}") for c in table.columns if c not in ("mapping", "file_hash")})
    ui.dataframe(shown, key="data.batches.table", column_config={
        ctx.t("data.batches.col.batch_id"): st.column_config.NumberColumn(format="%d")})
    ui.download_buttons(ctx, shown, "import_batches", key="data.batches.download", period=False)

    undoable = table.loc[(table["status"] == "active") & (table["batch_id"] > 0)]
    if undoable.empty or not access.can("undo"):
        return
    st.subheader(ctx.t("data.batches.undo"))
    labels = dict(zip(undoable["batch_id"], undoable["file_name"]))
    left, right = st.columns([3, 1])
    batch_id = left.selectbox(
        ctx.t("data.batches.undo.choose"), list(labels), key="data.batches.undo.batch",
        format_func=lambda b: f"#{b} · {labels[b]}",
    )
    confirm = left.checkbox(ctx.t("data.batches.undo.confirm"), key="data.batches.undo.confirm")
    if right.button(ctx.t("data.batches.undo.button"), disabled=not confirm, key="data.batches.undo.button",
                    icon=":material/undo:"):
        try:
            with write_cursor(action="undo", detail=f"#{int(batch_id)}") as cur:
                imports.check_undo(cur, int(batch_id))  # a refused undo writes no backup
            backups.before("undo", {"batch": int(batch_id)})
            with guard.write_notice(ctx.lang) as on_wait, st.spinner(ctx.t("data.batches.undoing")), \
                    write_cursor(action="undo", detail=f"#{int(batch_id)}", on_wait=on_wait) as cur:
                imports.undo_batch(cur, int(batch_id))
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        access.record("undo", {"batch": int(batch_id)})
        st.session_state[state.IMPORT_RESULT] = ("undo", int(batch_id))
        st.rerun()


def quality(ctx: PageContext) -> None:
    """Row counts, date ranges, empty values and orders without a known customer."""
    q = cached(imports.data_quality)
    counts = dict(zip(q["row_counts"]["table_name"], q["row_counts"]["rows"]))
    orphans = q["orphan_orders"].iloc[0]
    cards = st.container(horizontal=True)  # cards as wide as their titles, wrapping to a new line: never clipped
    for name in ("customers", "stub_customers", "orders", "tickets"):
        cards.metric(as_label(ctx.t(f"quality.table.{name}"), ctx.lang), format_number(counts.get(name, 0), ctx.lang),
                     border=True, width="content")
    cards.metric(ctx.t("quality.orphan_orders"), format_number(orphans["orphan_orders"], ctx.lang), border=True,
                 width="content",
                 help=format_percent(orphans["orphan_share"]) if pd.notna(orphans["orphan_share"]) else None)

    st.subheader(ctx.t("quality.date_ranges"))
    ranges = q["date_ranges"].assign(
        table_name=lambda d: d["table_name"].map(lambda k: as_label(ctx.t(f"quality.table.{k}"), ctx.lang)),
        column_name=lambda d: d["column_name"].map(lambda c: field_label(c, ctx.lang)))
    ui.dataframe(ranges.rename(columns={
        "table_name": ctx.t("quality.col.table"), "column_name": ctx.t("quality.col.column"),
        "rows": ctx.t("quality.col.rows"), "first_date": ctx.t("quality.col.first"),
        "last_date": ctx.t("quality.col.last"),
    }), kinds={ctx.t("quality.col.first"): "date", ctx.t("quality.col.last"): "date"})

    st.subheader(ctx.t("quality.empty_values"))
    empty = q["empty_values"].assign(
        table_name=lambda d: d["table_name"].map(lambda k: as_label(ctx.t(f"quality.table.{k}"), ctx.lang)),
        column_name=lambda d: d["column_name"].map(lambda c: field_label(c, ctx.lang)))
    empty = empty.rename(columns={
        "table_name": ctx.t("quality.col.table"), "column_name": ctx.t("quality.col.column"),
        "rows": ctx.t("quality.col.rows"), "empty": ctx.t("quality.col.empty"),
        "empty_share": ctx.t("quality.col.empty_share"),
    })
    quality_kinds = {ctx.t("quality.col.empty_share"): "share"}
    ui.dataframe(empty, kinds=quality_kinds)
    ui.download_buttons(ctx, empty, "data_quality", key="data.quality.download", kinds=quality_kinds, period=False,
                        title=ctx.t("quality.empty_values"))


def demo_builder(ctx: PageContext) -> None:
    """Replace everything with demo data, with a progress bar; over imported data only after a typed word."""
    st.markdown(ctx.t("data.demo.text"))
    left, right = st.columns(2)
    customers = left.number_input(ctx.t("data.demo.customers"), min_value=100, max_value=1_000_000,
                                  value=20_000, step=1_000, key="data.demo.customers")
    seed = right.number_input(ctx.t("data.demo.seed"), min_value=0, value=42, step=1, key="data.demo.seed")
    imported = cached(demo.imported_batches)
    typed = None
    if imported:
        st.warning(ctx.t("demo.refuse.warning", batches=imported, word=demo.CONFIRM_WORD), icon=":material/warning:")
        typed = st.text_input(ctx.t("demo.refuse.type", word=demo.CONFIRM_WORD), key="data.demo.typed")
        confirm = typed.strip() in demo.CONFIRM_WORDS
    else:
        confirm = st.checkbox(ctx.t("data.demo.confirm"), key="data.demo.confirm")
    if st.button(ctx.t("data.demo.button"), disabled=not confirm, key="data.demo.button", icon=":material/auto_awesome:"):
        try:
            with write_cursor(action="demo") as cur:
                demo.require_replace_confirmation(cur, typed)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        if cached(db.table_counts).get("customers", 0):  # nothing to back up in an empty database
            backups.before("demo", {"imported_batches": imported})
        bar = st.progress(0.0, text=ctx.t("data.demo.running"))
        try:
            with guard.write_notice(ctx.lang) as on_wait, write_cursor(action="demo", on_wait=on_wait) as cur:
                summary = demo.build_demo(cur, customers=int(customers), seed=int(seed),
                                          progress=lambda message, fraction: bar.progress(min(fraction, 1.0),
                                                                                     text=render(message, ctx.lang)))
        except CRMInputError as exc:
            bar.empty()
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        bar.empty()
        access.record("demo", {"customers": int(customers), "seed": int(seed), "replaced_batches": imported},
                      rows=summary["customers"])
        st.session_state[state.IMPORT_RESULT] = ("demo", summary)
        st.rerun()
