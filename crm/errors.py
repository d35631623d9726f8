"""The one domain error `crm/` raises for bad input.

It carries a translation key and values for its placeholders, plus the
offending row number or column when there is one, so the page can show it in
the user's language with ``st.error`` and the CLI can print it and exit non-zero.
"""

from __future__ import annotations

from crm.i18n import t


class CRMInputError(ValueError):
    """Bad input from a user: a file, a mapping, a parameter."""

    def __init__(self, key: str, *, row: int | None = None, column: str | None = None, **values: object):
        self.key = key
        self.row = row
        self.column = column
        self.values = dict(values)
        if column is not None:
            self.values.setdefault("column", column)
        if row is not None:
            self.values.setdefault("row", row)
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The message in `lang` ('zh' or 'en')."""
        return t(self.key, lang, **self.values)
