"""Reading import files into a table of text: CSV, XLSX (and other Excel formats), Parquet.

Every value comes back as a string, exactly as the file shows it, so that the
validation in ``crm.intake.imports`` sees what the user typed. Each row keeps its
position in the file:

* CSV: the physical line on which the record starts, the header being line 1
  (so the first data row of a plain file is 2). Blank lines are skipped but
  still counted, quoted values spanning lines are handled.
* Excel: the sheet row (1-based, as Excel shows it).
* Parquet: the 1-based record number (Parquet has no header line).

CSV text is decoded as UTF-8 (with or without BOM), then GB18030 (a superset
of GBK and GB2312), then UTF-16 when it carries a BOM (Excel's "Unicode text").
The delimiter is the most frequent of ``,`` ``;`` and tab in the header line.

Parsing is done by pyarrow's multi-threaded CSV reader; the record boundaries
and field counts needed for line numbers are found with numpy over the bytes
(a newline ends a record when an even number of quote characters precedes it,
which holds for RFC 4180 quoting including doubled quotes). Records whose
field count differs from the header are kept, marked ``bad_shape``, so the
import can reject them by line number instead of failing the whole file.
When pyarrow and the scan disagree (stray quote characters), the file is read
again with Python's csv module, which is slower but agrees with itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from crm.errors import CRMInputError

TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
PARQUET_EXTENSIONS = (".parquet", ".pq")
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS + EXCEL_EXTENSIONS + PARQUET_EXTENSIONS
DELIMITERS = (",", ";", "\t")

ROW_NUMBER = "row_number"
BAD_SHAPE = "bad_shape"

_BOM_UTF8 = b"\xef\xbb\xbf"
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_SNIFF_BYTES = 64 * 1024


@dataclass
class RawTable:
    """A file read as text.

    ``columns`` are the header names (stripped, made unique); ``table`` holds
    them as string columns named ``c0``, ``c1``, … (so no header text ever
    becomes an SQL identifier) plus ``row_number`` (int64) and ``bad_shape``
    (bool: the record had a different number of fields than the header).
    Rows whose every value is blank are dropped.
    """

    columns: list[str]
    table: pa.Table

    @property
    def safe_names(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.columns))]

    def to_pandas(self):
        """The table with the header names as columns and the row numbers as index."""
        df = self.table.select(self.safe_names).to_pandas()
        df.columns = self.columns
        df.index = self.table.column(ROW_NUMBER).to_numpy()
        df.index.name = ROW_NUMBER
        return df


def read_raw(data: bytes, file_name: str) -> RawTable:
    """Read `data` by the extension of `file_name`; raise CRMInputError when it is not a table."""
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise CRMInputError(
            "imports.error.unsupported_format",
            file=file_name, extensions=" ".join(SUPPORTED_EXTENSIONS),
        )
    if not data or not data.strip(b" \t\r\n" + _BOM_UTF8):
        raise CRMInputError("imports.error.empty_file", file=file_name)
    if suffix in EXCEL_EXTENSIONS:
        raw = _read_excel(data, file_name)
    elif suffix in PARQUET_EXTENSIONS:
        raw = _read_parquet(data, file_name)
    else:
        raw = _read_csv(data, file_name)
    raw = _drop_blank_rows(raw)
    if raw.table.num_rows == 0:
        raise CRMInputError("imports.error.no_rows", file=file_name)
    return raw


# --------------------------------------------------------------------------- CSV


def decode_text(data: bytes, file_name: str = "") -> bytes:
    """The file's text as UTF-8 bytes without BOM: UTF-8, then GB18030, then UTF-16 with BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    body = data[len(_BOM_UTF8):] if data.startswith(_BOM_UTF8) else data
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ',', ';', tab outside quotes in the header; ',' when none occurs."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = [(unquoted.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


