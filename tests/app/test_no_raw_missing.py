"""No table on any page shows a missing value as None / nan / NaT / <NA>, in either language.

Streamlit draws a missing cell as "None" unless the table sets a placeholder;
a text cell can also hold the words themselves. Every table of every page (each
segmentation tab, the key-account list, alerts and a customer 360 with tickets
and survey answers, the Data page) is scanned.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import connect_beside_app

from crm.i18n import t
from crm.store import db

RAW = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null"}


def raw_missing_shown(at) -> list[str]:
    """One line per table that would show a raw missing value (empty when all is well)."""
    problems = []
    for index, frame in enumerate(at.dataframe):
        df = frame.value
        placeholder = frame.proto.placeholder if frame.proto.HasField("placeholder") else None
        if df.isna().to_numpy().any() and (placeholder is None or placeholder in RAW):
            columns = [c for c in df.columns if df[c].isna().any()]
            problems.append(f"table {index} ({list(df.columns)[:3]}…): missing values in {columns}, placeholder {placeholder!r}")
        for column in df.columns:
            if pd.api.types.is_object_dtype(df[column]) or pd.api.types.is_string_dtype(df[column]):
                words = set(df[column].dropna().astype(str).str.strip()) & RAW
                if words:
                    problems.append(f"table {index}: column {column!r} shows {sorted(words)}")
    return problems


def test_the_scan_finds_a_raw_none():
    """The helper itself: a table with a missing value and no placeholder is reported."""
    from streamlit.testing.v1 import AppTest

    def app():
        import pandas as pd
        import streamlit as st

        st.dataframe(pd.DataFrame({"a": [1.0, None], "b": ["x", "None"]}))
        st.dataframe(pd.DataFrame({"a": [1.0, None]}), placeholder="—")

    at = AppTest.from_function(app).run()
    problems = raw_missing_shown(at)
    assert len(problems) == 2 and "table 0" in problems[0] and "'None'" in problems[1]


LANGS = ["zh", "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_overview_and_data_pages(open_app, lang):
    at = open_app(lang)
    assert len(at.dataframe) >= 2  # the open breakdown tab and the monthly table
    assert raw_missing_shown(at) == []
    at.switch_page("pages/data.py").run()
    assert len(at.dataframe) >= 2
    assert raw_missing_shown(at) == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_segmentation_tab(open_app, lang):
    at = open_app(lang, page="pages/segments.py")
    for tab in ("rfm", "clusters", "value", "tiers", "who"):
        at.session_state["seg.tab"] = t(f"segmentation.tab.{tab}", lang)
        at.run()
        assert not at.exception
        assert at.dataframe, tab
        assert raw_missing_shown(at) == [], tab


@pytest.mark.parametrize("lang", LANGS)
def test_key_accounts_list_alerts_and_360(open_app, demo_db, lang):
    at = open_app(lang, page="pages/key_accounts.py")
    change = at.dataframe[0].value[t("keyacc.col.change", lang)]
    assert change.isna().any()  # new accounts have no change: drawn as the placeholder
    assert at.dataframe[0].proto.placeholder == "—"
    assert raw_missing_shown(at) == []
    at.session_state["ka.tab"] = t("keyacc.tab.alerts", lang)
    at.run()
    at.number_input(key="ka.inactive").set_value(1).run()  # every inactive account in the alerts table
    assert at.dataframe and at.dataframe[0].proto.placeholder == "—"
    assert raw_missing_shown(at) == []
    at.session_state["ka.tab"] = t("keyacc.tab.360", lang)
    at.run()
    con = connect_beside_app(demo_db)
    try:  # a customer with an unresolved ticket and a survey answer without text
        customer = db.query(con, """
            SELECT t.customer_id FROM tickets t JOIN survey_responses r USING (customer_id)
            WHERE t.resolved_at IS NULL ORDER BY t.customer_id LIMIT 1""")["customer_id"].iloc[0]
    finally:
        con.close()
    at.text_input(key="ka.360.search").input(customer).run()
    at.selectbox(key="ka.360.customer").set_value(customer).run()
    assert len(at.dataframe) >= 2  # tickets, survey answers
    assert raw_missing_shown(at) == []
