"""Customer lifetime value (终生价值): BG/NBD + Gamma-Gamma, parameters explained, breakdowns and the backtest."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm.errors import CRMInputError
from crm.formatting import format_date, format_money, format_number, format_percent
from crm.retention import backtest, clv
from ui import components as ui
from ui import guard, state
from ui.cache import cached, shared
from ui.labels import value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "clv.title", ctx.t("clv.caption"))
st.caption(ctx.t("clv.note.scope", as_of=format_date(f.as_of, ctx.lang)))

# ------------------------------------------------------------------ parameters, each with its sentence
data_margin = cached(clv.order_margin, calibration_end=f.as_of, filters=f)
with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    horizon = int(c1.number_input(ctx.t("clv.param.horizon"), min_value=1, max_value=clv.MAX_HORIZON_MONTHS,
                                  value=12, step=1, key=state.CLV_HORIZON))
    c1.caption(ctx.t("clv.param.horizon.help"))
    discount = c2.number_input(ctx.t("clv.param.discount"), min_value=0.0, max_value=20.0, value=1.0, step=0.1,
                               format="%.1f", key=state.CLV_DISCOUNT)
    c2.caption(ctx.t("clv.param.discount.help"))
    fallback = data_margin if data_margin is not None else clv.DEFAULT_MARGIN
    margin = c3.number_input(ctx.t("clv.param.margin"), min_value=0.5, max_value=100.0, value=None, step=0.5,
                             format="%.1f", key=state.CLV_MARGIN,
                             placeholder=ctx.t("clv.param.margin.placeholder." + ("data" if data_margin is not None
                                                                                  else "default"),
                                               margin=format_percent(fallback)))
    c3.caption(ctx.t("clv.param.margin.help." + ("data" if data_margin is not None else "default"),
                     margin=format_percent(fallback)))
    unit = c4.radio(ctx.t("clv.param.unit"), ["week", "day"], horizontal=True, key=state.CLV_UNIT,
                    format_func=lambda u: ctx.t(f"clv.unit.{u}"))
    c4.caption(ctx.t("clv.param.unit.help"))

try:
    with st.spinner(ctx.t("clv.fitting")):
        report = shared(clv.value_report, f, horizon_months=horizon, unit=unit, monthly_discount=discount / 100,
                        margin=None if margin is None else margin / 100)
except CRMInputError as exc:
    st.warning(guard.error_text(exc, ctx.lang), icon=":material/info:")
    st.stop()

value = report.value
table = value.table
params = value.params
unit_word = ctx.t(f"clv.unit.word.{unit}")

# ------------------------------------------------------------------ headline figures
cards = st.container(horizontal=True)
total = float(table["clv"].sum())
cards.metric(ctx.t("clv.kpi.customers"), format_number(len(table), ctx.lang, compact=len(table) >= 100_000),
             help=ctx.t("clv.kpi.customers.help", as_of=format_date(f.as_of, ctx.lang)), border=True,
             width=ui.KPI_CARD_WIDTH)
cards.metric(ctx.t("clv.kpi.total", months=horizon), format_money(total, ctx.lang, compact=True),
             help=ctx.t("clv.kpi.total.help", months=horizon), border=True, width=ui.KPI_CARD_WIDTH)
cards.metric(ctx.t("clv.kpi.mean"), format_money(total / len(table), ctx.lang, compact=True),
             help=ctx.t("clv.kpi.mean.help"), border=True, width=ui.KPI_CARD_WIDTH)
for days in (30, 90):
    expected = float(table[f"expected_{days}"].sum())
    cards.metric(ctx.t(f"clv.kpi.expected_{days}"), format_number(expected, ctx.lang, compact=expected >= 100_000),
                 help=ctx.t("clv.kpi.expected.help", days=days), border=True, width=ui.KPI_CARD_WIDTH)
cards.metric(ctx.t("clv.kpi.active"), format_percent(float((table["p_alive"] >= 0.5).mean())),
             help=ctx.t("clv.kpi.active.help", mean=format_percent(float(table["p_alive"].mean()))), border=True,
             width=ui.KPI_CARD_WIDTH)

# ------------------------------------------------------------------ the fitted model, explained
with st.expander(ctx.t("clv.model.title"), icon=":material/functions:"):
    diag = value.diagnostics
    rows = [
        ("r", params["r"], ctx.t("clv.model.r", unit=unit_word)),
        ("α", params["alpha"], ctx.t("clv.model.alpha", unit=unit_word,
                                     rate=f"{params['r'] / params['alpha']:.3f}")),
        ("a", params["a"], ctx.t("clv.model.a")),
        ("b", params["b"], ctx.t("clv.model.b", dropout=format_percent(params["a"] / (params["a"] + params["b"])))),
        ("p", params["p"], ctx.t("clv.model.p")),
        ("q", params["q"], ctx.t("clv.model.q")),
        ("γ", params["gamma"], ctx.t("clv.model.gamma", mean=format_money(diag["mean_spend"], ctx.lang))),
    ]
    model_table = pd.DataFrame(rows, columns=[ctx.t("clv.model.col.parameter"), ctx.t("clv.model.col.value"),
                                              ctx.t("clv.model.col.meaning")])
    st.table(model_table.assign(**{ctx.t("clv.model.col.value"): model_table[ctx.t("clv.model.col.value")]
                                   .map(lambda v: f"{v:,.4g}")}).set_index(ctx.t("clv.model.col.parameter")))
    st.caption(ctx.t("clv.model.fit", customers=format_number(diag["customers"], ctx.lang),
                     repeat=format_number(diag["repeat_customers"], ctx.lang),
                     bg=f"{params['bgnbd_loglik']:,.1f}", gg=f"{params['gg_loglik']:,.1f}"))
    st.caption(ctx.t(f"clv.model.margin.{value.margin_source}", margin=format_percent(value.margin)))
    corr = diag["frequency_spend_correlation"]
    if pd.notna(corr) and abs(corr) > 0.3:
        st.warning(ctx.t("clv.model.correlation.high", corr=f"{corr:.2f}"), icon=":material/warning:")
    else:
        st.caption(ctx.t("clv.model.correlation", corr="—" if pd.isna(corr) else f"{corr:.2f}"))
    if not (diag["bgnbd_converged"] and diag["gg_converged"]):
        st.warning(ctx.t("clv.model.not_converged"), icon=":material/warning:")

TOP_COLUMNS = ["customer_id", "name", "province", "channel", "segment", "tier", "frequency", "monetary", "p_alive",
               "expected_30", "expected_90", "expected_purchases", "expected_spend", "clv"]


def heading(column: str) -> str:
    return ctx.t(f"clv.col.{column}", months=horizon, unit=unit_word)


def group_label(dimension: str, code: object) -> str:
    if code == clv.NO_GROUP:
        return ctx.t(f"clv.group.none.{dimension}")
    if dimension == "segment":
        return ctx.t(f"rfm.segment.{code}")
    if dimension == "tier":
        return ctx.t(f"loyalty.tier.{code}")
    return value_label({"channel": "channels", "province": "provinces"}[dimension], code, ctx.lang)


# ------------------------------------------------------------------ tabs (only the open one is drawn)
def show_distribution() -> None:
    bins, tail = clv.clv_distribution(table["clv"])
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("clv.dist.clv", months=horizon))
        ranges = [f"{format_money(lo, ctx.lang, compact=True)} – {format_money(hi, ctx.lang, compact=True)}"
                  for lo, hi in zip(bins["low"], bins["high"])]
        fig = go.Figure(go.Bar(x=(bins["low"] + bins["high"]) / 2, y=bins["customers"],
                               width=(bins["high"] - bins["low"]).to_numpy() * 0.95, name=ctx.t("clv.dist.y")))
        fig = ui.money_axis(ui.style_figure(fig), ctx.lang, axis="x", hover=False)
        fig.update_traces(customdata=ranges, hovertemplate="%{customdata}: %{y:,}<extra></extra>")
        fig.update_layout(hovermode="closest", showlegend=False)
        fig.update_xaxes(title=ctx.t("clv.dist.x", months=horizon))
        fig.update_yaxes(title=ctx.t("clv.dist.y"), tickformat=",d")
        ui.chart(fig, key="clv.chart.distribution")
        if tail:
            st.caption(ctx.t("clv.dist.tail", count=format_number(tail, ctx.lang),
                             top=format_money(float(bins["high"].iloc[-1]), ctx.lang, compact=True)))
    with right:
        st.subheader(ctx.t("clv.dist.alive"))
        alive = clv.p_alive_distribution(table["p_alive"])
        fig = go.Figure(go.Bar(x=(alive["low"] + alive["high"]) / 2, y=alive["customers"],
                               width=(alive["high"] - alive["low"]).to_numpy() * 0.95,
                               customdata=[f"{lo:.0%} – {hi:.0%}" for lo, hi in zip(alive["low"], alive["high"])],
                               hovertemplate="%{customdata}: %{y:,}<extra></extra>", marker_color=ui.PALETTE[2]))
        fig = ui.style_figure(fig)
        fig.update_layout(hovermode="closest", showlegend=False)
        fig.update_xaxes(title=ctx.t("clv.dist.alive.x"), tickformat=".0%", range=[0, 1])
        fig.update_yaxes(title=ctx.t("clv.dist.y"), tickformat=",d")
        ui.chart(fig, key="clv.chart.alive")
    st.caption(ctx.t("clv.dist.alive.note"))


def show_top() -> None:
    rows = st.selectbox(ctx.t("clv.top.rows"), [100, 500, 1000, 5000], key=state.CLV_TOP_ROWS,
                        format_func=lambda n: format_number(n, ctx.lang))
    top = report.top.head(rows)
    shown = top[TOP_COLUMNS].assign(
        segment=top["segment"].map(lambda c: group_label("segment", c)),
        tier=top["tier"].map(lambda c: group_label("tier", c)),
        province=top["province"].map(lambda c: group_label("province", c)),
        channel=top["channel"].map(lambda c: group_label("channel", c)),
    )
    shown = shown.rename(columns={c: heading(c) for c in TOP_COLUMNS})
    kinds = {heading("monetary"): "money", heading("expected_spend"): "money", heading("clv"): "money",
             heading("p_alive"): "percent", heading("expected_30"): "decimal", heading("expected_90"): "decimal",
             heading("expected_purchases"): "decimal", heading("frequency"): "count"}
    st.caption(ctx.t("clv.top.caption", shown=format_number(len(top), ctx.lang),
                     total=format_number(len(table), ctx.lang)))
    ui.dataframe(shown, kinds=kinds, key="clv.top.table")
    ui.download_buttons(ctx, shown, "clv_top_customers", key="clv.top.download", kinds=kinds,
                        title=ctx.t("clv.tab.top"))


def show_groups() -> None:
    dimension = st.radio(ctx.t("clv.group.dimension"), clv.GROUP_DIMENSIONS, horizontal=True, key=state.CLV_GROUP,
                         format_func=lambda d: ctx.t(f"clv.group.{d}"))
    groups = report.groups[dimension]
    labels = groups["value"].map(lambda c: group_label(dimension, c))
    palette = {"segment": "segments", "tier": "tiers", "channel": "channels", "province": "provinces"}[dimension]
    colours = {label: ui.colour(palette, code) if code != clv.NO_GROUP else ui.UNKNOWN_COLOUR
               for label, code in zip(labels, groups["value"])}
    chart_rows = groups.assign(label=labels).head(15)
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("clv.group.chart.total", months=horizon))
        fig = go.Figure(go.Bar(x=chart_rows["clv"][::-1], y=chart_rows["label"][::-1], orientation="h",
                               marker_color=[colours[v] for v in chart_rows["label"][::-1]]))
        fig = ui.money_axis(ui.style_figure(fig, height=420), ctx.lang, axis="x")
        fig.update_layout(showlegend=False, hovermode="closest")
        ui.chart(fig, key="clv.chart.groups.total")
    with right:
        st.subheader(ctx.t("clv.group.chart.alive"))
        fig = go.Figure(go.Bar(x=chart_rows["p_alive"][::-1], y=chart_rows["label"][::-1], orientation="h",
                               marker_color=[colours[v] for v in chart_rows["label"][::-1]],
                               hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
        fig = ui.style_figure(fig, height=420)
        fig.update_xaxes(tickformat=".0%", range=[0, 1])
        fig.update_layout(showlegend=False, hovermode="closest")
        ui.chart(fig, key="clv.chart.groups.alive")
    if dimension == "segment":
        st.caption(ctx.t("clv.group.segment.note"))
    columns = {"value": ctx.t(f"clv.group.{dimension}"), "customers": ctx.t("clv.col.customers"),
               "clv": heading("clv_total"), "clv_share": ctx.t("clv.col.clv_share"),
               "clv_mean": ctx.t("clv.col.clv_mean"), "p_alive": ctx.t("clv.col.p_alive_mean"),
               "expected_30": heading("expected_30_total"), "expected_90": heading("expected_90_total")}
    shown = groups.assign(value=labels)[list(columns)].rename(columns=columns)
    kinds = {columns["clv"]: "money", columns["clv_mean"]: "money", columns["clv_share"]: "share",
             columns["p_alive"]: "percent", columns["expected_30"]: "decimal", columns["expected_90"]: "decimal"}
    ui.dataframe(shown, kinds=kinds, key="clv.groups.table")
    ui.download_buttons(ctx, shown, f"clv_by_{dimension}", key="clv.groups.download", kinds=kinds,
                        title=ctx.t(f"clv.group.{dimension}"))


def show_backtest() -> None:
    months = st.selectbox(ctx.t("clv.backtest.holdout"), [3, 6, 9, 12], index=1, key=state.CLV_HOLDOUT,
                          format_func=lambda m: ctx.t("clv.backtest.holdout.months", months=m),
                          help=ctx.t("clv.backtest.holdout.help"))
    try:
        with st.spinner(ctx.t("clv.backtest.running")):
            result = shared(backtest.backtest, holdout_months=int(months), unit=unit, filters=f)
    except CRMInputError as exc:
        st.warning(guard.error_text(exc, ctx.lang), icon=":material/info:")
        return
    errors = result.errors
    st.caption(ctx.t("clv.backtest.caption", calibration_end=format_date(result.calibration_end, ctx.lang),
                     end=format_date(result.observation_end, ctx.lang),
                     customers=format_number(errors["customers"], ctx.lang)))
    rule = ctx.t("clv.backtest.rule", total=format_percent(clv.POOR_TOTAL_ERROR, decimals=0),
                 groups=format_percent(clv.POOR_GROUP_ERROR, decimals=0))
    figures = {"total": format_percent(errors["total_error"], signed=True),
               "groups": format_percent(errors["group_error"])}
    if result.poor_fit:
        reasons = "；".join(ctx.t(f"clv.backtest.poor.{r}", error=figures[r]) for r in result.poor_reasons) \
            if ctx.lang == "zh" else "; ".join(ctx.t(f"clv.backtest.poor.{r}", error=figures[r])
                                               for r in result.poor_reasons)
        st.error(ctx.t("clv.backtest.poor", reasons=reasons, rule=rule), icon=":material/warning:")
    else:
        st.success(ctx.t("clv.backtest.good", rule=rule, **figures), icon=":material/check_circle:")
    m = st.container(horizontal=True)
    m.metric(ctx.t("clv.backtest.metric.actual"), format_number(errors["total_actual"], ctx.lang), border=True,
             width=ui.KPI_CARD_WIDTH)
    m.metric(ctx.t("clv.backtest.metric.predicted"), format_number(errors["total_predicted"], ctx.lang),
             delta=figures["total"], delta_color="off", border=True, width=ui.KPI_CARD_WIDTH)
    m.metric(ctx.t("clv.backtest.metric.group_error"), figures["groups"], border=True, width=ui.KPI_CARD_WIDTH,
             help=ctx.t("clv.backtest.metric.group_error.help"))
    m.metric(ctx.t("clv.backtest.metric.mae"), f"{errors['mae']:.2f}", border=True, width=ui.KPI_CARD_WIDTH,
             help=ctx.t("clv.backtest.metric.mae.help", naive=f"{errors['naive_mae']:.2f}",
                        rmse=f"{errors['rmse']:.2f}", naive_rmse=f"{errors['naive_rmse']:.2f}"))
    m.metric(ctx.t("clv.backtest.metric.naive_mae"), f"{errors['naive_mae']:.2f}", border=True,
             width=ui.KPI_CARD_WIDTH, help=ctx.t("clv.backtest.metric.naive_mae.help"))

    left, right = st.columns(2)
    freq = result.by_frequency
    x_labels = [str(v) if v < clv.FREQUENCY_GROUPS else f"{v}+" for v in freq["frequency"]]
    with left:
        st.subheader(ctx.t("clv.backtest.freq.title"))
        fig = go.Figure()
        fig.add_bar(x=x_labels, y=freq["actual"], name=ctx.t("clv.backtest.actual"), marker_color=ui.PALETTE[7])
        fig.add_scatter(x=x_labels, y=freq["predicted"], name=ctx.t("clv.backtest.predicted"), mode="lines+markers",
                        line=dict(color=ui.PALETTE[0]))
        fig = ui.style_figure(fig)
        fig.update_traces(hovertemplate="%{y:.2f}")
        fig.update_xaxes(title=ctx.t("clv.backtest.freq.x", unit=unit_word), type="category")
        fig.update_yaxes(title=ctx.t("clv.backtest.freq.y"))
        ui.chart(fig, key="clv.chart.backtest.frequency")
    with right:
        st.subheader(ctx.t("clv.backtest.tracking.title"))
        track = result.tracking
        fig = go.Figure()
        fig.add_scatter(x=track["day"], y=track["actual"], name=ctx.t("clv.backtest.actual"), mode="lines",
                        line=dict(color=ui.PALETTE[7]))
        fig.add_scatter(x=track["day"], y=track["expected"], name=ctx.t("clv.backtest.predicted"), mode="lines",
                        line=dict(color=ui.PALETTE[0], dash="dash"))
        split = pd.Timestamp(result.calibration_end)
        fig.add_shape(type="line", x0=split, x1=split, y0=0, y1=1, yref="paper",
                      line=dict(color="#94a3b8", dash="dot"))
        fig.add_annotation(x=split, y=1, yref="paper", text=ctx.t("clv.backtest.calibration_end"), showarrow=False,
                           xanchor="right", yanchor="top", font=dict(size=11, color="#64748b"))
        fig = ui.style_figure(fig)
        fig.update_traces(hovertemplate="%{y:,.0f}")
        fig.update_xaxes(hoverformat="%Y-%m-%d")
        fig.update_yaxes(title=ctx.t("clv.backtest.tracking.y"), tickformat=",d")
        ui.chart(fig, key="clv.chart.backtest.tracking")
    shown = freq.assign(frequency=x_labels).rename(columns={
        "frequency": ctx.t("clv.backtest.col.frequency"), "customers": ctx.t("clv.col.customers"),
        "actual": ctx.t("clv.backtest.col.actual"), "predicted": ctx.t("clv.backtest.col.predicted")})
    kinds = {ctx.t("clv.backtest.col.actual"): "decimal", ctx.t("clv.backtest.col.predicted"): "decimal"}
    ui.dataframe(shown, kinds=kinds, key="clv.backtest.table",
                 column_config={ctx.t("clv.backtest.col.frequency"): st.column_config.TextColumn()})
    ui.download_buttons(ctx, shown, "clv_backtest", key="clv.backtest.download", kinds=kinds,
                        title=ctx.t("clv.tab.backtest"))


TABS = {"distribution": show_distribution, "top": show_top, "groups": show_groups, "backtest": show_backtest}
tabs = st.tabs([ctx.t(f"clv.tab.{name}") for name in TABS], key=state.CLV_TAB, on_change="rerun")
for tab, show in zip(tabs, TABS.values()):
    if tab.open:
        with tab:
            show()
