"""Retention figures drawn in the customer 360° view: P(alive), churn risk and lifetime value."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from crm.errors import CRMInputError
from crm.formatting import format_money, format_number, format_percent
from crm.retention import churn, winback
from crm.value import customer360
from ui import guard
from ui.cache import data_version, db_path, shared
from ui.shell import PageContext


def customer_retention(ctx: PageContext, customer_id: str, as_of: dt.date) -> None:
    """Cards: churn probability (next 90 days) with its risk band, P(alive), expected purchases and 12-month CLV.

    The scores are the churn page's defaults (horizon 90 days, seed 0), from the same cache.
    """
    try:
        with st.spinner(ctx.t("c360.retention.running")):
            scores = shared(churn.score_churn, horizon_days=90, as_of=as_of, random_state=0).scores
            values = shared(winback.customer_values, as_of)
    except CRMInputError as exc:  # too little history for the model: say why, keep the rest of the view
        st.caption(guard.error_text(exc, ctx.lang))
        return
    figures = customer360.retention_figures(scores, values, customer_id)
    cards = st.container(horizontal=True)
    band = figures["risk_band"]
    cards.metric(ctx.t("c360.retention.churn"), format_percent(figures["churn_probability"]), border=True,
                 width="content", help=ctx.t("c360.retention.churn.help", as_of=as_of.isoformat()),
                 delta=ctx.t(f"churn.band.{band}") if band else None, delta_arrow="off",
                 delta_color={"high": "red", "medium": "orange", "low": "green"}.get(band, "gray"))
    cards.metric(ctx.t("c360.retention.p_alive"), format_percent(figures["p_alive"]), border=True, width="content",
                 help=ctx.t("c360.retention.p_alive.help"))
    cards.metric(ctx.t("c360.retention.expected"), format_number(figures["expected_purchases"], ctx.lang, decimals=1),
                 border=True, width="content", help=ctx.t("c360.retention.expected.help"))
    cards.metric(ctx.t("c360.retention.clv"), format_money(figures["clv"], ctx.lang, compact=True), border=True,
                 width="content", help=ctx.t("c360.retention.clv.help"))
    if values is None:
        st.caption(ctx.t("c360.retention.no_clv"))


@st.cache_resource(show_spinner=False, max_entries=4)
def _ranked(path: str, version: int, horizon_days: int, as_of: dt.date, seed: int) -> winback.WinBack:
    result = shared(churn.score_churn, horizon_days=horizon_days, as_of=as_of, random_state=seed)
    details = shared(winback.customer_details, as_of)
    values = shared(winback.customer_values, as_of)
    return winback.rank_win_back(result.scores, details, values, horizon_days=horizon_days)


def win_back(horizon_days: int, as_of: dt.date, seed: int) -> winback.WinBack:
    """The ranked win-back list for the churn page's settings, kept per data version (every session shares it;
    do not modify). Filters then only select rows of it."""
    return _ranked(db_path(), data_version(), horizon_days, as_of, seed)
