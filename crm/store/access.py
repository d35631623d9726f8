"""Who may open the database file, and when: many readers or one writer, across processes.

DuckDB lets one process open a file read-write, or any number of processes open
it read-only, never both at once. So no process keeps the file open for its
life: the app and the command line open it only while they need it, and three
small files next to ``crm.duckdb`` let them take turns:

- ``crm.duckdb.lock``: a readers/writer lock (``flock``). A reader holds it
  shared while its read-only connection is open; the writer holds it exclusive
  while its read-write connection is open.
- ``crm.duckdb.writer``: the writers' queue. A writer holds it exclusive from
  before it waits for readers until it has closed the database, and writes who
  it is into it (the CLI or the app, what it does, its pid), so whoever waits
  can say what holds the database. Readers pass through it shared for an instant
  (a turnstile), so a waiting writer is not starved by a stream of new readers.
- ``crm.duckdb.version``: the data version (``meta.data_version``) with the
  size and modification time of the database and its WAL when it was read.
  While the files' stat still matches, ``data_version`` answers from this file
  without opening the database, so a cached page costs two ``stat`` calls.

Inside one process, readers share one read-only connection (DuckDB refuses a
second configuration of the same file in a process). It stays open while idle
for ``LINGER`` seconds, so DuckDB's buffers stay warm between clicks, but a
watcher closes it within 0.1 s of a writer entering the queue: a CLI import
never waits for an idle app, only for queries already running.

A reader waits up to ``read_wait()`` seconds (``CRM_READ_WAIT``) for a writer
to finish, a writer up to ``write_wait()`` (``CRM_WRITE_WAIT``) for the queue
and the readers; then `DatabaseBusy` names the holder. A process that opens the
file without these locks (a DuckDB shell) shows as DuckDB's "Could not set
lock"; it is retried in the same way and reported with its pid.

Figures at 1,000,000 customers (README, "Using the app and the CLI together").
"""

from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import json
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from crm.errors import DatabaseBusy
from crm.store import db

log = logging.getLogger("crm.access")

LINGER = 60.0    # seconds a process keeps its idle read-only connection (closed at once for a writer)
POLL = 0.05      # seconds between two tries of a busy lock

_LOCK_CONFLICT = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def read_wait() -> float:
    return float(os.environ.get("CRM_READ_WAIT", "5"))


def write_wait() -> float:
    return float(os.environ.get("CRM_WRITE_WAIT", "60"))


def _side(path: str | os.PathLike, suffix: str) -> Path:
    return Path(f"{os.fspath(path)}.{suffix}")


def _open_lock_file(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _flock(fd: int, mode: int, deadline: float) -> bool:
    """Take `mode` on `fd`, polling until `deadline`; False when it stayed busy."""
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)


def holder(path: str | os.PathLike) -> dict | None:
    """Who holds (or last held) the writers' queue of `path`: {who, action, detail, pid, since}."""
    try:
        text = _side(path, "writer").read_text(encoding="utf-8").strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def _writer_waiting(path: str | os.PathLike) -> bool:
    """True while some writer holds or waits in the writers' queue."""
    fd = _open_lock_file(_side(path, "writer"))
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken on this descriptor


def _conflict(exc: duckdb.Error) -> dict | None:
    """The holder named in DuckDB's lock error, or None when `exc` is not a lock conflict."""
    text = str(exc)
    if "Could not set lock" in text:
        match = _LOCK_CONFLICT.search(text)
        return {"who": "process", "pid": int(match["pid"]) if match else None,
                "program": Path(match["program"]).name if match else ""}
    if "different configuration" in text:  # this process holds the file open outside these locks
        return {"who": "process", "pid": os.getpid(), "program": "python"}
    return None


def _connect(path: str, read_only: bool, deadline: float, operation: str) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying while a process outside these locks holds it."""
    while True:
        try:
            return db.connect(path, read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            held_by = _conflict(exc)
            if held_by is None:
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(operation, held_by) from None
            time.sleep(POLL)


# ------------------------------------------------------------------ readers

@dataclass
class _Readers:
    """This process's shared read-only connection to one file."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    con: duckdb.DuckDBPyConnection | None = None
    fd: int | None = None          # holds the shared lock while `con` is open
    count: int = 0
    opening: bool = False
    idle_since: float = 0.0
    opened: int = 0                # counts openings, so a watcher knows its connection


