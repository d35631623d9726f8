"""Reading import files into a table of text: CSV, XLSX (and other Excel formats), Parquet.

Every value comes back as a string, exactly as the file shows it, so that the
validation in ``crm.intake.imports`` sees what the user typed. Each row keeps its
position in the file:

* CSV: the physical line on which the record starts, the header being line 1
  (so the first data row of a plain file is 2). Blank lines are skipped but
  still counted, quoted values spanning lines are handled.
* Excel: the sheet row (1-based, as Excel shows it).
* Parquet: the 1-based record number (Parquet has no header line).

CSV text: a BOM decides (UTF-8, UTF-16); otherwise UTF-8 when the whole file is
valid UTF-8; a file that is mostly UTF-8 with a few lines in another encoding
is refused naming those lines (decoding it all in one legacy encoding would
garble every name); anything else goes to charset-normalizer, preferring
GB18030 (a superset of GBK and GB2312), Big5, Shift-JIS and Windows-1252
(Latin-1) in that order among equally plausible answers. The caller may name
the encoding instead (``encoding=``); the one used is reported in
``RawTable.info``. The delimiter is the most frequent of ``,`` ``;`` and tab in
the header line.

Untrusted spreadsheets (Excel, Parquet) are parsed in a separate process with
an address-space limit and a timeout (``crm.intake.sandbox``), after checks
that need no parsing: the zip members' unpacked sizes and compression ratios,
the sheets' declared dimensions and the highest cell reference. Limits, for
every format (a breach is refused with a message, never truncated):

* ``MAX_ROWS`` data rows (2,000,000) and ``MAX_COLUMNS`` columns (500);
* ``MAX_CELL_CHARS`` characters in one cell (32,767, Excel's own limit);
* ``MAX_UNPACKED_BYTES`` (1 GiB) for a workbook's members once unpacked, and a
  compression ratio of at most ``MAX_ZIP_RATIO`` (200) for members over 16 MiB.

NUL characters are removed wherever they occur (header names, values, any
format) and counted in ``RawTable.info["nul_removed"]``; a file of mostly NULs
is not a table. Formula cells saved without their computed values are
refused naming the cells. Password-protected workbooks are recognised and
refused with a message saying how to remove the password.

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
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
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

# Reader limits (see the module docstring).
MAX_ROWS = 2_000_000
MAX_COLUMNS = 500
MAX_CELL_CHARS = 32_767
MAX_UNPACKED_BYTES = 1 << 30
MAX_ZIP_RATIO = 200
_RATIO_CHECK_BYTES = 16 << 20

# Encodings a user may choose; "auto" (None) detects.
ENCODINGS = ("utf-8", "gb18030", "big5", "shift_jis", "cp1252", "utf-16")
_PREFERRED_ENCODINGS = ("utf_8", "gb18030", "big5", "cp932", "shift_jis", "cp1252", "latin_1", "euc_kr")
_ENCODING_NAMES = {
    "utf_8": "utf-8", "utf-8": "utf-8", "utf_8_sig": "utf-8", "gb18030": "gb18030", "gbk": "gb18030",
    "gb2312": "gb18030", "big5": "big5", "big5hkscs": "big5", "cp950": "big5", "cp932": "shift_jis",
    "shift_jis": "shift_jis", "shift_jis_2004": "shift_jis", "cp1252": "cp1252", "latin_1": "cp1252",
    "iso8859_1": "cp1252", "cp1250": "cp1252", "iso8859_15": "cp1252", "utf_16": "utf-16", "utf-16": "utf-16",
}
DECIMAL_MARKS = (".", ",")

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
    Rows whose every value is blank are dropped. ``info`` says how the file was
    read: ``format``, ``encoding`` and ``delimiter`` (text), ``sheet`` and
    ``sheets`` (Excel), ``nul_removed`` (NUL characters removed).
    """

    columns: list[str]
    table: pa.Table
    info: dict = field(default_factory=dict)

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


