"""Masking of phones and emails, and erasure of one customer on the small shop.

Erasure scenario: customer A (甲, phone 13800000005, a survey response) is
overwritten by import batch 1 (name 甲二, phone 13912345678, email
jia@example.com), so the demo version sits in customers_replaced. Erasing A
must clear both versions, unlink the survey response, keep A's orders (three,
600 yuan) and every total (revenue 9,420 over 10 non-returned orders of 11),
and survive an undo of batch 1 and a re-import of the same file.
"""

import datetime as dt

import pandas as pd
import pytest

from crm.access import privacy
from crm.errors import CRMInputError
from crm.intake import imports
from crm.store import db
from crm.value import customer360

PERSONAL = {"甲", "甲二", "13800000005", "13912345678", "jia@example.com", "广州"}
CSV = "customer_id,name,phone,email,city\nA,甲二,13912345678,jia@example.com,广州\n".encode()


def test_mask_phone():
    phones = pd.Series(["13800000005", "138 0000 0005", "+8613800000005", "12345678", "", None], dtype="string")
    assert privacy.mask_phone(phones).tolist() == [
        "138****0005", "138****0005", "+86****0005", "****", "", pd.NA]


def test_mask_email():
    emails = pd.Series(["zhang.san@example.com", "z@qq.com", " li@163.com ", "not-an-email", "a@b@c", None])
    assert privacy.mask_email(emails).fillna("<NA>").tolist() == [
        "z***@example.com", "z***@qq.com", "l***@163.com", "***", "***", "<NA>"]


def test_mask_value_and_frames():
    assert privacy.mask_value("13800000005", "phone") == "138****0005"
    assert privacy.mask_value(None, "email") is None
    df = pd.DataFrame({"id": ["A", "B"], "Phone": ["13800000005", None], "Email": ["ab@x.cn", "c@y.cn"]})
    contact = {"Phone": "phone", "Email": "email"}
    masked = privacy.mask_contacts(df, contact)
    assert masked.fillna("<NA>").to_dict("list") == {
        "id": ["A", "B"], "Phone": ["138****0005", "<NA>"], "Email": ["a***@x.cn", "c***@y.cn"]}
    assert df["Phone"].iloc[0] == "13800000005"  # the input is not changed
    assert privacy.for_display(df, contact, "analyst")["Phone"].iloc[0] == "138****0005"  # masked by default
    assert privacy.for_display(df, contact, "analyst", revealed=True)["Phone"].iloc[0] == "13800000005"
    assert privacy.for_display(df, contact, "viewer", revealed=True)["Phone"].iloc[0] == "138****0005"


def test_exports_carry_contact_fields_only_for_roles_that_may():
    df = pd.DataFrame({"id": ["A"], "Phone": ["13800000005"], "Email": [None]})
    contact = {"Phone": "phone", "Email": "email"}
    full, with_contact = privacy.for_export(df, contact, "analyst")
    assert full.columns.tolist() == ["id", "Phone", "Email"] and with_contact
    bare, with_contact = privacy.for_export(df, contact, "viewer")
    assert bare.columns.tolist() == ["id"] and not with_contact
    assert privacy.for_export(df[["id"]], contact, "admin")[1] is False


def test_search_by_contact_only_when_allowed(shop):
    shop.execute("UPDATE customer_features SET phone = '13800001234', email = 'b@example.com' WHERE customer_id = 'B'")
    assert customer360.search_customers(shop, "0000123")["customer_id"].tolist() == ["B"]
    assert customer360.search_customers(shop, "b@example")["customer_id"].tolist() == ["B"]
    assert customer360.search_customers(shop, "0000123", contact=False).empty
    assert customer360.search_customers(shop, "b@example", contact=False).empty
    by_name = customer360.search_customers(shop, "乙", contact=False)
    assert by_name["customer_id"].tolist() == ["B"] and by_name["phone"].isna().all()


