"""The one domain error `crm/` raises for bad input.

It carries a translation key and values for its placeholders, plus the
offending row number or column when there is one, so the page can show it in
the user's language with ``st.error`` and the CLI can print it and exit non-zero.
"""

from __future__ import annotations

from typing import Callable

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

    def message(self, lang: str, *, escape: Callable[[str], str] | None = None) -> str:
        """The message in `lang` ('zh' or 'en').

        `escape` is applied to every text value first (a file name, a column
        header: text from the user), e.g. to show the message as Markdown.
        """
        values = {k: v.render(lang) if isinstance(v, Translated) else v for k, v in self.values.items()}
        if escape is not None:
            values = {k: escape(v) if isinstance(v, str) and not isinstance(self.values[k], Translated) else v
                      for k, v in values.items()}
        return t(self.key, lang, **values)


class DatabaseBusy(CRMInputError):
    """The database stayed held by another writer longer than the caller would wait.

    `operation` is 'read' or 'write'; `holder` what holds it, as recorded by
    `crm.store.access` ({who: 'cli' | 'app' | 'readers' | 'process', action,
    detail, pid, since}) or None when unknown. The message names the holder in
    the reader's language.
    """

    def __init__(self, operation: str, holder: dict | None = None):
        self.operation = operation
        self.holder = holder or {}
        super().__init__(f"safety.busy.{operation}")

    def message(self, lang: str, *, escape: Callable[[str], str] | None = None) -> str:
        return t(self.key, lang, holder=describe_holder(self.holder, lang, escape=escape))


def describe_holder(holder: dict | None, lang: str, *, escape: Callable[[str], str] | None = None) -> str:
    """What holds the database, in `lang`: 'the command line is running import: orders.csv (pid 4242, …)'.

    `escape` is applied to the recorded detail (a file name) and program name.
    """
    h = dict(holder or {})
    if escape is not None:
        h.update({k: escape(str(h[k])) for k in ("detail", "program") if h.get(k)})
    who = h.get("who") or "unknown"
    if who in ("cli", "app"):
        action = t(f"safety.action.{h.get('action') or 'write'}", lang)
        what = t("safety.action.with_detail", lang, action=action, detail=h["detail"]) if h.get("detail") else action
        return t(f"safety.holder.{who}", lang, what=what, pid=h.get("pid") or "?", since=h.get("since") or "?")
    if who == "process":
        return t("safety.holder.process", lang, pid=h.get("pid") or "?", program=h.get("program") or "?")
    if who == "readers":
        return t("safety.holder.readers", lang)
    return t("safety.holder.unknown", lang)