def read_raw(
    data: bytes,
    file_name: str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    known_headers: frozenset[str] | tuple = (),
    isolate: bool = True,
) -> RawTable:
    """Read `data` by the extension of `file_name`; raise CRMInputError when it is not a table.

    `encoding` forces the text encoding of a CSV (one of ``ENCODINGS``; None
    detects). `sheet` picks an Excel sheet by name; without it the sheet whose
    header row holds most of `known_headers` (names as ``normalise_header``
    gives them) is taken, the first sheet with data on a tie. With `isolate`,
    Excel and Parquet files are parsed in a separate, limited process.
    """
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise CRMInputError(
            "imports.error.unsupported_format",
            file=file_name, extensions=" ".join(SUPPORTED_EXTENSIONS),
        )
    if not data or not data.strip(b" \t\r\n\x00" + _BOM_UTF8):
        raise CRMInputError("imports.error.empty_file", file=file_name)
    if encoding is not None and encoding not in ENCODINGS:
        raise CRMInputError("imports.error.unknown_encoding", encoding=encoding, encodings=", ".join(ENCODINGS))
    if suffix in EXCEL_EXTENSIONS + PARQUET_EXTENSIONS and isolate:
        from crm.intake import sandbox

        return sandbox.read_isolated(data, file_name, sheet=sheet, known_headers=sorted(known_headers))
    if suffix in EXCEL_EXTENSIONS:
        raw = _read_excel(data, file_name, sheet, frozenset(known_headers))
    elif suffix in PARQUET_EXTENSIONS:
        raw = _read_parquet(data, file_name)
    else:
        raw = _read_csv(data, file_name, encoding)
    if len(raw.columns) > MAX_COLUMNS:
        raise CRMInputError("imports.error.too_many_columns", file=file_name, count=f"{len(raw.columns):,}",
                            limit=f"{MAX_COLUMNS:,}")
    raw = _remove_nul(raw)
    _check_cell_lengths(raw, file_name)
    raw = _drop_blank_rows(raw)
    if raw.table.num_rows == 0:
        raise CRMInputError("imports.error.no_rows", file=file_name)
    if raw.table.num_rows > MAX_ROWS:
        raise CRMInputError("imports.error.too_many_rows", file=file_name, count=f"{raw.table.num_rows:,}",
                            limit=f"{MAX_ROWS:,}")
    return raw


def normalise_header(name: str) -> str:
    """A header reduced for matching: full-width to half-width, lower case, units in brackets,
    spaces and punctuation removed ('客户 ID（编号）' → '客户id', 'Order_Date' → 'orderdate')."""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\W_]+", "", text)


def _remove_nul(raw: RawTable) -> RawTable:
    """NUL characters removed from header names and values, counted in ``info['nul_removed']``."""
    removed = sum(name.count("\x00") for name in raw.columns)
    columns = raw.columns
    if removed:
        columns = _unique_names([name.replace("\x00", "") for name in raw.columns])
    table = raw.table
    for i, name in enumerate(raw.safe_names):
        column = table.column(name)
        count = pc.sum(pc.count_substring(column, "\x00")).as_py() or 0
        if count:
            removed += count
            table = table.set_column(i, name, pc.replace_substring(column, "\x00", ""))
    info = dict(raw.info)
    info["nul_removed"] = info.get("nul_removed", 0) + removed
    return RawTable(columns, table, info)


def _check_cell_lengths(raw: RawTable, file_name: str) -> None:
    """Refuse a value longer than MAX_CELL_CHARS, naming its row and column."""
    for name, column in zip(raw.safe_names, raw.columns):
        lengths = pc.utf8_length(raw.table.column(name))
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > MAX_CELL_CHARS:
            at = pc.index(lengths, longest).as_py()
            raise CRMInputError(
                "imports.error.cell_too_long", file=file_name, row=int(raw.table.column(ROW_NUMBER)[at].as_py()),
                column=column, length=f"{longest:,}", limit=f"{MAX_CELL_CHARS:,}",
            )


# amounts whose decimal mark is unmistakable: '1.234,50' '12,5' '1.234.567' versus '1,234.50' '12.5' '1,234,567'
_COMMA_DECIMAL = r"^\D*[-+]?(?:(?:\d{1,3}(?:\.\d{3})+|\d+),\d{1,2}|\d{1,3}(?:\.\d{3}){2,})\D*$"
_POINT_DECIMAL = r"^\D*[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{1,2}|\d{1,3}(?:,\d{3}){2,})\D*$"


