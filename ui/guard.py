"""The page error boundary, and the notice shown while a write waits its turn.

No traceback reaches a user: app.py runs every page inside `page_boundary`.
A `CRMInputError` shows its message, `DatabaseBusy` ("data is being updated")
a warning naming what holds the database, anything else a generic message in
the user's language with an incident id, the details going to the log
(`crm.incidents`). Streamlit's own st.rerun / st.stop pass through untouched
(they are not `Exception`s).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import streamlit as st

from crm import incidents
from crm.errors import CRMInputError, DatabaseBusy, describe_holder
from crm.formatting import escape_markdown
from crm.i18n import t
from ui import shell


def error_text(exc: CRMInputError, lang: str) -> str:
    """`exc`'s message for st.error / st.warning: the user's text in it (file names, headers) shown literally."""
    return exc.message(lang, escape=escape_markdown)


@contextmanager
def page_boundary(where: str = "page") -> Iterator[None]:
    """Run a page; show whatever it raises as a message, never as a traceback."""
    try:
        yield
    except DatabaseBusy as exc:
        st.warning(error_text(exc, shell.language()), icon=":material/hourglass_top:")
    except CRMInputError as exc:
        st.error(error_text(exc, shell.language()), icon=":material/error:")
    except Exception as exc:  # the boundary: anything else is a bug, logged with an incident id
        incident = incidents.record(exc, where, echo=True)
        st.error(t("safety.error.page", shell.language(), incident=incident), icon=":material/error:")


def run_safely(func: Callable[[], object], where: str) -> object:
    """`func()` inside the boundary; when it fails, the message is shown and the run stops here."""
    failed = True
    with page_boundary(where):
        result = func()
        failed = False
    if failed:
        st.stop()
    return result


@contextmanager
def write_notice(lang: str, key: str = "safety.wait.write") -> Iterator[Callable[[dict | None], None]]:
    """An `on_wait` callback for `ui.cache.write_cursor` that shows "waiting for …" until the write ends."""
    slot = st.empty()

    def on_wait(holder: dict | None) -> None:
        slot.info(t(key, lang, holder=describe_holder(holder, lang, escape=escape_markdown)), icon=":material/hourglass_top:")

    try:
        yield on_wait
    finally:
        slot.empty()
