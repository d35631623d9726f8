"""Unexpected errors: logged with their traceback under a short incident id, never shown to a user.

The page and CLI error boundaries (``ui/guard.py``, ``crm/cli.py``) call
`record` and show only the id, which lets an administrator find the details in
the log file (``$CRM_LOG``, default ``data/crm-errors.log``).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
import uuid
from pathlib import Path

from crm.store import db

_LOGGER = logging.getLogger("crm.incidents")
_LOGGER.propagate = False  # the CLI must not print tracebacks through the root logger


def log_path() -> Path:
    return Path(os.environ.get("CRM_LOG") or db.DEFAULT_DB_PATH.parent / "crm-errors.log")


def _handler() -> logging.Handler | None:
    path = log_path()
    for handler in _LOGGER.handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path.resolve():
            return handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    _LOGGER.addHandler(handler)
    _LOGGER.setLevel(logging.INFO)
    return handler


def record(exc: BaseException, where: str, *, echo: bool = False) -> str:
    """Log `exc` with its traceback under a new incident id and return the id.

    `echo` also writes it to stderr (the server's console, not the user's screen).
    """
    incident = uuid.uuid4().hex[:10]
    text = "".join(traceback.format_exception(exc))
    handler = _handler()
    if handler is not None:
        _LOGGER.error("incident %s in %s\n%s", incident, where, text.rstrip())
        handler.flush()
    if echo or handler is None:
        print(f"[crm] incident {incident} in {where}\n{text}", file=sys.stderr, flush=True)
    return incident
