"""Respondents → customers: find the column that identifies the customer and match its values.

A column qualifies by its header or, for a question asking for it (问卷星 '1、您的会员编号'), by
the question's wording: customer/member id (→ ``customers.customer_id``), phone (digits compared,
a leading 86 country code dropped), email (case-insensitive) or an order number (→ the order's
customer through ``orders``). Every candidate is matched against the database and the one matching
most respondents is chosen (header order on a tie); the caller may choose another. Respondents whose
value matches nothing stay anonymous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from crm.intake.fileformats import normalise_header
from crm.store import db

METHODS = ("customer_id", "phone", "email", "order_id")

_NAMES = {
    "customer_id": ("客户编号", "客户id", "客户号", "客户代码", "会员id", "会员编号", "会员号", "会员卡号", "用户id",
                    "用户编号", "customerid", "customerno", "customernumber", "custid", "memberid", "memberno",
                    "membernumber", "clientid", "userid", "externalreference", "externaldatareference",
                    "customdata1"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "phone", "mobile", "phonenumber",
              "telephone", "tel", "mobilenumber"),
    "email": ("email", "e-mail", "emailaddress", "邮箱", "电子邮箱", "电子邮件", "电子邮件地址", "recipientemail",
              "mail"),
    "order_id": ("订单编号", "订单号", "订单id", "orderid", "orderno", "ordernumber"),
}


@dataclass
class Link:
    """The chosen identifying column and what it matched.

    ``customer_ids`` is aligned with the respondents (NA when unmatched); ``candidates`` lists every
    qualifying column with its method and matched count.
    """

    column: str | None
    method: str | None
    customer_ids: pd.Series
    candidates: pd.DataFrame

    @property
    def matched(self) -> int:
        return int(self.customer_ids.notna().sum())

    @property
    def unmatched(self) -> int:
        return int(self.customer_ids.isna().sum())


def method_of(header: str, wording: str | None = None) -> str | None:
    """The link method a header (or a question's wording) names, or None."""
    for text in filter(None, (header, wording)):
        name = normalise_header(text)
        for method in ("order_id", "customer_id", "phone", "email"):
            for synonym in _NAMES[method]:
                synonym = normalise_header(synonym)
                long_enough = len(synonym) >= 4 or re.search(r"[\u4e00-\u9fff]", synonym)
                if name == synonym or (long_enough and synonym in name and len(name) <= len(synonym) + 8):
                    return method
    return None


def normalised_keys(values: pd.Series, method: str) -> pd.Series:
    """Values as compared: trimmed; phones as digits without a leading 86; emails lower case."""
    text = values.astype("string[pyarrow]").str.strip()
    if method == "phone":
        text = text.str.replace(r"\D", "", regex=True).str.replace(r"^86(?=\d{11}$)", "", regex=True)
    elif method == "email":
        text = text.str.lower()
    return text.mask(text == "")


_MATCH_SQL = {
    "customer_id": "SELECT k.pos, c.customer_id FROM _keys k JOIN customers c ON c.customer_id = k.key",
    "phone": """
        SELECT k.pos, p.customer_id FROM _keys k JOIN (
            SELECT regexp_replace(regexp_replace(phone, '\\D', '', 'g'), '^86(\\d{11})$', '\\1') AS key,
                   min(customer_id) AS customer_id
            FROM customers WHERE phone IS NOT NULL GROUP BY 1
        ) p ON p.key = k.key""",
    "email": """
        SELECT k.pos, e.customer_id FROM _keys k JOIN (
            SELECT lower(trim(email)) AS key, min(customer_id) AS customer_id
            FROM customers WHERE email IS NOT NULL GROUP BY 1
        ) e ON e.key = k.key""",
    "order_id": """
        SELECT k.pos, o.customer_id FROM _keys k JOIN (
            SELECT order_id, any_value(customer_id) AS customer_id FROM orders GROUP BY order_id
        ) o ON o.order_id = k.key""",
}


def match(con, values: pd.Series, method: str) -> pd.Series:
    """The customer id of each value (NA when none), aligned with `values`."""
    keys = normalised_keys(values, method)
    frame = pd.DataFrame({"pos": range(len(keys)), "key": keys.to_numpy()}).dropna()
    result = pd.Series(pd.NA, index=values.index, dtype="string[pyarrow]")
    if frame.empty:
        return result
    found = db.query(con, _MATCH_SQL[method], frames={"_keys": frame})
    if len(found):
        result.iloc[found["pos"].to_numpy()] = found["customer_id"].astype("string[pyarrow]").to_numpy()
    return result


def find_candidates(columns: list[str], wording: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(column, method) for every column whose header or question wording names an identifier."""
    out = []
    for column in columns:
        method = method_of(column, (wording or {}).get(column))
        if method:
            out.append((column, method))
    return out


def link(con, frame: pd.DataFrame, candidates: list[tuple[str, str]], chosen: str | None = None) -> Link:
    """Match every candidate; keep `chosen` (a column, '' for none) or else the one matching most."""
    rows = []
    results: dict[str, tuple[str, pd.Series]] = {}
    for column, method in candidates:
        ids = match(con, frame[column], method)
        results[column] = (method, ids)
        rows.append({"column": column, "method": method, "matched": int(ids.notna().sum()),
                     "filled": int(normalised_keys(frame[column], method).notna().sum())})
    table = pd.DataFrame(rows, columns=["column", "method", "matched", "filled"])
    empty = pd.Series(pd.NA, index=frame.index, dtype="string[pyarrow]")
    if chosen == "":
        return Link(None, None, empty, table)
    if chosen is None:
        if table.empty:
            return Link(None, None, empty, table)
        chosen = table.sort_values(["matched", "filled"], ascending=False, kind="stable")["column"].iloc[0]
    if chosen not in results and chosen in frame.columns:  # a column the user names: matched as a customer id
        ids = match(con, frame[chosen], "customer_id")
        results[chosen] = ("customer_id", ids)
        table = pd.concat([table, pd.DataFrame([{"column": chosen, "method": "customer_id",
                                                 "matched": int(ids.notna().sum()),
                                                 "filled": int(frame[chosen].str.strip().astype(bool).sum())}])],
                          ignore_index=True)
    if chosen not in results:
        from crm.errors import CRMInputError

        raise CRMInputError("surveys_import.error.unknown_link_column", column=chosen,
                            choices=", ".join(table["column"]) or "—")
    method, ids = results[chosen]
    return Link(chosen, method, ids, table)