def detect_decimal_mark(columns: list[pa.ChunkedArray]) -> tuple[str, dict[str, int]]:
    """The decimal mark of a file's amounts, '.' or ',', and how many values showed each.

    Only unmistakable values count ('1.234,50', '12,5', '1.234.567' for the
    comma; '1,234.50', '12.5', '1,234,567' for the point): '1.234' or '1,234'
    say nothing. The mark more values show wins, '.' on a tie or without
    evidence. Values written the other way are then rejected one by one.
    """
    counts = {".": 0, ",": 0}
    for column in columns:
        column = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
        for mark, pattern in ((",", _COMMA_DECIMAL), (".", _POINT_DECIMAL)):
            counts[mark] += int(pc.sum(pc.match_substring_regex(column, pattern)).as_py() or 0)
    return ("," if counts[","] > counts["."] else "."), counts


# --------------------------------------------------------------------------- CSV


def decode_text(data: bytes, file_name: str = "", encoding: str | None = None) -> bytes:
    """The file's text as UTF-8 bytes without BOM (see `detect_and_decode`)."""
    return detect_and_decode(data, file_name, encoding)[0]


def detect_and_decode(data: bytes, file_name: str = "", encoding: str | None = None) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes without BOM, and the encoding it was read in.

    See the module docstring for the order of guesses. Raises CRMInputError when
    the text cannot be decoded: naming the lines when the file mixes encodings
    or when the chosen encoding fails on some lines.
    """
    if encoding is not None:
        return _decode_as(data, file_name, encoding), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(data, file_name, "utf-16"), "utf-16"
    without_bom = _utf16_without_bom(data)
    if without_bom:
        return _decode_as(data, file_name, without_bom), "utf-16"
    body = data[len(_BOM_UTF8):] if data.startswith(_BOM_UTF8) else data
    try:
        body.decode("utf-8")
        return body, "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if data.startswith(_BOM_UTF8) or _mostly_utf8(body, first_bad):
        lines = _undecodable_lines(body, "utf-8")
        raise CRMInputError("imports.error.mixed_encoding", file=file_name, encoding="UTF-8",
                            lines=_line_list(lines), row=lines[0])
    guess = _guess_encoding(data)
    if guess is None:
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    return _decode_as(data, file_name, guess), guess


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the NULs of the sample sit at alternate bytes (UTF-16 text
    saved without a BOM); None otherwise (stray NULs are removed after decoding)."""
    sample = data[:_SNIFF_BYTES]
    arr = np.frombuffer(sample[: len(sample) // 2 * 2], dtype=np.uint8).reshape(-1, 2)
    if len(arr) < 2:
        return None
    zero_odd, zero_even = int((arr[:, 1] == 0).sum()), int((arr[:, 0] == 0).sum())
    if zero_odd > 0.3 * len(arr) and zero_even < 0.02 * len(arr):
        return "utf-16-le"
    if zero_even > 0.3 * len(arr) and zero_odd < 0.02 * len(arr):
        return "utf-16-be"
    return None


def _decode_as(data: bytes, file_name: str, encoding: str) -> bytes:
    codec = {"utf-8": "utf-8-sig"}.get(encoding, encoding)
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        pass
    if encoding == "utf-16":
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    lines = _undecodable_lines(data, codec)
    raise CRMInputError("imports.error.bad_encoding", file=file_name, encoding=encoding,
                        lines=_line_list(lines), row=lines[0])


def _mostly_utf8(body: bytes, first_bad: int) -> bool:
    """Whether most lines holding non-ASCII bytes are valid UTF-8 (a UTF-8 file with a few stray lines)."""
    sample = body[: max(_SNIFF_BYTES * 8, first_bad + 4096)]
    good = bad = 0
    for line in sample.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > 0 and good >= 2 * bad


def _undecodable_lines(data: bytes, codec: str, limit: int = 5) -> list[int]:
    """The 1-based numbers of the first `limit` lines that do not decode with `codec`."""
    found = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode(codec)
        except UnicodeDecodeError:
            found.append(number)
            if len(found) >= limit:
                break
    return found or [1]


def _line_list(lines: list[int]) -> str:
    return ", ".join(str(n) for n in lines)


def _guess_encoding(data: bytes) -> str | None:
    """charset-normalizer's answer over the first 512 KB, mapped to one of ``ENCODINGS``.

    Among answers as plausible as the best (chaos within 0.01) the earliest
    of ``_PREFERRED_ENCODINGS`` wins: short Chinese files otherwise come back
    as any of several legacy code pages that decode them alike.
    """
    from charset_normalizer import from_bytes

    sample = data[: 8 * _SNIFF_BYTES]
    if len(data) > len(sample):
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    matches = list(from_bytes(sample))
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    plausible = [m.encoding for m in matches if m.chaos <= best + 0.01]
    ranked = sorted(plausible, key=lambda e: _PREFERRED_ENCODINGS.index(e) if e in _PREFERRED_ENCODINGS else 99)
    return _ENCODING_NAMES.get(ranked[0])


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


def _read_csv(data: bytes, file_name: str, encoding: str | None = None) -> RawTable:
    text, used = detect_and_decode(data, file_name, encoding)
    nul = text.count(b"\x00")
    if nul:
        text = text.replace(b"\x00", b"")
    sample = text[:_SNIFF_BYTES]
    if sum(sample.count(b) for b in _CONTROL_BYTES) > max(1, len(sample) // 200):
        raise CRMInputError("imports.error.not_a_table", file=file_name)
    raw = _parse_csv_text(text, file_name)
    raw.info.update({"format": "csv", "encoding": used, "nul_removed": nul})
    return raw


def _parse_csv_text(text: bytes, file_name: str) -> RawTable:
    if b"\n" not in text and b"\r" in text:  # classic Mac line ends
        text = text.replace(b"\r", b"\n")
    header_end = _first_line_end(text)
    header_text = text[:header_end].decode("utf-8").rstrip("\r\n")
    delimiter = sniff_delimiter(header_text)
    scan = _scan_records(text, delimiter)
    if scan is None:
        raise CRMInputError("imports.error.no_rows", file=file_name)
    starts, ends, lines, fields, quoted_newlines = scan
    if len(starts) - 1 > MAX_ROWS:
        raise CRMInputError("imports.error.too_many_rows", file=file_name, count=f"{len(starts) - 1:,}",
                            limit=f"{MAX_ROWS:,}")
    header_fields = next(csv.reader([text[starts[0]:ends[0]].decode("utf-8").rstrip("\r")], delimiter=delimiter))
    columns = _unique_names(header_fields)
    n = len(columns)
    if n > MAX_COLUMNS:
        raise CRMInputError("imports.error.too_many_columns", file=file_name, count=f"{n:,}", limit=f"{MAX_COLUMNS:,}")
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
        raw = _read_csv_slow(text, delimiter, columns)
        raw.info["delimiter"] = delimiter
        return raw

    data_lines = lines[1:]
    table = table.append_column(ROW_NUMBER, pa.array(data_lines[good], pa.int64()))
    table = table.append_column(BAD_SHAPE, pa.array(np.zeros(int(good.sum()), dtype=bool)))
    if not good.all():
        bad_idx = np.flatnonzero(~good) + 1
        records = [text[starts[i]:ends[i]].decode("utf-8").rstrip("\r") for i in bad_idx]
        table = pa.concat_tables([table, _bad_records_table(records, delimiter, safe, lines[bad_idx])])
        table = table.sort_by(ROW_NUMBER)
    return RawTable(columns, table, {"delimiter": delimiter})


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


_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# Cell references that matter for the limits, found without visiting every cell: columns of two to four
# letters (beyond Z), and row numbers of seven digits or more (beyond MAX_ROWS' order of magnitude).
_WIDE_CELL = re.compile(rb' r="([A-Z]{2,4})\d')
_FAR_CELL = re.compile(rb' r="[A-Z]{1,4}(\d{7,})"')
_ROW_REF = re.compile(rb'<row r="(\d{1,12})"')
# the same for files that separate attributes by other white space or prefix their elements
_WIDE_CELL_ANY = re.compile(rb'\sr\s*=\s*["\']([A-Z]{2,4})\d')
_FAR_CELL_ANY = re.compile(rb'\sr\s*=\s*["\'][A-Z]{1,4}(\d{7,})["\']')
_ROW_REF_ANY = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr\s*=\s*["\'](\d{1,12})["\']')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="([A-Z]{0,4})(\d{0,12}):?([A-Z]{0,4})(\d{0,12})"')
# a formula element directly followed by the end of its cell: no cached value <v>
_FORMULA_END = re.compile(rb'(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*</(?:\w+:)?c>')
_FORMULA_ONLY = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,4}\d{1,9})"[^>]*>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb'</(?:\w+:)?c>'
)
_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL_ENTRY = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_ENTRY_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


