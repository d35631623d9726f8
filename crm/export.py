"""Tables to files people open in Excel: CSV (UTF-8 with BOM) and XLSX.

Both are safe against spreadsheet formula injection (OWASP "CSV injection"):

- CSV has no cell types, so a text cell that starts with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return is prefixed with a single quote, and Excel
  shows it as text instead of running it.
- XLSX has them: every text cell is written as a string cell (xlsxwriter's
  ``write_string``, with ``strings_to_formulas`` and ``strings_to_urls`` off),
  which Excel never evaluates, so the text stays exactly as stored, without
  the apostrophe.

Numbers (including negative ones) are left as numbers.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

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


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Chinese correctly.

    Floats are rounded to 6 decimals so binary noise (1019386.8400000001) stays out of the file.
    """
    safe = neutralise(df)
    floats = safe.select_dtypes("float").columns
    if len(floats):
        safe[floats] = safe[floats].round(6)
    return safe.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """An XLSX workbook with one sheet; text cells are strings, never formulas or links."""
    buffer = io.BytesIO()
    safe = df.copy()
    for column in safe.columns:  # Excel has no time zones
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_localize(None)
    with pd.ExcelWriter(
        buffer, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}
    ) as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet_name[:31])
        sheet = writer.sheets[sheet_name[:31]]
        for i, column in enumerate(safe.columns):
            sample = safe[column].astype("string").fillna("").str.len()
            width = max(len(str(column)) * 2, int(sample.quantile(0.9)) if len(sample) else 0) + 2
            sheet.set_column(i, i, min(max(width, 8), 50))
        sheet.freeze_panes(1, 0)
    return buffer.getvalue()


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or XLSX chosen by the file's extension (.csv, .xlsx)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.write_bytes(to_csv_bytes(df))
    elif suffix in (".xlsx", ".xls"):
        path.write_bytes(to_xlsx_bytes(df))
    else:
        from crm.errors import CRMInputError

        raise CRMInputError("export.error.unknown_format", file=str(path))
    return path