def _unique_names(names: list[str]) -> list[str]:
    """Strip header names, name blank ones after their position, suffix repeats with .1, .2 …"""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names, start=1):
        name = (name or "").strip().lstrip("\ufeff").strip() or f"column_{i}"
        base = name
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def _read_csv(data: bytes, file_name: str) -> RawTable:
    text = decode_text(data, file_name)
    sample = text[:_SNIFF_BYTES]
    if sum(sample.count(b) for b in _CONTROL_BYTES) > max(1, len(sample) // 200):
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    if b"\n" not in text and b"\r" in text:  # classic Mac line ends
        text = text.replace(b"\r", b"\n")
    header_end = _first_line_end(text)
    header_text = text[:header_end].decode("utf-8").rstrip("\r\n")
    delimiter = sniff_delimiter(header_text)
    scan = _scan_records(text, delimiter)
    if scan is None:
        raise CRMInputError("imports.error.no_rows", file=file_name)
    starts, ends, lines, fields, quoted_newlines = scan
    header_fields = next(csv.reader([text[starts[0]:ends[0]].decode("utf-8").rstrip("\r")], delimiter=delimiter))
    columns = _unique_names(header_fields)
    n = len(columns)
    data_fields = fields[1:]
    good = data_fields == n
    if len(data_fields) and good.mean() < 0.5:
        raise CRMInputError("imports.error.not_a_table", file=file_name)

    safe = [f"c{i}" for i in range(n)]
    if good.any():
        table = _parse_with_arrow(text, int(starts[1]), delimiter, safe, quoted_newlines > 0)
        if table is not None and table.num_rows != int(good.sum()):
            table = None  # stray quotes: the scan and pyarrow disagree
    else:
        table = pa.table({name: pa.array([], pa.string()) for name in safe})
    if table is None:
        return _read_csv_slow(text, delimiter, columns)

    data_lines = lines[1:]
    table = table.append_column(ROW_NUMBER, pa.array(data_lines[good], pa.int64()))
    table = table.append_column(BAD_SHAPE, pa.array(np.zeros(int(good.sum()), dtype=bool)))
    if not good.all():
        bad_idx = np.flatnonzero(~good) + 1
        records = [text[starts[i]:ends[i]].decode("utf-8").rstrip("\r") for i in bad_idx]
        table = pa.concat_tables([table, _bad_records_table(records, delimiter, safe, lines[bad_idx])])
        table = table.sort_by(ROW_NUMBER)
    return RawTable(columns, table)


def _first_line_end(text: bytes) -> int:
    pos = 0
    while True:
        end = text.find(b"\n", pos)
        if end < 0:
            return len(text)
        if text[pos:end].strip():
            return end
        pos = end + 1


def _scan_records(text: bytes, delimiter: str):
    """Record spans, starting line numbers and field counts of the non-blank records (header first).

    A newline ends a record when the number of quote characters before it is
    even; a delimiter separates fields under the same condition.
    """
    arr = np.frombuffer(text, dtype=np.uint8)
    size = arr.size
    quotes = np.flatnonzero(arr == ord('"'))
    newlines = np.flatnonzero(arr == ord("\n"))
    if quotes.size:
        record_ends = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    else:
        record_ends = newlines
    quoted_newlines = newlines.size - record_ends.size
    starts = np.concatenate(([0], record_ends + 1))
    ends = np.concatenate((record_ends, [size]))
    lengths = ends - starts
    last = np.clip(ends - 1, 0, max(size - 1, 0))
    has_cr = (lengths > 0) & (arr[last] == ord("\r")) if size else np.zeros(len(starts), bool)
    blank = (lengths - has_cr) <= 0
    delims = np.flatnonzero(arr == ord(delimiter))
    if quotes.size and delims.size:
        delims = delims[(np.searchsorted(quotes, delims) & 1) == 0]
    record_of_delim = np.searchsorted(starts, delims, side="right") - 1
    fields = np.bincount(record_of_delim, minlength=len(starts)) + 1
    lines = np.searchsorted(newlines, starts) + 1
    keep = ~blank
    if not keep.any():
        return None
    return starts[keep], ends[keep], lines[keep], fields[keep], quoted_newlines


def _parse_with_arrow(text: bytes, offset: int, delimiter: str, names: list[str], multiline: bool) -> pa.Table | None:
    try:
        return pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(text)[offset:]),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True,
                newlines_in_values=multiline, ignore_empty_lines=True,
                invalid_row_handler=lambda row: "skip",
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _bad_records_table(records: list[str], delimiter: str, safe: list[str], lines: np.ndarray) -> pa.Table:
    """Records with the wrong field count, split and padded/truncated to the header's width."""
    width = len(safe)
    split = [(next(csv.reader([r], delimiter=delimiter), []) + [""] * width)[:width] for r in records]
    columns = list(zip(*split)) if split else [()] * width
    table = pa.table({name: pa.array(list(col), pa.string()) for name, col in zip(safe, columns)})
    table = table.append_column(ROW_NUMBER, pa.array(lines, pa.int64()))
    return table.append_column(BAD_SHAPE, pa.array(np.ones(len(records), dtype=bool)))


