"""Import templates: an empty file per kind with headers the import recognises and two example rows.

Columns are the kind's fields in ``imports.FIELDS`` order; each header is the
first Chinese synonym of the field in ``imports.SYNONYMS`` (zh) or its English
synonym spelling the field's name (else the first English one; en), so a template read back maps every column without help and
its example rows pass validation. The XLSX template adds a second sheet that
explains every column (required or optional, what to enter) in the same language.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from crm.errors import CRMInputError
from crm.i18n import normalise_language, t
from crm.intake import imports

# Two example values per field; fields whose text is language-specific have an English pair too.
EXAMPLES: dict[str, dict[str, tuple[str, str]]] = {
    "customers": {
        "customer_id": ("C10001", "C10002"), "name": ("张伟", "鑫源贸易有限公司"), "gender": ("男", "女"),
        "birthday": ("1990-05-01", ""), "province": ("广东", "浙江省"), "city": ("广州", "杭州"),
        "channel": ("天猫旗舰店", "线下门店"), "signup_date": ("2024-01-15", "2024-03-02"),
        "phone": ("13800001234", "057188886666"), "email": ("zhangwei@example.com", "buy@example.com"),
        "customer_type": ("个人", "企业"),
    },
    "orders": {
        "customer_id": ("C10001", "C10002"), "order_date": ("2024-06-18 10:30", "2024-11-11"),
        "amount": ("299.00", "1,280.50"), "order_id": ("SO20240618001", "SO20241111002"),
        "cost": ("180.00", "860.00"), "profit": ("119.00", "420.50"), "category": ("服装", "家居"),
        "channel": ("天猫旗舰店", "京东"), "quantity": ("1", "3"), "returned": ("否", "否"),
    },
    "tickets": {
        "customer_id": ("C10001", "C10002"), "opened_at": ("2024-06-20 09:15", "2024-11-12"),
        "ticket_id": ("T20240620001", "T20241112002"), "resolved_at": ("2024-06-21 16:00", ""),
        "type": ("投诉", "咨询"), "status": ("已解决", "待处理"), "channel": ("电话", "在线客服"),
    },
}
_ENGLISH_EXAMPLES: dict[str, tuple[str, str]] = {
    "name": ("Zhang Wei", "Xinyuan Trading Co."), "gender": ("M", "F"), "customer_type": ("individual", "company"),
    "returned": ("no", "no"), "type": ("complaint", "consultation"), "status": ("resolved", "open"),
    "province": ("广东", "Zhejiang"),
}
_TICKET_ENGLISH = {"channel": ("phone", "online chat")}

# What to enter, by field (keys of imports.template.format.*)
_FORMAT = {
    "customer_id": "id", "order_id": "id", "ticket_id": "id", "name": "text", "city": "text",
    "birthday": "date", "signup_date": "date", "order_date": "date", "opened_at": "date", "resolved_at": "date",
    "amount": "money", "cost": "money", "profit": "money", "quantity": "quantity", "returned": "bool",
    "gender": "gender", "customer_type": "customer_type", "type": "ticket_type", "status": "ticket_status",
    "province": "province", "category": "dimension", "phone": "phone", "email": "email",
}
_NUMERIC = {"amount", "cost", "profit", "quantity"}
FORMATS = ("csv", "xlsx")


def _is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def header(kind: str, field: str, lang: str) -> str:
    """The column header of `field`: its first Chinese synonym (zh) or first English one (en)."""
    names = imports.SYNONYMS[kind][field]
    if normalise_language(lang) == "zh":
        return next(n for n in names if _is_cjk(n))
    plain = field.replace("_", " ")
    name = plain if plain in names else next(n for n in names if not _is_cjk(n))
    return " ".join("ID" if w == "id" else w.capitalize() for w in name.split())


def _examples(kind: str, field: str, lang: str) -> tuple[str, str]:
    if normalise_language(lang) == "en":
        if kind == "tickets" and field in _TICKET_ENGLISH:
            return _TICKET_ENGLISH[field]
        if field in _ENGLISH_EXAMPLES:
            return _ENGLISH_EXAMPLES[field]
    return EXAMPLES[kind].get(field, ("", ""))


def template_frame(kind: str, lang: str) -> pd.DataFrame:
    """The template as a table of text: one column per field of `kind`, two example rows."""
    imports._check_kind(kind)
    return pd.DataFrame(
        {header(kind, f, lang): list(_examples(kind, f, lang)) for f in imports.FIELDS[kind]}, dtype="object",
    )


def help_frame(kind: str, lang: str) -> pd.DataFrame:
    """One row per column of the template: header, field name, required or optional, what to enter."""
    required = set(imports.REQUIRED[kind])
    fields = imports.FIELDS[kind]

    def what(field: str) -> str:
        if kind == "tickets" and field == "channel":
            return t("imports.template.format.ticket_channel", lang)
        return t(f"imports.template.format.{_FORMAT.get(field, 'dimension' if field == 'channel' else 'text')}", lang)

    return pd.DataFrame({
        t("imports.template.col.header", lang): [header(kind, f, lang) for f in fields],
        t("imports.template.col.field", lang): [t(f"imports.field.{f}", lang) for f in fields],
        t("imports.template.col.required", lang): [
            t("imports.template.required.yes" if f in required else "imports.template.required.no", lang)
            for f in fields
        ],
        t("imports.template.col.format", lang): [what(f) for f in fields],
    })


def template_csv(kind: str, lang: str) -> bytes:
    """The template as CSV in UTF-8 with a byte-order mark (Excel shows Chinese correctly)."""
    return template_frame(kind, lang).to_csv(index=False).encode("utf-8-sig")


def template_xlsx(kind: str, lang: str) -> bytes:
    """The template as XLSX: the data sheet (required headers bold and shaded, amounts and
    quantities as numbers, ids and phone numbers as text) and a sheet explaining each column."""
    frame = template_frame(kind, lang)
    fields = imports.FIELDS[kind]
    required = set(imports.REQUIRED[kind])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    head_required = book.add_format({"bold": True, "bg_color": "#F8CBAD", "border": 1})
    text = book.add_format({"num_format": "@"})
    number = book.add_format({"num_format": "0.00"})
    whole = book.add_format({"num_format": "0"})
    data = book.add_worksheet(t("imports.template.sheet.data", lang))
    for col, (field, name) in enumerate(zip(fields, frame.columns)):
        data.write_string(0, col, name, head_required if field in required else head)
        data.set_column(col, col, max(12, len(name) * 2 + 2), None if field in _NUMERIC else text)
        for row, value in enumerate(frame[name], start=1):
            if value == "":
                continue
            if field in _NUMERIC:
                data.write_number(row, col, float(value.replace(",", "")), whole if field == "quantity" else number)
            else:
                data.write_string(row, col, value, text)
    data.freeze_panes(1, 0)
    notes = help_frame(kind, lang)
    sheet = book.add_worksheet(t("imports.template.sheet.help", lang))
    widths = (18, 14, 10, 70)
    for col, name in enumerate(notes.columns):
        sheet.write_string(0, col, name, head)
        sheet.set_column(col, col, widths[col])
        for row, value in enumerate(notes[name], start=1):
            sheet.write_string(row, col, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def write_template(kind: str, path: str | Path, lang: str) -> Path:
    """Write the template of `kind` to `path`, CSV or XLSX by its extension."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise CRMInputError("imports.error.unknown_template_format", file=str(path))
    imports._check_kind(kind)
    path.write_bytes(template_csv(kind, lang) if suffix == "csv" else template_xlsx(kind, lang))
    return path