_READERS: dict[str, _Readers] = {}
_READERS_LOCK = threading.Lock()


def _readers(path: str) -> _Readers:
    with _READERS_LOCK:
        return _READERS.setdefault(path, _Readers())


def _close_readers(path: str, state: _Readers) -> None:
    """Close the shared connection and drop the shared lock (caller holds `state.cond`)."""
    if state.con is not None:
        state.con.close()
    if state.fd is not None:
        os.close(state.fd)
    state.con, state.fd = None, None
    state.cond.notify_all()


def _watch(path: str, state: _Readers, opened: int) -> None:
    """While opening number `opened` is open: close it once idle for LINGER seconds, or at once when a writer waits."""
    while True:
        time.sleep(POLL * 2)
        with state.cond:
            if state.con is None or state.opened != opened:
                return  # closed (and perhaps reopened) meanwhile
            if state.count == 0 and (time.monotonic() - state.idle_since >= LINGER or _writer_waiting(path)):
                _close_readers(path, state)
                return


def _acquire_read(path: str, deadline: float) -> duckdb.DuckDBPyConnection:
    state = _readers(path)
    with state.cond:
        while True:
            if state.con is not None and not _writer_waiting(path):
                state.count += 1
                return state.con
            if state.con is not None and state.count == 0:
                _close_readers(path, state)  # idle, and a writer waits: let it in
            if state.con is None and not state.opening:
                state.opening = True
                break
            if time.monotonic() >= deadline:
                raise DatabaseBusy("read", holder(path))
            state.cond.wait(POLL)
    fd = None
    try:
        if not Path(path).exists():
            prepare(path)
        fd = _open_lock_file(_side(path, "lock"))
        turnstile = _open_lock_file(_side(path, "writer"))
        try:  # wait behind a writer that is queued or writing
            if not _flock(turnstile, fcntl.LOCK_SH, deadline):
                raise DatabaseBusy("read", holder(path))
        finally:
            os.close(turnstile)
        if not _flock(fd, fcntl.LOCK_SH, deadline):
            raise DatabaseBusy("read", holder(path))
        con = _connect(path, True, deadline, "read")
    except BaseException:
        if fd is not None:
            os.close(fd)
        with state.cond:
            state.opening = False
            state.cond.notify_all()
        raise
    with state.cond:
        state.con, state.fd, state.count, state.opening = con, fd, 1, False
        state.opened += 1
        opened = state.opened
        state.cond.notify_all()
    if LINGER > 0:
        threading.Thread(target=_watch, args=(path, state, opened), daemon=True, name="crm-db-idle").start()
    return con


def _release_read(path: str) -> None:
    state = _readers(path)
    with state.cond:
        state.count -= 1
        if state.count:
            return
        state.idle_since = time.monotonic()
        if LINGER <= 0 or _writer_waiting(path):
            _close_readers(path, state)


def release_idle() -> None:
    """Close this process's idle read-only connections now (a command that is about to exit)."""
    with _READERS_LOCK:
        states = list(_READERS.items())
    for path, state in states:
        with state.cond:
            if state.count == 0 and not state.opening:
                _close_readers(path, state)


atexit.register(release_idle)


