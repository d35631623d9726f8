"""Data: import files (validate first, then one transaction), past batches with undo, data quality."""

import streamlit as st

from crm.intake import imports
from ui import access, backups, importer, state, survey_import
from ui import components as ui
from ui.shell import page_context
from ui.value_mapping import remembered_list, template_buttons

ctx = page_context(filters=False)
ui.page_header(ctx, "data.title", ctx.t("data.caption"), needs_data=False)
importer.show_last_result(ctx)

if not access.can("import"):  # analysts and viewers: what was loaded, not how to change it
    st.info(ctx.t("access.data.read_only"), icon=":material/lock:")
    tab_batches, tab_quality = st.tabs([ctx.t("data.tab.batches"), ctx.t("data.tab.quality")])
    with tab_batches:
        importer.batches(ctx)
    with tab_quality:
        importer.quality(ctx)
    st.stop()

tab_import, tab_batches, tab_quality, tab_demo, tab_backups = st.tabs([
    ctx.t("data.tab.import"), ctx.t("data.tab.batches"), ctx.t("data.tab.quality"), ctx.t("data.tab.demo"),
    ctx.t("backups.tab"),
])
with tab_import:
    left, right = st.columns([1, 2])
    kind = left.selectbox(
        ctx.t("data.import.kind"), [*imports.KINDS, "survey"], key=state.IMPORT_KIND,
        format_func=lambda k: ctx.t(f"data.import.kind.{k}"),
    )
    left.caption(ctx.t(f"data.import.kind.{kind}.help"))
    if kind != "survey":
        template_buttons(ctx, kind, left)
    remembered_list(ctx, left)
    upload = right.file_uploader(
        ctx.t("data.import.file"), type=["csv", "txt", "tsv", "xlsx", "xlsm", "parquet"], key=state.IMPORT_FILE,
        help=ctx.t("data.import.file.help"),
    )
    if ctx.lang == "zh":  # Streamlit draws the drop zone's button and size line in English only
        right.caption(ctx.t("display.uploader.hint", limit=f"{st.get_option('server.maxUploadSize'):,} MB"))
    if upload is None:
        st.info(ctx.t("data.import.empty"), icon=":material/upload_file:")
    elif kind == "survey":
        survey_import.survey_flow(ctx, upload.name, upload.getvalue())
    else:
        importer.import_flow(ctx, kind, upload.name, upload.getvalue())

with tab_batches:
    importer.batches(ctx)

with tab_quality:
    importer.quality(ctx)

with tab_demo:
    importer.demo_builder(ctx)

with tab_backups:
    backups.panel(ctx)
