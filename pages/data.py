"""Data: import files, review past batches, data quality."""

import streamlit as st

from ui.shell import page_context

ctx = page_context(filters=False)
st.title(ctx.t("nav.data"))
