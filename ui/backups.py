"""Backups in the app: the one written before each destructive action, and the list with restore (admins)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from crm.errors import CRMInputError
from crm.formatting import format_number
from crm.store import backups
from ui import guard
from ui import access, state
from ui.cache import cached, db_path, write_cursor
from ui.shell import PageContext


def directory() -> Path:
    return backups.backup_dir_for(db_path())


def before(reason: str, detail: dict) -> str:
    """Write the backup a destructive action needs first, and record it; return its name."""
    with write_cursor() as cur:
        name = backups.create_backup(cur, directory(), reason, access.current().name, detail)
    access.record("backup", {"name": name, "reason": reason, **detail})
    return name


def panel(ctx: PageContext) -> None:
    """The backups, newest first, and restore of one of them (typed confirmation)."""
    st.caption(ctx.t("backups.help", folder=str(directory())))
    table = backups.list_backups(directory())
    if table.empty:
        st.info(ctx.t("backups.empty"), icon=":material/inventory_2:")
        return
    shown = table.assign(reason=table["reason"].map(lambda r: ctx.t(f"backups.reason.{r}")))
    st.dataframe(shown.rename(columns=lambda c: ctx.t(f"backups.col.{c}")), hide_index=True, width="stretch",
                 key="data.backups.table")
    if not access.can("restore"):
        return
    st.subheader(ctx.t("backups.restore"))
    left, right = st.columns([3, 1])
    name = left.selectbox(ctx.t("backups.restore.choose"), table["name"].tolist(), key="data.backups.choose")
    row = table.loc[table["name"] == name].iloc[0]
    left.caption(ctx.t("backups.restore.what", customers=format_number(row["customers"], ctx.lang),
                       orders=format_number(row["orders"], ctx.lang)))
    confirm = left.checkbox(ctx.t("backups.restore.confirm"), key="data.backups.confirm")
    if right.button(ctx.t("backups.restore.button"), disabled=not confirm, key="data.backups.restore",
                    icon=":material/settings_backup_restore:"):
        before("restore", {"restoring": name})
        try:
            with st.spinner(ctx.t("backups.restoring")), write_cursor() as cur:
                backups.restore_backup(cur, directory(), name)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
            return
        access.record("restore", {"name": name})
        st.session_state[state.IMPORT_RESULT] = ("restore", name)
        st.rerun()
