"""The database for this Streamlit process and cached reads on top of it.

One DuckDB connection lives in ``st.cache_resource``; every query takes its
own cursor (``crm.store.db.query``), so sessions on different threads never share
one. Reads are cached with ``st.cache_data`` keyed on the function, its plain
arguments and the database's data version, which every import raises.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import duckdb
import streamlit as st

from crm.store import db

_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def db_path() -> str:
    return os.environ.get("CRM_DB", str(db.DEFAULT_DB_PATH))


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    return db.connect(path)


def connection() -> duckdb.DuckDBPyConnection:
    """The process-wide connection (use `cached` for reads, `write_cursor` for writes)."""
    return _database(db_path())


def data_version() -> int:
    return db.data_version(connection())


@st.cache_data(show_spinner=False, max_entries=512)
def _call(name: str, path: str, version: int, args: tuple, kwargs: tuple) -> Any:
    return _FUNCTIONS[name](_database(path), *args, **dict(kwargs))


def cached(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`func(connection, *args, **kwargs)`, cached until the data changes.

    `func` is a read-only function of `crm/` taking a connection first; its
    arguments must be hashable plain values (dates, strings, tuples, Filters).
    """
    name = f"{func.__module__}.{func.__qualname__}"
    _FUNCTIONS.setdefault(name, func)
    return _call(name, db_path(), data_version(), args, tuple(sorted(kwargs.items())))


@contextmanager
def write_cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own for one write (an import, an undo); closed afterwards."""
    cur = connection().cursor()
    try:
        yield cur
    finally:
        cur.close()


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
    return _FUNCTIONS[name](_database(path), *args, **dict(kwargs))


def shared(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Like `cached`, but every session gets the same object instead of a copy.

    For large per-customer frames (a million rows) that pages only read: no
    pickling on each rerun. Callers must not modify the result in place.
    """
    name = f"{func.__module__}.{func.__qualname__}"
    _FUNCTIONS.setdefault(name, func)
    return _call_shared(name, db_path(), data_version(), args, tuple(sorted(kwargs.items())))