@pytest.fixture
def erasable(shop):
    """Small shop + A's phone + a survey response by A + import batch 1 overwriting A."""
    shop.execute("UPDATE customers SET phone = '13800000005' WHERE customer_id = 'A'")
    shop.execute("INSERT INTO surveys (survey_id, title, source_tool, language, created_at, batch_id) VALUES ('S1', 'NPS', 'demo', 'zh', TIMESTAMP '2024-06-01', 0)")
    shop.execute("INSERT INTO survey_responses (response_id, survey_id, customer_id, submitted_at, batch_id) VALUES ('R1', 'S1', 'A', TIMESTAMP '2024-06-02', 0),"
                 " ('R2', 'S1', 'B', TIMESTAMP '2024-06-02', 0)")
    plan = imports.prepare_import(shop, CSV, "a.csv", "customers")
    assert imports.commit_import(shop, plan).batch_id == 1
    return shop


def _totals(con):
    return db.query(con, """
        SELECT (SELECT sum(amount) FILTER (WHERE NOT returned) FROM orders) AS revenue,
               (SELECT count(*) FROM orders) AS orders,
               (SELECT sum(revenue) FROM customer_features) AS feature_revenue,
               (SELECT count(*) FROM customer_features) AS customers,
               (SELECT sum(amount) FROM order_facts WHERE NOT returned) AS fact_revenue,
               (SELECT count(*) FROM orders WHERE customer_id = 'A') AS orders_of_a,
               (SELECT count(*) FROM survey_responses) AS responses
    """).iloc[0].to_dict()


def _personal_values_anywhere(con) -> set[str]:
    """Every value of PERSONAL still stored in any text column of any table."""
    columns = db.query(con, "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR'"
                            " AND schema_name = 'main'")
    found = set()
    for table, column in columns.itertuples(index=False):
        values = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()
        found |= {v for (v,) in values if v in PERSONAL}
    return found


def test_erasure_clears_personal_fields_everywhere_and_keeps_totals(erasable):
    before = _totals(erasable)
    assert before == {"revenue": 9420, "orders": 11, "feature_revenue": 9420, "customers": 5,
                      "fact_revenue": 9420, "orders_of_a": 3, "responses": 2}
    assert _personal_values_anywhere(erasable) == PERSONAL  # both versions of A are stored
    changed = privacy.erase_customer(erasable, "A")
    assert changed == {"customers": 1, "customers_replaced": 1, "survey_responses": 1}
    assert _personal_values_anywhere(erasable) == set()
    assert _totals(erasable) == {**before, "responses": 2}
    row = db.query(erasable, "SELECT * FROM customers WHERE customer_id = 'A'").iloc[0]
    assert all(pd.isna(row[f]) for f in privacy.PERSONAL_FIELDS)
    assert row["province"] == "广东"  # coarse, not identifying: regional totals stay right
    assert db.query(erasable, "SELECT response_id, customer_id FROM survey_responses ORDER BY 1").fillna("").values.tolist() \
        == [["R1", ""], ["R2", "B"]]
    assert customer360.profile(erasable, "A", dt.date(2024, 6, 30))["revenue"] == 600
    assert privacy.is_erased(erasable, "A") and not privacy.is_erased(erasable, "B")
    assert db.scalar(erasable, "SELECT count(*) FROM erased_customers WHERE customer_hash = 'A'") == 0  # hashed


def test_undo_and_reimport_do_not_bring_the_person_back(erasable):
    privacy.erase_customer(erasable, "A")
    imports.undo_batch(erasable, 1)  # restores A's demo row from customers_replaced
    assert _personal_values_anywhere(erasable) == set()
    plan = imports.prepare_import(erasable, CSV, "a.csv", "customers")
    imports.commit_import(erasable, plan)  # the same person imported again
    assert _personal_values_anywhere(erasable) == set()
    assert _totals(erasable)["revenue"] == 9420


def test_erasing_an_unknown_customer_is_refused(shop):
    with pytest.raises(CRMInputError) as info:
        privacy.erase_customer(shop, "ZZZ")
    assert info.value.key == "privacy.error.unknown_customer"
    assert db.scalar(shop, "SELECT count(*) FROM erased_customers") == 0


def test_contacts_of_some_customers(shop):
    shop.execute("UPDATE customer_features SET phone = '13800001234', email = 'b@example.com' WHERE customer_id = 'B'")
    found = customer360.contacts(shop, pd.Series(["B", "A", "nobody"]))
    assert found.fillna("").values.tolist() == [["A", "", ""], ["B", "13800001234", "b@example.com"]]
