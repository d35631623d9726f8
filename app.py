"""CRM Insight · 客户洞察 — entrypoint: page config, language, sign-in and the router.

Each page draws the shared sidebar itself (`ui.shell.page_context`), so the
filters show and work the same on every page. A visitor who must sign in
(`ui.access`) gets the sign-in form at every page's address instead of the
page: nothing else runs, and after signing in the same link opens its page.
"""

import streamlit as st

from crm.i18n import t
from ui import access, shell

st.set_page_config(page_title="CRM Insight · 客户洞察", page_icon=":material/insights:", layout="wide")

lang = shell.language()
who = access.session(lang)

# section -> (file, title key, icon, url path); the Audit page only for roles that may read the log
SECTIONS = {
    "nav.section.dashboards": [("pages/overview.py", "nav.overview", ":material/dashboard:", "overview")],
    "nav.section.customers": [
        ("pages/segments.py", "nav.segments", ":material/donut_large:", "segments"),
        ("pages/key_accounts.py", "nav.key_accounts", ":material/workspace_premium:", "key_accounts"),
    ],
    "nav.section.data": [
        ("pages/data.py", "nav.data", ":material/database:", "data"),
        ("pages/audit.py", "nav.audit", ":material/policy:", "audit"),
    ],
}

if who is None:
    login = [st.Page(access.login_page, title=t("access.login.title", lang), icon=":material/login:",
                     url_path=path, default=path == "overview")
             for entries in SECTIONS.values() for _, _, _, path in entries]
    page = st.navigation(login, position="hidden")
    page.run()
    st.stop()

pages = {
    t(section, lang): [
        st.Page(file, title=t(title, lang), icon=icon, url_path=path, default=path == "overview")
        for file, title, icon, path in entries if path != "audit" or access.can("audit")
    ]
    for section, entries in SECTIONS.items()
}
page = st.navigation(pages)
access.sidebar(who, lang)
shell.mark_routed()
page.run()
