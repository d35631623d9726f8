"""Parsing untrusted spreadsheets in a separate process, so that a hostile file cannot take the app down.

``read_isolated`` writes the file to a private temporary folder and runs
``python -m crm.intake.sandbox`` on it. That process first lowers its own
limits (address space ``READER_MEMORY_MB``, CPU time) and then calls
``crm.intake.fileformats.read_raw`` with ``isolate=False``. It hands back
either the table as an Arrow IPC file (header names and reading details in
the schema metadata) or a CRMInputError as JSON. A reader that runs out of
memory, crashes or exceeds ``READER_TIMEOUT_S`` becomes a CRMInputError for
the user; the details go to the log.

Settings (environment): ``CRM_READER_MEMORY_MB`` (default: a quarter of RAM,
between 1,024 and 8,192 MB), ``CRM_READER_TIMEOUT_S`` (default 120).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa

from crm.errors import CRMInputError

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_memory_mb() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    except (ValueError, OSError, AttributeError):
        total = 4096
    return max(1024, min(8192, total // 4))


READER_MEMORY_MB = int(os.environ.get("CRM_READER_MEMORY_MB") or _default_memory_mb())
READER_TIMEOUT_S = float(os.environ.get("CRM_READER_TIMEOUT_S") or 120)

_META_COLUMNS = b"crm.columns"
_META_INFO = b"crm.info"


def read_isolated(data: bytes, file_name: str, **options) -> "fileformats.RawTable":
    """`fileformats.read_raw(data, file_name, isolate=False, **options)` run in a limited child process."""
    from crm.intake import fileformats

    with tempfile.TemporaryDirectory(prefix="crm-read-") as folder:
        folder_path = Path(folder)
        source, table_out, error_out = folder_path / "input", folder_path / "table.arrow", folder_path / "error.json"
        source.write_bytes(data)
        request = json.dumps({"file_name": file_name, "options": options, "memory_mb": READER_MEMORY_MB,
                              "cpu_s": int(READER_TIMEOUT_S) + 5})
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        env.setdefault("RUST_BACKTRACE", "0")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "crm.intake.sandbox", str(source), str(table_out), str(error_out), request],
                env=env, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=READER_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise CRMInputError("imports.error.reader_timeout", file=file_name,
                                seconds=int(READER_TIMEOUT_S)) from exc
        if error_out.exists():
            raise _error_from_json(json.loads(error_out.read_text(encoding="utf-8")))
        if done.returncode != 0 or not table_out.exists():
            log.warning("reader for %r failed with status %s: %s", file_name, done.returncode,
                        done.stderr.decode("utf-8", "replace")[-2000:])
            raise CRMInputError("imports.error.reader_failed", file=file_name, limit_mb=READER_MEMORY_MB)
        with pa.memory_map(str(table_out)) as stream:
            table = pa.ipc.open_file(stream).read_all()
    meta = table.schema.metadata or {}
    columns = json.loads(meta[_META_COLUMNS])
    info = json.loads(meta[_META_INFO])
    return fileformats.RawTable(columns, table.replace_schema_metadata(None), info)


def _error_to_json(exc: CRMInputError) -> dict:
    values = {k: v for k, v in exc.values.items() if k not in ("row", "column")}
    return {"key": exc.key, "row": exc.row, "column": exc.column,
            "values": {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
                       for k, v in values.items()}}


def _error_from_json(payload: dict) -> CRMInputError:
    return CRMInputError(payload["key"], row=payload.get("row"), column=payload.get("column"), **payload["values"])


def _limit(memory_mb: int, cpu_s: int) -> None:
    import resource

    memory = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    source, table_out, error_out, request_text = argv
    request = json.loads(request_text)
    _limit(request["memory_mb"], request["cpu_s"])
    from crm.intake import fileformats

    options = dict(request["options"])
    options["known_headers"] = frozenset(options.get("known_headers") or ())
    try:
        raw = fileformats.read_raw(Path(source).read_bytes(), request["file_name"], isolate=False, **options)
    except CRMInputError as exc:
        Path(error_out).write_text(json.dumps(_error_to_json(exc), ensure_ascii=False), encoding="utf-8")
        return 0
    except MemoryError:
        return 3
    table = raw.table.replace_schema_metadata({
        _META_COLUMNS: json.dumps(raw.columns, ensure_ascii=False),
        _META_INFO: json.dumps(raw.info, ensure_ascii=False),
    })
    with pa.OSFile(table_out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
