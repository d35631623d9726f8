"""Audit (admins): who did what and when — sign-ins, imports, undos, demo rebuilds, exports, reveals, erasures."""

import datetime as dt

import streamlit as st

from crm.access import audit
from crm.access.roles import ROLES
from ui import access
from ui import components as ui
from ui.cache import connection
from ui.shell import page_context

ctx = page_context(filters=False)
st.title(ctx.t("audit.title"))
st.caption(ctx.t("audit.caption"))
if not access.can("audit"):
    st.error(ctx.t("access.error.forbidden", role=access.current().role, action="audit"))
    st.stop()

today = dt.date.today()
c1, c2, c3 = st.columns([1.2, 1, 2])
period = c1.date_input(ctx.t("audit.period"), value=(today - dt.timedelta(days=30), today), format="YYYY-MM-DD",
                       key="audit.period")
start, end = (period[0], period[-1]) if period else (None, None)
con = connection()  # read live, never cached: the log grows with every click
people = audit.users_in_log(con)
user = c2.selectbox(ctx.t("audit.user"), [""] + people, key="audit.user",
                    format_func=lambda u: u or ctx.t("shell.filter.all"))
actions = c3.multiselect(ctx.t("audit.action"), audit.ACTIONS, key="audit.actions",
                         format_func=lambda a: ctx.t(f"audit.action.{a}"), placeholder=ctx.t("shell.filter.all"))
events = audit.list_events(con, start=start, end=end, user=user or None, actions=tuple(actions))
st.caption(ctx.t("audit.count", count=len(events)))
if events.empty:
    ui.empty_state(ctx, "audit.empty")
    st.stop()
shown = events.assign(action=events["action"].map(lambda a: ctx.t(f"audit.action.{a}")),
                      role=events["role"].map(lambda r: ctx.t(f"access.role.{r}") if r in ROLES else r))
shown = shown.rename(columns=lambda c: ctx.t(f"audit.col.{c}"))
st.dataframe(shown, hide_index=True, width="stretch", key="audit.table",
             column_config={ctx.t("audit.col.at"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
ui.download_buttons(ctx, shown, "audit_log", key="audit.download")
