"""Login, the signed-in user's role, and audit records from the app.

``app.py`` calls ``session(lang)`` before routing: in local single-user mode
(a server bound to a loopback address, ``crm.access.mode``) the visitor acts as
the local admin; otherwise they must sign in, and while no admin user exists the
app shows how to create one and serves no data at all. The role is read from
the database on every run, so a removed user or a changed role takes effect on
the next click.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import streamlit as st

from crm.access import audit, mode, roles, users
from crm.errors import CRMInputError
from crm.i18n import t
from ui import guard
from ui import state
from ui.cache import read_cursor, write_cursor

CREATE_ADMIN = "python -m crm user add admin --role admin"
FAILED_LOGIN_DELAY = 0.5  # seconds a wrong password costs, on top of the lockout after repeated failures


@dataclass(frozen=True)
class Session:
    name: str
    role: str
    mode: str  # mode.LOCAL or mode.REQUIRED


def auth_mode() -> str:
    """LOCAL or REQUIRED, from the address the server is bound to (CRM_AUTH overrides)."""
    return mode.auth_mode(st.get_option("server.address"), os.environ.get("CRM_AUTH"))


def session(lang: str) -> Session | None:
    """The signed-in user of this browser session, or None when the visitor must sign in first."""
    if auth_mode() == mode.LOCAL:
        return Session(mode.LOCAL_USER, mode.LOCAL_ROLE, mode.LOCAL)
    stored = st.session_state.get(state.AUTH_USER)
    if not stored:
        return None
    with read_cursor() as con:
        user = users.get_user(con, stored["name"])
    if user is None:  # removed since they signed in
        st.session_state.pop(state.AUTH_USER, None)
        return None
    st.session_state[state.AUTH_USER] = {"name": user.name, "role": user.role}  # a changed role applies now
    return Session(user.name, user.role, mode.REQUIRED)


def current() -> Session:
    """The session of this run (pages run only after app.py let the visitor in)."""
    if auth_mode() == mode.LOCAL:
        return Session(mode.LOCAL_USER, mode.LOCAL_ROLE, mode.LOCAL)
    stored = st.session_state.get(state.AUTH_USER) or {}
    return Session(stored.get("name", ""), stored.get("role", ""), mode.REQUIRED)


def can(action: str) -> bool:
    return roles.can(current().role, action)


def record(action: str, detail: dict | None = None, *, rows: int | None = None, contact_fields: bool = False) -> None:
    """Append an event by the current user to the audit log."""
    who = current()
    with write_cursor() as cur:
        audit.record(cur, who.name, who.role, action, detail, rows=rows, contact_fields=contact_fields)


def login_page() -> None:
    """The sign-in form, or how to create the first admin when there is none."""
    from ui import shell

    lang = shell.language()
    shell.language_switch(lang)
    st.title(t("access.login.title", lang))
    with read_cursor() as con:
        admins = users.admin_count(con)
    if admins == 0:
        st.error(t("access.no_admin", lang), icon=":material/admin_panel_settings:")
        st.code(CREATE_ADMIN, language="bash")
        st.caption(t("access.no_admin.more", lang))
        return
    with st.columns([2, 3])[0], st.form(state.AUTH_LOGIN_FORM):
        name = st.text_input(t("access.login.name", lang), key=state.AUTH_LOGIN_NAME, autocomplete="username")
        password = st.text_input(t("access.login.password", lang), type="password", key=state.AUTH_LOGIN_PASSWORD,
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("access.login.submit", lang), type="primary",
                                          icon=":material/login:")
    if not submitted:
        return
    try:
        with write_cursor() as cur:
            user = users.authenticate(cur, name, password)
    except CRMInputError as exc:
        time.sleep(FAILED_LOGIN_DELAY)
        st.error(guard.error_text(exc, lang), icon=":material/lock:")
        return
    st.session_state[state.AUTH_USER] = {"name": user.name, "role": user.role}
    st.rerun()


def _logout() -> None:
    record("logout")
    st.session_state.pop(state.AUTH_USER, None)
    st.session_state.pop(state.REVEALED, None)


def sidebar(who: Session, lang: str) -> None:
    """Who is signed in and the logout button, or the local-mode note."""
    with st.sidebar:
        if who.mode == mode.LOCAL:
            st.info(t("access.local_mode", lang), icon=":material/computer:")
            return
        st.caption(t("access.signed_in", lang, name=who.name, role=t(f"access.role.{who.role}", lang)))
        st.button(t("access.logout", lang), key=state.AUTH_LOGOUT, on_click=_logout, icon=":material/logout:",
                  width="stretch")
