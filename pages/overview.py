"""Overview: KPIs against the previous period, trends, category / channel / province mix."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from crm.periods import month_coverage
from crm.value import overview
from crm.formatting import format_date
from ui import components as ui
from ui.cache import cached
from ui.labels import label_series, value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "overview.title", ctx.t("overview.caption", start=format_date(f.start, ctx.lang), end=format_date(f.end, ctx.lang),
                 prev_start=format_date(f.previous().start, ctx.lang),
                 prev_end=format_date(f.previous().end, ctx.lang)))

kpis = cached(overview.compute_kpis, f)
ui.kpi_cards(ctx, kpis)
st.caption(ctx.t("overview.note.kpis", as_of=format_date(f.as_of, ctx.lang)))

trend = cached(overview.monthly_trend, f)
if trend.empty:
    ui.empty_state(ctx)
    st.stop()

st.caption(ctx.t("overview.note.charts"))
coverage = month_coverage(trend["month"], start=f.start, end=f.end,
                          data_first=ctx.first_date, data_last=ctx.reference)
left, right = st.columns(2)
with left:
    st.subheader(ctx.t("overview.trend.revenue"))
    fig = go.Figure()
    fig.add_bar(x=trend["month"], y=trend["revenue"], name=ctx.t("overview.col.revenue"))
    fig.add_scatter(x=trend["month"], y=trend["profit"], name=ctx.t("overview.col.profit"), mode="lines+markers")
    fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
    fig = ui.mark_partial(ui.money_axis(ui.style_figure(fig), ctx.lang), coverage["partial"])
    ui.chart(fig, key="overview.chart.revenue")
with right:
    st.subheader(ctx.t("overview.trend.customers"))
    fig = go.Figure()
    fig.add_bar(x=trend["month"], y=trend["new_customers"], name=ctx.t("overview.col.new_customers"))
    fig.add_bar(x=trend["month"], y=trend["returning_customers"], name=ctx.t("overview.col.returning_customers"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
    fig.update_yaxes(tickformat=",d")
    ui.chart(ui.mark_partial(ui.style_figure(fig), coverage["partial"]), key="overview.chart.customers")
ui.partial_note(ctx, coverage)

columns = {
    "value": None, "revenue": ctx.t("overview.col.revenue"), "profit": ctx.t("overview.col.profit"),
    "orders": ctx.t("overview.col.orders"), "customers": ctx.t("overview.col.customers"),
    "share": ctx.t("overview.col.share"),
}
kinds = {columns["revenue"]: "money", columns["profit"]: "money", columns["share"]: "share"}

# Only the open tab is computed and drawn: a filter change redraws one chart and one table, not three.
tabs = st.tabs([ctx.t("overview.tab.category"), ctx.t("overview.tab.channel"), ctx.t("overview.tab.province")],
               key="overview.tab", on_change="rerun")
for tab, dimension, plural in zip(tabs, ("category", "channel", "province"), ("categories", "channels", "provinces")):
    if not tab.open:
        continue
    with tab:
        table = cached(overview.breakdown, f, dimension)
        if table.empty:
            ui.empty_state(ctx)
            continue
        shown = table.assign(value=label_series(table["value"], plural, ctx.lang))
        label = ctx.t(f"overview.dim.{dimension}")
        shown = shown.rename(columns={**columns, "value": label})
        chart_rows = shown.head(10)
        colours = ui.colour_map(plural, table["value"].head(10), lambda v, d=plural: value_label(d, v, ctx.lang))
        if dimension == "category":
            fig = ui.money_pie(px.pie(chart_rows, names=label, values=columns["revenue"], hole=0.45, color=label,
                                      color_discrete_map=colours), ctx.lang)
        else:
            fig = px.bar(chart_rows.iloc[::-1], x=columns["revenue"], y=label, orientation="h", color=label,
                         color_discrete_map=colours)
            fig.update_layout(showlegend=False, hovermode="closest")
            fig = ui.money_axis(fig, ctx.lang, axis="x")
        chart_col, table_col = st.columns([2, 3])
        with chart_col:
            ui.chart(ui.style_figure(fig), key=f"overview.chart.{dimension}")
        with table_col:
            ui.dataframe(shown, kinds=kinds, key=f"overview.table.{dimension}")
            ui.download_buttons(ctx, shown, f"overview_{dimension}", key=f"overview.download.{dimension}",
                                kinds=kinds, title=ctx.t(f"overview.tab.{dimension}"))

with st.expander(ctx.t("overview.monthly_table")):
    monthly = trend.rename(columns={
        "month": ctx.t("overview.col.month"), "revenue": columns["revenue"], "profit": columns["profit"],
        "orders": columns["orders"], "customers": columns["customers"],
        "new_customers": ctx.t("overview.col.new_customers"),
        "returning_customers": ctx.t("overview.col.returning_customers"),
    })
    flags = coverage["partial"].map({True: ctx.t("display.partial.flag"), False: ""})
    monthly[ctx.t("display.partial.col")] = flags.to_numpy()
    monthly_kinds = {columns["revenue"]: "money", columns["profit"]: "money", ctx.t("overview.col.month"): "month"}
    ui.dataframe(monthly, kinds=monthly_kinds)
    ui.download_buttons(ctx, monthly, "overview_monthly", key="overview.download.monthly", kinds=monthly_kinds,
                        title=ctx.t("overview.monthly_table"))
