"""CRM Insight · 客户洞察 — entrypoint: page config, language, sign-in and the router.

Each page draws the shared sidebar itself (`ui.shell.page_context`), so the
filters show and work the same on every page. A visitor who must sign in
(`ui.access`) gets the sign-in form at every page's address instead of the
page: nothing else runs, and after signing in the same link opens its page.
Pages run inside the error boundary (`ui.guard.page_boundary`): no traceback
reaches a user.

Every page has its own address, the overview included (`/overview`): Streamlit
gives the default page the empty path and answers its own name with "page not
found", so the default is a hidden page that only forwards `/` to `/overview`,
query parameters kept.
"""

import streamlit as st

from crm.i18n import t
from ui import access, guard, shell

st.set_page_config(page_title=t("app.title", "zh"), page_icon=shell.FAVICON, layout="wide")

lang = shell.language()
who = guard.run_safely(lambda: access.session(lang), "session")

# section -> (file, title key, icon, url path); the Audit page only for roles that may read the log
SECTIONS = {
    "nav.section.dashboards": [
        ("pages/overview.py", "nav.overview", ":material/dashboard:", "overview"),
        ("pages/satisfaction.py", "nav.satisfaction", ":material/sentiment_satisfied:", "satisfaction"),
        ("pages/retention.py", "nav.retention", ":material/event_repeat:", "retention"),
    ],
    "nav.section.customers": [
        ("pages/segments.py", "nav.segments", ":material/donut_large:", "segments"),
        ("pages/key_accounts.py", "nav.key_accounts", ":material/workspace_premium:", "key_accounts"),
        ("pages/churn.py", "nav.churn", ":material/person_alert:", "churn"),
        ("pages/clv.py", "nav.clv", ":material/savings:", "clv"),
    ],
    "nav.section.data": [
        ("pages/data.py", "nav.data", ":material/database:", "data"),
        ("pages/audit.py", "nav.audit", ":material/policy:", "audit"),
    ],
}
PATHS = [path for entries in SECTIONS.values() for _, _, _, path in entries]

if who is None:
    login = [st.Page(access.login_page, title=t("access.login.title", lang), icon=":material/login:",
                     url_path="home", default=True)]
    login += [st.Page(access.login_page, title=t("access.login.title", lang), icon=":material/login:",
                      url_path=path) for path in PATHS]
    page = st.navigation(login, position="hidden")
    st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")
    with guard.page_boundary("login"):
        page.run()
    st.stop()

pages = {
    t(section, lang): [
        st.Page(file, title=t(title, lang), icon=icon, url_path=path)
        for file, title, icon, path in entries if path != "audit" or access.can("audit")
    ]
    for section, entries in SECTIONS.items()
}
overview = pages[t("nav.section.dashboards", lang)][0]


def home() -> None:
    """`/`: forward to the overview's own address."""
    st.switch_page(overview, query_params=st.query_params.to_dict())


pages[t("nav.section.dashboards", lang)].insert(
    0, st.Page(home, title=t("nav.overview", lang), url_path="home", default=True, visibility="hidden"))
page = st.navigation(pages)
st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")
access.sidebar(who, lang)
shell.mark_routed()
with guard.page_boundary(f"page {page.url_path or 'overview'}"):
    page.run()
