"""The one domain error `crm/` raises for bad input.

It carries a translation key and values for its placeholders, plus the
offending row number or column when there is one, so the page can show it in
the user's language with ``st.error`` and the CLI can print it and exit non-zero.
"""

from __future__ import annotations

from crm.i18n import t


class Translated:
    """A message value shown in the message's language: translation keys joined as a list
    ('客户编号、订单日期' / 'customer ID, order date'), e.g. field names in a message."""

    def __init__(self, *keys: str):
        self.keys = keys

    def render(self, lang: str) -> str:
        return ("、" if lang == "zh" else ", ").join(t(key, lang) for key in self.keys)

    def __str__(self) -> str:
        return self.render("en")


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
        values = {k: v.render(lang) if isinstance(v, Translated) else v for k, v in self.values.items()}
        return t(self.key, lang, **values)
