"""CRM Insight · 客户洞察 — entrypoint: page config, language, sign-in and the router.

Each page draws the shared sidebar itself (`ui.shell.page_context`), so the
filters show and work the same on every page. A visitor who must sign in
(`ui.access`) gets only the sign-in page: no other page is routed, so none can
be opened by its URL.
"""

import streamlit as st

from crm.i18n import t
from ui import access, shell

st.set_page_config(page_title="CRM Insight · 客户洞察", page_icon=":material/insights:", layout="wide")

lang = shell.language()
who = access.session(lang)
if who is None:
    page = st.navigation([st.Page(access.login_page, title=t("access.login.title", lang), icon=":material/login:",
                                  url_path="login", default=True)], position="hidden")
    page.run()
    st.stop()

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
if access.can("audit"):
    pages[t("nav.section.data", lang)].append(
        st.Page("pages/audit.py", title=t("nav.audit", lang), icon=":material/policy:", url_path="audit"))
page = st.navigation(pages)
access.sidebar(who, lang)
shell.mark_routed()
page.run()
