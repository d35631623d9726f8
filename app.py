"""CRM Insight · 客户洞察 — entrypoint: page config, language and the router.

Each page draws the shared sidebar itself (`ui.shell.page_context`), so the
filters show and work the same on every page.

Every page has its own address, the overview included (`/overview`): Streamlit
gives the default page the empty path and answers its own name with "page not
found", so the default is a hidden page that only forwards `/` to `/overview`,
query parameters kept.
"""

import streamlit as st

from crm.i18n import t
from ui import shell

st.set_page_config(page_title=t("app.title", "zh"), page_icon=shell.FAVICON, layout="wide")

lang = shell.language()
overview = st.Page("pages/overview.py", title=t("nav.overview", lang), icon=":material/dashboard:",
                   url_path="overview")


def home() -> None:
    """`/`: forward to the overview's own address."""
    st.switch_page(overview, query_params=st.query_params.to_dict())


pages = {
    t("nav.section.dashboards", lang): [
        st.Page(home, title=t("nav.overview", lang), url_path="home", default=True, visibility="hidden"),
        overview,
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
st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")
shell.mark_routed()
page.run()