def _read_csv_slow(text: bytes, delimiter: str, columns: list[str]) -> RawTable:
    """Python's csv module over the whole text, tracking each record's first line."""
    reader = csv.reader(io.StringIO(text.decode("utf-8"), newline=""), delimiter=delimiter)
    width = len(columns)
    records: list[list[str]] = []
    lines: list[int] = []
    shapes: list[bool] = []
    previous = 0
    header_seen = False
    for record in reader:
        start = previous + 1
        previous = reader.line_num
        if not record:
            continue
        if not header_seen:
            header_seen = True
            continue
        shapes.append(len(record) != width)
        records.append((record + [""] * width)[:width])
        lines.append(start)
    cols = list(zip(*records)) if records else [()] * width
    table = pa.table({f"c{i}": pa.array(list(col), pa.string()) for i, col in enumerate(cols)})
    table = table.append_column(ROW_NUMBER, pa.array(lines, pa.int64()))
    table = table.append_column(BAD_SHAPE, pa.array(shapes, pa.bool_()))
    return RawTable(columns, table)


# --------------------------------------------------------------------------- Excel


def _read_excel(data: bytes, file_name: str) -> RawTable:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=True)
            if rows and any(_cell_text(v) for v in rows[0]) and sheet.start is not None:
                return _excel_rows_to_table(rows, sheet.start[0])
    except (CalamineError, ValueError, OSError) as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    raise CRMInputError("imports.error.empty_file", file=file_name)


def _excel_rows_to_table(rows: list[list], first_row: int) -> RawTable:
    columns = _unique_names([_cell_text(v) for v in rows[0]])
    width = len(columns)
    body = rows[1:]
    cols = list(zip(*body)) if body else [()] * width
    table = pa.table({
        f"c{i}": pa.array([_cell_text(v) for v in col], pa.string()) for i, col in enumerate(cols[:width])
    })
    # sheet rows are 1-based; rows[0] (the header) is sheet row first_row + 1
    numbers = np.arange(len(body), dtype=np.int64) + first_row + 2
    table = table.append_column(ROW_NUMBER, pa.array(numbers))
    table = table.append_column(BAD_SHAPE, pa.array(np.zeros(len(body), dtype=bool)))
    return RawTable(columns, table)


def _cell_text(value) -> str:
    """An Excel cell as text: whole floats without '.0', dates ISO, times HH:MM:SS."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(value, "day") else value.isoformat()
        return text
    return str(value).strip()


# --------------------------------------------------------------------------- Parquet


def _read_parquet(data: bytes, file_name: str) -> RawTable:
    try:
        source = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    if source.num_columns == 0:
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    columns = _unique_names([str(name) for name in source.column_names])
    arrays = {}
    for i, column in enumerate(source.columns):
        arrays[f"c{i}"] = pc.fill_null(_as_text(column), "")
    table = pa.table(arrays)
    table = table.append_column(ROW_NUMBER, pa.array(np.arange(1, source.num_rows + 1, dtype=np.int64)))
    table = table.append_column(BAD_SHAPE, pa.array(np.zeros(source.num_rows, dtype=bool)))
    return RawTable(columns, table)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_timestamp(kind):
        column = pc.cast(column, pa.timestamp("us", tz=kind.tz)) if kind.unit == "ns" else column
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_floating(kind):
        # whole numbers without '.0' (ids and Excel serials often arrive as floats)
        whole = pc.equal(column, pc.floor(column))
        as_int = pc.cast(pc.if_else(whole, column, None), pa.int64(), safe=False)
        return pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(column, pa.string()))
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array([pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())])


def _drop_blank_rows(raw: RawTable) -> RawTable:
    """Drop rows whose every value is blank (Excel often leaves ',,,,' lines and empty rows)."""
    table = raw.table
    if table.num_rows == 0:
        return raw
    any_value = None
    for name in raw.safe_names:
        filled = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(pc.fill_null(table.column(name), ""))), 0)
        any_value = filled if any_value is None else pc.or_(any_value, filled)
    keep = pc.or_(any_value, table.column(BAD_SHAPE)) if any_value is not None else table.column(BAD_SHAPE)
    return RawTable(raw.columns, table.filter(keep))