def _column_number(letters: bytes | str) -> int:
    number = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(ch) - 64
    return number


def check_workbook(data: bytes, file_name: str) -> dict[str, list[str]]:
    """Checks before a workbook is parsed; returns, per sheet name, formula cells without values.

    Refuses (CRMInputError) a password-protected workbook, a broken zip, members
    that unpack beyond ``MAX_UNPACKED_BYTES`` or compress more than
    ``MAX_ZIP_RATIO`` : 1, and a sheet whose declared dimension or highest
    cell reference lies beyond ``MAX_ROWS`` / ``MAX_COLUMNS``.
    """
    if data.startswith(_OLE_SIGNATURE):
        if _ENCRYPTED_STREAM in data:
            raise CRMInputError("imports.error.encrypted", file=file_name)
        return {}  # legacy .xls: a binary format the parser bounds by its own record sizes
    if not data.startswith(b"PK"):
        return {}  # .ods and others: left to the parser, inside the limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES or any(
        m.file_size > _RATIO_CHECK_BYTES and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1) for m in members
    ):
        raise CRMInputError("imports.error.zip_bomb", file=file_name, size_mb=round(len(data) / 2**20, 1),
                            unpacked_mb=f"{round(unpacked / 2**20):,}", limit_mb=f"{MAX_UNPACKED_BYTES >> 20:,}")
    names = {m.filename for m in members}
    sheet_of = _sheet_members(archive, names)
    formulas: dict[str, list[str]] = {}
    for member, sheet_name in sheet_of.items():
        rows, cols, only_formula = _scan_sheet(archive, member, file_name)
        if rows > MAX_ROWS + 1 or cols > MAX_COLUMNS:
            raise CRMInputError("imports.error.sheet_too_large", file=file_name, sheet=sheet_name, rows=f"{rows:,}",
                                columns=f"{cols:,}", max_rows=f"{MAX_ROWS:,}", max_columns=f"{MAX_COLUMNS:,}")
        if only_formula:
            formulas[sheet_name] = only_formula
    return formulas


