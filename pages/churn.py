"""Churn risk (流失预警): who is likely to leave next, how good the model is, and the win-back list."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from crm.access import privacy
from crm.errors import CRMInputError
from crm.formatting import format_date, format_money, format_number, format_percent
from crm.retention import churn, winback
from ui import access, guard, state
from ui import retention as retention_ui
from ui import components as ui
from ui.cache import shared
from ui.labels import label_series, value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "churn.title", ctx.t("churn.caption"))

HORIZONS = [30, 60, 90, 180, 365]
c1, c2, _ = st.columns([1, 1, 2])
horizon = c1.selectbox(ctx.t("churn.horizon"), HORIZONS, index=HORIZONS.index(90), key=state.CHURN_HORIZON,
                       format_func=lambda h: ctx.t("churn.horizon.days", days=h), help=ctx.t("churn.horizon.help"))
seed = int(c2.number_input(ctx.t("churn.seed"), min_value=0, value=0, step=1, key=state.CHURN_SEED,
                           help=ctx.t("churn.seed.help")))
st.caption(ctx.t("churn.note.scope", as_of=format_date(f.as_of, ctx.lang)))

try:
    with st.spinner(ctx.t("churn.running")):
        result = shared(churn.score_churn, horizon_days=horizon, as_of=f.as_of, random_state=seed)
except CRMInputError as exc:
    st.warning(guard.error_text(exc, ctx.lang), icon=":material/info:")
    st.stop()
card = result.card
scores = result.scores
if not card["better_than_baseline"]:
    st.warning(ctx.t("churn.card.not_better"), icon=":material/warning:")


def feature_name(name: str) -> str:
    return ctx.t(f"churn.feature.{name}")


def band_name(code: str) -> str:
    return ctx.t(f"churn.band.{code}")


# ------------------------------------------------------------------ risk
def show_risk() -> None:
    recent = scores[scores["recency_days"] <= horizon]
    high = int((recent["risk_band"] == "high").sum())
    cards = st.container(horizontal=True)
    cards.metric(ctx.t("churn.metric.scored"), format_number(len(scores), ctx.lang), border=True,
                 width=ui.KPI_CARD_WIDTH, help=ctx.t("churn.metric.scored.help"))
    cards.metric(ctx.t("churn.metric.recent"), format_number(len(recent), ctx.lang), border=True,
                 width=ui.KPI_CARD_WIDTH, help=ctx.t("churn.metric.recent.help", days=horizon))
    cards.metric(ctx.t("churn.metric.high"), format_number(high, ctx.lang), border=True, width=ui.KPI_CARD_WIDTH,
                 help=ctx.t("churn.metric.high.help", days=horizon, threshold=format_percent(churn.HIGH_RISK)))
    cards.metric(ctx.t("churn.metric.expected"), format_number(float(recent["churn_probability"].sum()), ctx.lang),
                 border=True, width=ui.KPI_CARD_WIDTH, help=ctx.t("churn.metric.expected.help", days=horizon))

    st.subheader(ctx.t("churn.distribution"))
    st.caption(ctx.t("churn.distribution.note", days=horizon))
    shown = recent.assign(band=recent["risk_band"].map(band_name))
    colours = {band_name("high"): "#dc2626", band_name("medium"): "#f59e0b", band_name("low"): "#10b981"}
    fig = px.histogram(shown, x="churn_probability", color="band", nbins=20, range_x=(0, 1),
                       color_discrete_map=colours, category_orders={"band": list(colours)},
                       labels={"churn_probability": ctx.t("churn.col.churn_probability"), "band": ctx.t("churn.col.risk_band")})
    fig.update_traces(xbins=dict(start=0, end=1, size=0.05))
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(title=ctx.t("churn.col.customers"), tickformat=",d")
    fig.update_layout(bargap=0.05, hovermode="closest")
    ui.chart(ui.style_figure(fig, height=320), key="churn.chart.distribution")

    st.subheader(ctx.t("churn.top"))
    st.caption(ctx.t("churn.top.note", days=horizon))
    top = recent.head(200)
    details = shared(winback.customer_details, f.as_of, tuple(top["customer_id"]))
    top = top.merge(details[["customer_id", "name", "province", "last_order_date", "last_category"]],
                                 on="customer_id", how="left")
    columns = {"customer_id": ctx.t("churn.col.customer_id"), "name": ctx.t("churn.col.name"),
               "churn_probability": ctx.t("churn.col.churn_probability"), "risk_band": ctx.t("churn.col.risk_band"),
               "recency_days": feature_name("recency_days"), "frequency": feature_name("frequency"),
               "monetary": feature_name("monetary"), "mean_gap_days": feature_name("mean_gap_days"),
               "spend_trend": feature_name("spend_trend"), "last_order_date": ctx.t("churn.col.last_order_date"),
               "last_category": ctx.t("churn.col.last_category"), "province": ctx.t("churn.col.province")}
    table = top.assign(risk_band=top["risk_band"].map(band_name),
                       last_category=label_series(top["last_category"], "categories", ctx.lang),
                       province=label_series(top["province"], "provinces", ctx.lang))[list(columns)]
    table = table.rename(columns=columns)
    kinds = {columns["churn_probability"]: "percent", columns["monetary"]: "money",
             columns["mean_gap_days"]: "decimal", columns["spend_trend"]: "percent",
             columns["last_order_date"]: "date"}
    ui.dataframe(table, kinds=kinds, key="churn.top.table")
    ui.download_buttons(ctx, table, "churn_top_risk", key="churn.top.download", kinds=kinds,
                        title=ctx.t("churn.top"), period=False)


# ------------------------------------------------------------------ model card
def show_card() -> None:
    cards = st.container(horizontal=True)
    cards.metric(ctx.t("churn.card.auc"), f"{card['auc']:.3f}", border=True, width=ui.KPI_CARD_WIDTH,
                 delta=f"{card['auc'] - card['baseline_auc']:+.3f}", help=ctx.t("churn.card.auc.help"))
    cards.metric(ctx.t("churn.card.baseline"), f"{card['baseline_auc']:.3f}", border=True, width="content",
                 help=ctx.t("churn.card.baseline.help"))
    cards.metric(ctx.t("churn.card.lift"), f"{card['top_decile_lift']:.2f}×", border=True, width=ui.KPI_CARD_WIDTH,
                 help=ctx.t("churn.card.lift.help"))
    cards.metric(ctx.t("churn.card.estimator"), ctx.t(f"churn.estimator.{card['estimator']}"), border=True,
                 width="content", help=ctx.t("churn.card.estimator.help", **{
                     name: f"{auc:.3f}" for name, auc in card["candidates"].items()}))
    if card["better_than_baseline"]:
        st.success(ctx.t("churn.card.better", auc=f"{card['auc']:.3f}", baseline=f"{card['baseline_auc']:.3f}"),
                   icon=":material/verified:")
    st.markdown(ctx.t("churn.card.window", cutoff=format_date(card["feature_cutoff"], ctx.lang),
                      start=format_date(card["label_start"], ctx.lang), end=format_date(card["label_end"], ctx.lang),
                      as_of=format_date(card["as_of"], ctx.lang), days=card["horizon_days"]))
    st.markdown(ctx.t("churn.card.sizes", customers=format_number(card["training_customers"], ctx.lang),
                      fit=format_number(card["fit_rows"], ctx.lang), holdout=format_number(card["holdout_rows"], ctx.lang),
                      rate=format_percent(card["training_churn_rate"]),
                      scored=format_number(card["scored_customers"], ctx.lang))
                + (" " + ctx.t("churn.card.sampled", rows=format_number(card["sample_rows"], ctx.lang))
                   if card["sampled"] else ""))
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("churn.card.calibration"))
        cal = card["calibration"]
        fig = go.Figure()
        fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#94a3b8"),
                        name=ctx.t("churn.card.calibration.ideal"), hoverinfo="skip")
        fig.add_scatter(x=cal["predicted"], y=cal["observed"], mode="lines+markers",
                        name=ctx.t("churn.card.calibration.model"),
                        customdata=cal[["decile", "customers"]].to_numpy(),
                        hovertemplate=ctx.t("churn.card.calibration.hover") + "<extra></extra>")
        fig.update_xaxes(title=ctx.t("churn.card.calibration.predicted"), tickformat=".0%", range=[0, 1])
        fig.update_yaxes(title=ctx.t("churn.card.calibration.observed"), tickformat=".0%", range=[0, 1])
        fig = ui.style_figure(fig, height=340)
        fig.update_layout(hovermode="closest")
        ui.chart(fig, key="churn.chart.calibration")
    with right:
        st.subheader(ctx.t("churn.card.drivers"))
        drivers = card["importances"].head(10).iloc[::-1]
        fig = go.Figure(go.Bar(x=drivers["importance"], y=drivers["feature"].map(feature_name), orientation="h",
                               error_x=dict(type="data", array=drivers["std"]), marker_color=ui.PALETTE[0],
                               hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
        fig.update_xaxes(title=ctx.t("churn.card.drivers.axis"))
        fig = ui.style_figure(fig, height=340)
        fig.update_layout(hovermode="closest")
        ui.chart(fig, key="churn.chart.drivers")
    st.caption(ctx.t("churn.card.drivers.note"))
    columns = {"decile": ctx.t("churn.card.col.decile"), "customers": ctx.t("churn.col.customers"),
               "predicted": ctx.t("churn.card.calibration.predicted"),
               "observed": ctx.t("churn.card.calibration.observed")}
    with st.expander(ctx.t("churn.card.calibration.table")):
        table = card["calibration"].rename(columns=columns)
        ui.dataframe(table, kinds={columns["predicted"]: "percent", columns["observed"]: "percent"},
                     key="churn.card.calibration.table")


# ------------------------------------------------------------------ win-back list
def show_winback() -> None:
    with st.spinner(ctx.t("churn.wb.running")):
        listing = retention_ui.win_back(horizon, f.as_of, seed)
    table = listing.table
    st.caption(ctx.t("churn.wb.note", days=horizon, max_days=winback.MAX_DAYS_SINCE,
                     threshold=format_percent(winback.AT_RISK_THRESHOLD)))
    if listing.value_source != "clv":
        st.info(ctx.t("churn.wb.run_rate"), icon=":material/info:")
    c1, c2, c3, c4 = st.columns(4)
    statuses = c1.multiselect(ctx.t("churn.wb.status"), winback.STATUSES, key=state.WINBACK_STATUS,
                              format_func=lambda s: ctx.t(f"winback.status.{s}"), placeholder=ctx.t("shell.filter.all"))
    actions = c2.multiselect(ctx.t("churn.wb.action"), winback.ACTIONS, key=state.WINBACK_ACTION,
                             format_func=lambda a: ctx.t(f"winback.action.{a}"), placeholder=ctx.t("shell.filter.all"))
    categories = c3.multiselect(ctx.t("churn.col.last_category"), sorted(table["last_category"].dropna().unique()),
                                key=state.WINBACK_CATEGORY, placeholder=ctx.t("shell.filter.all"),
                                format_func=lambda v: value_label("categories", v, ctx.lang))
    provinces = c4.multiselect(ctx.t("churn.col.province"), sorted(table["province"].dropna().unique()),
                               key=state.WINBACK_PROVINCE, placeholder=ctx.t("shell.filter.all"),
                               format_func=lambda v: value_label("provinces", v, ctx.lang))
    c5, c6, _ = st.columns([1, 1, 2])
    min_probability = c5.slider(ctx.t("churn.wb.min_probability"), 0, 100, 0, 5, key=state.WINBACK_MIN_PROBABILITY,
                                format="%d%%")
    max_days = c6.number_input(ctx.t("churn.wb.max_days"), min_value=1, max_value=winback.MAX_DAYS_SINCE,
                               value=winback.MAX_DAYS_SINCE, step=30, key=state.WINBACK_MAX_DAYS)
    chosen = winback.filter_win_back(table, statuses=statuses, actions=actions, categories=categories,
                                     provinces=provinces, min_probability=min_probability / 100,
                                     max_days_since=int(max_days))
    cards = st.container(horizontal=True)
    cards.metric(ctx.t("churn.wb.customers"), format_number(len(chosen), ctx.lang), border=True,
                 width=ui.KPI_CARD_WIDTH)
    cards.metric(ctx.t("churn.wb.at_stake"), format_money(float(chosen["at_stake"].sum()), ctx.lang, compact=True),
                 border=True, width=ui.KPI_CARD_WIDTH, help=ctx.t("churn.wb.at_stake.help"))
    cards.metric(ctx.t("churn.wb.past_value"), format_money(float(chosen["past_value"].sum()), ctx.lang, compact=True),
                 border=True, width=ui.KPI_CARD_WIDTH)
    if chosen.empty:
        ui.empty_state(ctx, "churn.wb.empty")
        return
    if listing.value_source != "clv":
        chosen = chosen.drop(columns=list(winback.VALUE_COLUMNS))
    columns = {c: ctx.t(f"winback.col.{c}") for c in chosen.columns}
    shown = chosen.assign(
        status=chosen["status"].map(lambda s: ctx.t(f"winback.status.{s}")),
        action=chosen["action"].map(lambda a: ctx.t(f"winback.action.{a}")),
        last_category=label_series(chosen["last_category"], "categories", ctx.lang),
        province=label_series(chosen["province"], "provinces", ctx.lang),
        customer_type=label_series(chosen["customer_type"], "customer_types", ctx.lang),
    ).rename(columns=columns)
    kinds = {columns[c]: k for c, k in winback.KINDS.items() if c in columns}
    contact = {columns[c]: k for c, k in winback.CONTACT.items()}
    if len(shown) > ui.MAX_ROWS_SHOWN:
        st.caption(ctx.t("common.rows_shown", shown=f"{ui.MAX_ROWS_SHOWN:,}", total=f"{len(shown):,}"))
    ui.dataframe(privacy.for_display(shown.head(ui.MAX_ROWS_SHOWN), contact, access.current().role), kinds=kinds,
                 key="churn.wb.table", column_config={columns["name"]: st.column_config.TextColumn(pinned=True)})
    ui.download_buttons(ctx, shown, "win_back", key="churn.wb.download", kinds=kinds, title=ctx.t("churn.tab.winback"),
                        period=False, contact=contact)
    with st.expander(ctx.t("churn.wb.rules"), icon=":material/rule:"):
        st.markdown(ctx.t("churn.wb.rules.text", days=horizon, top=format_percent(winback.TOP_SHARE)))


TABS = {"risk": show_risk, "card": show_card, "winback": show_winback}
# Only the open tab is drawn: the win-back list joins the CLV model, the others need only the scores.
tabs = st.tabs([ctx.t(f"churn.tab.{name}") for name in TABS], key=state.CHURN_TAB, on_change="rerun")
for tab, draw in zip(tabs, TABS.values()):
    if tab.open:
        with tab:
            draw()
