"""Cached reads of the database for this Streamlit process, and the one way to write.

The app does not keep the DuckDB file open: the command line (and a second app)
must be able to write while it runs, and DuckDB allows one read-write process
or many read-only ones, never both. So (see `crm.store.access`):

- `cached` / `shared` results are keyed on the function, its plain arguments
  and the data version. `data_version()` reads a small side file next to the
  database (``crm.duckdb.version``), so a warm rerun never opens the database.
- A cache miss reads through `access.reading`: the process's one read-only
  connection, shared by concurrent calls, opened on demand, kept open for a
  minute while idle (DuckDB's buffers stay warm) and closed within 0.1 s when
  a writer queues. While a writer holds the file, a miss waits a few seconds
  (``CRM_READ_WAIT``) and then raises `DatabaseBusy` ("data is being
  updated"), which the page boundary (`ui.guard`) shows as a message.
- `write_cursor` is the one writer of the file, across sessions and processes:
  it queues behind another writer (the CLI or another session), calling
  `on_wait` so the page can say so, and raises `DatabaseBusy` naming the holder
  when the wait runs out. Its exit records the new data version.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import duckdb
import streamlit as st

from crm.store import access, db

_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def db_path() -> str:
    return os.environ.get("CRM_DB", str(db.DEFAULT_DB_PATH))


def data_version() -> int:
    """The database's data version, from the side file while it is current (no database opened)."""
    path = db_path()
    access.prepare(path)  # once per process: create the file, bring its schema up to date
    return access.data_version(path)


@st.cache_data(show_spinner=False, max_entries=512)
def _call(name: str, path: str, version: int, args: tuple, kwargs: tuple) -> Any:
    with access.reading(path) as con:
        return _FUNCTIONS[name](con, *args, **dict(kwargs))


def cached(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`func(connection, *args, **kwargs)`, cached until the data changes.

    `func` is a read-only function of `crm/` taking a connection first; its
    arguments must be hashable plain values (dates, strings, tuples, Filters).
    """
    name = f"{func.__module__}.{func.__qualname__}"
    _FUNCTIONS.setdefault(name, func)
    return _call(name, db_path(), data_version(), args, tuple(sorted(kwargs.items())))


@contextmanager
def read_cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor for reads that must not be cached (the signed-in user, the audit log)."""
    path = db_path()
    access.prepare(path)
    with access.reading(path) as con:
        yield con


@contextmanager
def write_cursor(*, action: str = "write", detail: str = "",
                 on_wait: Callable[[dict | None], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database opened read-write for one write (an import, an undo), by this session only.

    Waits its turn behind another writer; `on_wait(holder)` is called once when
    it has to (to show "waiting for another import"). Raises `DatabaseBusy`
    naming the holder when the wait runs out. `action` and `detail` tell
    others who wait what this write is ('import', 'orders.csv').
    """
    with access.writing(db_path(), who="app", action=action, detail=detail, on_wait=on_wait) as con:
        yield con


@st.cache_data(show_spinner=False, max_entries=16)
def _call_pure(name: str, args: tuple, kwargs: tuple) -> Any:
    return _FUNCTIONS[name](*args, **dict(kwargs))


def cached_pure(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`func(*args, **kwargs)` for a function that reads no database (e.g. parsing a file), cached."""
    name = f"{func.__module__}.{func.__qualname__}"
    _FUNCTIONS.setdefault(name, func)
    return _call_pure(name, args, tuple(sorted(kwargs.items())))


@st.cache_resource(show_spinner=False, max_entries=12)
def _call_shared(name: str, path: str, version: int, args: tuple, kwargs: tuple) -> Any:
    with access.reading(path) as con:
        return _FUNCTIONS[name](con, *args, **dict(kwargs))


def shared(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Like `cached`, but every session gets the same object instead of a copy.

    For large per-customer frames (a million rows) that pages only read: no
    pickling on each rerun. Callers must not modify the result in place.
    """
    name = f"{func.__module__}.{func.__qualname__}"
    _FUNCTIONS.setdefault(name, func)
    return _call_shared(name, db_path(), data_version(), args, tuple(sorted(kwargs.items())))
