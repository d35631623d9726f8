"""Tables to files people open in Excel: CSV (UTF-8 with BOM) and XLSX.

Both are safe against spreadsheet formula injection (OWASP "CSV injection"):
a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return
is prefixed with a single quote so Excel shows it as text instead of running it.
Numbers (including negative ones) are left as numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from crm.formatting import dates_without_midnight

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells cannot be read as formulas."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            text = series.astype("string")
            risky = text.str.startswith(_DANGEROUS_PREFIXES).fillna(False)
            if risky.any():
                out[column] = series.astype("object").where(~risky, "'" + text.astype("object"))
    return out


# Column kinds a table may declare, with their spreadsheet number formats and the
# decimals kept in files. Undeclared columns are inferred: integers are counts,
# other floats decimals, datetimes dates.
KINDS = ("money", "percent", "share", "count", "decimal", "date", "month", "text")  # share: a percent drawn as a bar
XLSX_FORMATS = {
    "money": "¥#,##0.00", "percent": "0.0%", "share": "0.0%", "count": "#,##0", "decimal": "#,##0.00",
    "date": "yyyy-mm-dd", "month": "yyyy-mm",
}
FILE_DECIMALS = {"money": 2, "percent": 4, "share": 4, "decimal": 2}


def column_kinds(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict[str, str]:
    """Every column's kind: the declared one, else inferred from its dtype."""
    kinds = dict(kinds or {})
    out: dict[str, str] = {}
    for column in df.columns:
        if column in kinds:
            out[column] = kinds[column]
            continue
        series = df[column]
        if pd.api.types.is_bool_dtype(series):
            out[column] = "text"
        elif pd.api.types.is_integer_dtype(series):
            out[column] = "count"
        elif pd.api.types.is_float_dtype(series):
            out[column] = "decimal"
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[column] = "date"
        else:
            sample = series.dropna().head(20)
            out[column] = "date" if len(sample) and all(isinstance(v, dt.date) for v in sample) else "text"
    return out


def clean(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """Rounded (declared money 2, percent 4, decimal 2 places; other floats 6), formula-safe, plain dates."""
    declared = dict(kinds or {})
    kinds = column_kinds(df, declared)
    out = neutralise(df)
    for column, kind in kinds.items():
        series = out[column]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if column in declared and kind in FILE_DECIMALS and numeric:
            out[column] = series.astype("float64").round(FILE_DECIMALS[kind])
        elif pd.api.types.is_float_dtype(series):
            out[column] = series.round(6)
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):  # Excel has no time zones
            out[column] = out[column].dt.tz_localize(None)
    return dates_without_midnight(out)


def to_csv_bytes(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Chinese correctly.

    Floats are rounded (money to 2 places, percentages as fractions to 4, other
    floats to 6) so binary noise (1019386.8400000001) stays out of the file;
    dates without a time are written as 2026-11-15.
    """
    return clean(df, kinds).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data", *, title: str | None = None,
                  kinds: dict[str, str] | None = None) -> bytes:
    """An XLSX workbook with one sheet; text never becomes a formula.

    With a `title`, row 1 holds it (page, filters, export date) and the header is
    row 2; the header stays frozen when scrolling. Columns get number formats by
    kind (money ¥#,##0.00, percent 0.0%, dates yyyy-mm-dd, counts #,##0) and widths
    fitted to their content.
    """
    buffer = io.BytesIO()
    kinds = column_kinds(df, kinds)
    safe = clean(df, kinds)
    for column, kind in kinds.items():  # dates as real Excel dates
        if kind in ("date", "month") and not pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = pd.to_datetime(safe[column], errors="coerce")
    sheet_name = sheet_name[:31]
    header_row = 1 if title else 0
    with pd.ExcelWriter(
        buffer, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet_name, startrow=header_row)
        book = writer.book
        sheet = writer.sheets[sheet_name]
        if title:
            sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 12}))
        formats = {kind: book.add_format({"num_format": code}) for kind, code in XLSX_FORMATS.items()}
        for i, column in enumerate(safe.columns):
            kind = kinds[column]
            if kind in ("date", "month"):
                text_width = 10 if kind == "date" else 7
            else:
                sample = df[column].head(2000).astype("string").fillna("")
                lengths = sample.map(_display_width) if len(sample) else pd.Series([0])
                text_width = int(lengths.quantile(0.9)) if len(lengths) else 0
                if kind in ("money", "count", "decimal", "percent"):
                    text_width += 4  # separators, ¥, decimals
            width = max(_display_width(str(column)), text_width) + 2
            sheet.set_column(i, i, min(max(width, 8), 50), formats.get(kind))
            if kind == "month":  # dates already carry yyyy-mm-dd (the writer's date format); months are few
                for row, value in enumerate(safe[column], start=header_row + 1):
                    if pd.notna(value):
                        sheet.write_datetime(row, i, pd.Timestamp(value).to_pydatetime(), formats[kind])
        sheet.freeze_panes(header_row + 1, 0)
    return buffer.getvalue()


def _display_width(text: str) -> int:
    """Columns a text needs: CJK characters are two wide."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


_UNSAFE_NAME = re.compile(r"[^\w.-]+")


def file_name(stem: str, ext: str, exported: dt.date, start: dt.date | None = None,
              end: dt.date | None = None) -> str:
    """'key_accounts_2025-11-16_2026-11-15_20261125.xlsx': what, which period, when exported.

    Without a period (data-page tables) the name is 'import_batches_20261125.csv'.
    """
    safe_stem = _UNSAFE_NAME.sub("_", stem).strip("_") or "table"
    period = f"_{start.isoformat()}_{end.isoformat()}" if start and end else ""
    return f"{safe_stem}{period}_{exported:%Y%m%d}.{ext}"


def write_table(df: pd.DataFrame, path: str | Path, *, kinds: dict[str, str] | None = None,
                title: str | None = None) -> Path:
    """Write CSV or XLSX chosen by the file's extension (.csv, .xlsx)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(to_csv_bytes(df, kinds))
    elif suffix in (".xlsx", ".xls"):
        path.write_bytes(to_xlsx_bytes(df, title=title, kinds=kinds))
    else:
        from crm.errors import CRMInputError

        raise CRMInputError("export.error.unknown_format", file=str(path))
    return path
