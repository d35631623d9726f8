"""CRM Insight · 客户洞察 — entrypoint: page config, language and the router.

Each page draws the shared sidebar itself (`ui.shell.page_context`), so the
filters show and work the same on every page. Pages run inside the error
boundary (`ui.guard.page_boundary`): no traceback reaches a user.
"""

import streamlit as st

from crm.i18n import t
from ui import guard, shell

st.set_page_config(page_title="CRM Insight · 客户洞察", page_icon=":material/insights:", layout="wide")

lang = shell.language()
pages = {
    t("nav.section.dashboards", lang): [
        st.Page("pages/overview.py", title=t("nav.overview", lang), icon=":material/dashboard:",
                url_path="overview", default=True),
    ],
    t("nav.section.customers", lang): [
        st.Page("pages/segments.py", title=t("nav.segments", lang), icon=":material/donut_large:",
                url_path="segments"),
        st.Page("pages/key_accounts.py", title=t("nav.key_accounts", lang), icon=":material/workspace_premium:",
                url_path="key_accounts"),
    ],
    t("nav.section.data", lang): [
        st.Page("pages/data.py", title=t("nav.data", lang), icon=":material/database:", url_path="data"),
    ],
}
page = st.navigation(pages)
shell.mark_routed()
with guard.page_boundary(f"page {page.url_path or 'overview'}"):
    page.run()