def _sheet_members(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet member path -> sheet name, from workbook.xml and its relationships."""
    found: dict[str, str] = {}
    try:
        workbook = archive.read("xl/workbook.xml")[: 4 << 20]
        rels = archive.read("xl/_rels/workbook.xml.rels")[: 4 << 20]
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError):
        workbook = rels = b""
    targets = {rid: target for rid, target in _REL_ENTRY.findall(rels)}
    targets.update({rid: target for target, rid in _REL_ENTRY_REVERSED.findall(rels)})
    for name, rid in _SHEET_ENTRY.findall(workbook):
        target = targets.get(rid, b"").decode("utf-8", "replace").lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        if path in names:
            found[path] = name.decode("utf-8", "replace")
    for path in names:  # sheets the workbook does not list are parsed too: check them as well
        if path.startswith("xl/worksheets/") and path.endswith(".xml") and path not in found:
            found[path] = path.rsplit("/", 1)[-1]
    return found


def _scan_sheet(archive: zipfile.ZipFile, member: str, file_name: str) -> tuple[int, int, list[str]]:
    """Highest row and column a sheet declares or uses, and up to 10 formula cells without a value."""
    rows = cols = 0
    only_formula: list[str] = []
    tail = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(8 << 20)
                if not chunk:
                    break
                text = tail + chunk
                cut = text.rfind(b"<")  # keep an element that may straddle the chunk border
                body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                rows, cols = _extend(body, rows, cols)
                if len(only_formula) < 10 and (b"</f>" in body or b"f>" in body or b"<f " in body) \
                        and _FORMULA_END.search(body):
                    only_formula += [ref.decode() for ref in _FORMULA_ONLY.findall(body)][: 10 - len(only_formula)]
                if len(tail) > (1 << 20):
                    tail = b""
        rows, cols = _extend(tail, rows, cols)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    return rows, cols, only_formula


def _extend(body: bytes, rows: int, cols: int) -> tuple[int, int]:
    """`rows`, `cols` raised to the sheet XML `body`'s declared dimension and highest references.

    Literal-prefixed patterns keep this at C speed for what spreadsheet programs write; the
    general patterns run only when the text uses other white space or element prefixes.
    """
    if b"dimension" in body:
        for first_col, first_row, last_col, last_row in _DIMENSION.findall(body):
            rows = max(rows, int(last_row or first_row or 0))
            cols = max(cols, _column_number(last_col or first_col))
    unusual = (any(sep + b'r="' in body for sep in (b"\t", b"\n", b"\r")) or b"r =" in body or b"r= " in body
               or b"r='" in body or b":row" in body or b"<row " not in body)
    patterns = (_WIDE_CELL_ANY, _FAR_CELL_ANY, _ROW_REF_ANY) if unusual else (_WIDE_CELL, _FAR_CELL, _ROW_REF)
    wide = set(patterns[0].findall(body))
    if wide:
        cols = max(cols, max(_column_number(c) for c in wide))
    far = patterns[1].findall(body)
    if far:
        rows = max(rows, max(int(r) for r in far))
    row_refs = patterns[2].findall(body)
    if row_refs:
        rows = max(rows, int(max(row_refs, key=lambda r: (len(r), r))))
    return rows, cols


def _read_excel(data: bytes, file_name: str, sheet: str | None = None,
                known_headers: frozenset[str] = frozenset()) -> RawTable:
    from python_calamine import CalamineError, CalamineWorkbook

    formulas = check_workbook(data, file_name)
    best: tuple | None = None
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(workbook.sheet_names)
        if sheet is not None and sheet not in sheets:
            raise CRMInputError("imports.error.unknown_sheet", file=file_name, sheet=sheet, sheets=", ".join(sheets))
        for position, sheet_name in enumerate(sheets):
            if sheet is not None and sheet_name != sheet:
                continue
            current = workbook.get_sheet_by_name(sheet_name)
            rows = current.to_python(skip_empty_area=True)
            if not rows or not any(_cell_text(v) for v in rows[0]) or current.start is None:
                continue
            score = sum(normalise_header(_cell_text(v)) in known_headers for v in rows[0])
            rank = (score, len(rows) > 1, -position)
            if best is None or rank > best[0]:
                best = (rank, sheet_name, rows, current.start[0])
    except CRMInputError:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise CRMInputError("imports.error.not_a_table", file=file_name) from exc
    if best is None:
        raise CRMInputError("imports.error.empty_file", file=file_name)
    _, chosen, rows, first_row = best
    if formulas.get(chosen):
        raise CRMInputError("imports.error.formulas_without_values", file=file_name, sheet=chosen,
                            cells=", ".join(formulas[chosen][:5]))
    raw = _excel_rows_to_table(rows, first_row)
    raw.info.update({"format": "excel", "sheet": chosen, "sheets": sheets})
    return raw


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
        # Excel keeps 15 significant digits: 12.300000000000001 is the 12.3 the user sees
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(value, "day") else value.isoformat()
        return text
    return str(value).strip()


# --------------------------------------------------------------------------- Parquet


def _read_parquet(data: bytes, file_name: str) -> RawTable:
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        meta = parquet.metadata
        if meta.num_rows > MAX_ROWS:
            raise CRMInputError("imports.error.too_many_rows", file=file_name, count=f"{meta.num_rows:,}",
                                limit=f"{MAX_ROWS:,}")
        if meta.num_columns > MAX_COLUMNS:
            raise CRMInputError("imports.error.too_many_columns", file=file_name, count=f"{meta.num_columns:,}",
                                limit=f"{MAX_COLUMNS:,}")
        source = parquet.read()
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
    return RawTable(columns, table, {"format": "parquet"})


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
    return RawTable(raw.columns, table.filter(keep), raw.info)