@contextmanager
def reading(path: str | os.PathLike, *, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on `path` for a batch of reads; closed afterwards.

    Waits up to `wait` seconds (default `read_wait()`) while a writer holds the
    file, then raises `DatabaseBusy("read", holder)`.
    """
    path = os.fspath(path)
    con = _acquire_read(path, time.monotonic() + (read_wait() if wait is None else wait))
    try:
        cur = con.cursor()
    except BaseException:
        _release_read(path)
        raise
    try:
        yield cur
    finally:
        cur.close()
        _release_read(path)


# ------------------------------------------------------------------ writers

@contextmanager
def writing(path: str | os.PathLike, *, who: str, action: str, detail: str = "", wait: float | None = None,
            on_wait: Callable[[dict | None], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The read-write connection of the one writer of `path`, for one write; closed afterwards.

    `who` ('cli' or 'app'), `action` ('import', 'undo', 'demo', …) and `detail`
    (a file name, a batch id) are recorded for anyone who has to wait. When the
    queue is taken, `on_wait(holder)` is called once, then this waits up to
    `wait` seconds (default `write_wait()`) before raising
    `DatabaseBusy("write", holder)`. On the way out the new data version is
    recorded in the side file, so readers see the change without opening the file.
    """
    path = os.fspath(path)
    deadline = time.monotonic() + (write_wait() if wait is None else wait)
    queue = _open_lock_file(_side(path, "writer"))
    queued = False
    try:
        if not _flock(queue, fcntl.LOCK_EX, time.monotonic()):
            if on_wait is not None:
                on_wait(holder(path))
            if not _flock(queue, fcntl.LOCK_EX, deadline):
                raise DatabaseBusy("write", holder(path))
        queued = True
        me = {"who": who, "action": action, "detail": str(detail), "pid": os.getpid(),
              "since": dt.datetime.now().isoformat(sep=" ", timespec="seconds")}
        os.ftruncate(queue, 0)
        os.pwrite(queue, json.dumps(me, ensure_ascii=False).encode("utf-8"), 0)
        lock = _open_lock_file(_side(path, "lock"))
        try:
            # readers of this process let go as soon as they see the queue taken
            if not _flock(lock, fcntl.LOCK_EX, deadline):
                raise DatabaseBusy("write", {"who": "readers"})
            con = _connect(path, False, deadline, "write")
            try:
                yield con
            finally:
                try:
                    version = db.data_version(con)
                except duckdb.Error:  # the write failed in a way that left no usable connection
                    version = None
                con.close()
                if version is None:
                    _side(path, "version").unlink(missing_ok=True)
                else:
                    _record_version(path, version)
        finally:
            os.close(lock)
    finally:
        if queued:
            os.ftruncate(queue, 0)
        os.close(queue)


_PREPARED: set[str] = set()


def prepare(path: str | os.PathLike, *, wait: float | None = None) -> None:
    """Create the file and bring its schema up to date, once per process.

    Readers open read-only and cannot create tables, so the app calls this at
    start. When a writer holds the file for longer than `wait` (default
    `read_wait()`), it is skipped
    for now (that writer brings the schema up to date itself) and tried again later.
    """
    path = os.fspath(path)
    if path in _PREPARED:
        return
    try:
        with writing(path, who="app", action="schema", wait=read_wait() if wait is None else wait):
            pass
    except DatabaseBusy:
        if not Path(path).exists():
            raise
        log.info("schema check of %s skipped: a writer holds it", path)
        return
    _PREPARED.add(path)


# ------------------------------------------------------------------ data version

def _stat(path: Path) -> list[int] | None:
    try:
        s = path.stat()
    except FileNotFoundError:
        return None
    return [s.st_mtime_ns, s.st_size]


def _files(path: str) -> dict:
    return {"db": _stat(Path(path)), "wal": _stat(Path(f"{path}.wal"))}


def _record_version(path: str, version: int) -> None:
    """Write the side file atomically (readers never see half of it)."""
    target = _side(path, "version")
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps({"version": version, **_files(path)}), encoding="utf-8")
    os.replace(tmp, target)


def data_version(path: str | os.PathLike) -> int:
    """`meta.data_version` of `path`, from the side file while the database files are unchanged.

    Opens the database (read-only) only when the side file is missing or the
    database changed since it was written (a write by a program that does not
    record it, such as a test fixture). While a writer is at work the recorded
    version stands, so pages whose results are cached keep working.
    """
    path = os.fspath(path)
    try:
        saved = json.loads(_side(path, "version").read_text(encoding="utf-8"))
        if saved.get("db") == _stat(Path(path)) and saved.get("wal") == _stat(Path(f"{path}.wal")):
            return int(saved["version"])
        if _writer_waiting(path):
            # the files change under a writer; its data is not committed for us until it
            # records the new version on its way out, so cached pages keep showing the last one
            return int(saved["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with reading(path) as con:  # writers are excluded: the stat taken now matches the version read
        version = db.data_version(con)
        _record_version(path, version)
    return version
