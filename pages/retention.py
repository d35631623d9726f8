"""Retention: cohort heatmap and curves, repeat buying, lifecycle stages with flows, churn and win-back rates."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm.formatting import format_date, format_money, format_number, format_percent, money_ticks
from crm.retention import cohorts, lifecycle, repeat
from ui import components as ui
from ui import state
from ui.cache import cached
from ui.labels import value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "retention.title", ctx.t("retention.caption", start=format_date(f.start, ctx.lang),
                                             end=format_date(f.end, ctx.lang), as_of=format_date(f.as_of, ctx.lang)))

SPLIT_DIMENSIONS = {"acquisition_channel": "channels", "province": "provinces", "first_category": "categories"}


def segment_label(split: str | None, value: object) -> str:
    if split == "first_order_band":
        return ctx.t(f"retention.band.{value}")
    return value_label(SPLIT_DIMENSIONS.get(split, ""), value, ctx.lang)


def period_label(day, by: str) -> str:
    if by == "month":
        return day.strftime("%Y-%m")
    if by == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def stage_name(code: str) -> str:
    return ctx.t(f"retention.stage.{code}")


# ------------------------------------------------------------------ cohorts
def show_cohorts() -> None:
    c1, c2, c3, c4 = st.columns([1.2, 1.4, 1.4, 1.6])
    by = c1.radio(ctx.t("retention.by"), cohorts.GRANULARITIES, horizontal=True, key=state.RET_BY,
                  format_func=lambda b: ctx.t(f"retention.by.{b}"))
    definition = c2.radio(ctx.t("retention.definition"), ["exact", "unbounded"], horizontal=True,
                          key=state.RET_DEFINITION, format_func=lambda d: ctx.t(f"retention.definition.{d}"),
                          help=ctx.t("retention.definition.help"))
    values = c3.radio(ctx.t("retention.values"), ["share", "customers", "revenue"], horizontal=True,
                      key=state.RET_VALUES, format_func=lambda v: ctx.t(f"retention.values.{v}"))
    split = c4.selectbox(ctx.t("retention.split"), [None, *cohorts.SPLITS], key=state.RET_SPLIT,
                         format_func=lambda s: ctx.t(f"retention.split.{s or 'none'}"))
    table = cached(cohorts.cohort_table, f, by=by, split=split)
    if table.empty:
        ui.empty_state(ctx)
        return
    segment = None
    if split:
        sizes = table[table["period"] == 0].groupby("segment")["cohort_size"].sum().sort_values(ascending=False)
        segment = st.selectbox(ctx.t("retention.segment", split=ctx.t(f"retention.split.{split}")),
                               sizes.index.tolist(), key=f"{state.RET_SEGMENT}.{split}",
                               format_func=lambda v: f"{segment_label(split, v)} · "
                                                     f"{ctx.t('retention.customers_n', n=format_number(sizes[v], ctx.lang))}")
        shown = table[table["segment"] == segment].drop(columns=["segment"])
    else:
        shown = table
    heatmap(shown, by, definition, values)
    curves(shown, table, by, definition, split)
    cohort_downloads(table, by, split)


def _cell_column(definition: str, values: str) -> str:
    if values == "revenue":
        return "cumulative_revenue_per_customer"
    if values == "customers":
        return "customers" if definition == "exact" else "unbounded_customers"
    return "retention" if definition == "exact" else "unbounded_retention"


def heatmap(table: pd.DataFrame, by: str, definition: str, values: str) -> None:
    st.subheader(ctx.t(f"retention.heatmap.{values}"))
    column = _cell_column(definition, values)
    grid = table.pivot(index="cohort", columns="period", values=column)
    done = table.pivot(index="cohort", columns="period", values="complete")
    sizes = table.groupby("cohort")["cohort_size"].first()
    clipped = table.groupby("cohort")["cohort_clipped"].first()
    rows = [ctx.t("retention.heatmap.row", cohort=period_label(c, by) + ("*" if clipped[c] else ""),
                  size=format_number(sizes[c], ctx.lang)) for c in grid.index]
    z = grid.to_numpy(dtype="float64")
    incomplete = ~done.fillna(True).to_numpy(dtype=bool)
    if values == "share":
        texts = [[("" if pd.isna(v) else format_percent(v, decimals=0 if v >= 0.995 or v == 0 else 1))
                  + ("′" if inc and not pd.isna(v) else "") for v, inc in zip(r, i)] for r, i in zip(z, incomplete)]
        later = grid.drop(columns=[0], errors="ignore").to_numpy(dtype="float64")
        top = float(pd.Series(later.ravel()).max()) if later.size and not pd.isna(pd.Series(later.ravel()).max()) else 1.0
        colourbar = dict(tickformat=".0%")
        zmax = max(top, 0.01)
    elif values == "customers":
        texts = [[("" if pd.isna(v) else format_number(v, ctx.lang, compact=v >= 100_000))
                  + ("′" if inc and not pd.isna(v) else "") for v, inc in zip(r, i)] for r, i in zip(z, incomplete)]
        later = grid.drop(columns=[0], errors="ignore").to_numpy(dtype="float64")
        top = pd.Series(later.ravel()).max() if later.size else None
        zmax = float(top) if top is not None and not pd.isna(top) and top > 0 else float(pd.Series(z.ravel()).max())
        colourbar = dict(tickformat=",d")
    else:
        texts = [[("" if pd.isna(v) else format_money(v, ctx.lang, compact=True, decimals=0))
                  + ("′" if inc and not pd.isna(v) else "") for v, inc in zip(r, i)] for r, i in zip(z, incomplete)]
        zmax = float(pd.Series(z.ravel()).max())
        ticks, labels = money_ticks(0, zmax, ctx.lang, target=4)
        colourbar = dict(tickvals=ticks, ticktext=labels)
    periods = [str(p) for p in grid.columns]
    fig = go.Figure(go.Heatmap(
        # many weekly periods leave no room for a number in each cell: then they show on hover only
        z=z, x=periods, y=rows, text=texts, texttemplate="%{text}" if len(periods) <= 20 else "",
        colorscale="Blues", zmin=0, zmax=zmax,
        colorbar=colourbar, hoverongaps=False, xgap=1, ygap=1,
        hovertemplate=ctx.t("retention.heatmap.hover") + "<extra></extra>",
    ))
    fig.update_xaxes(title=ctx.t(f"retention.period.{by}"), side="top", type="category")
    fig.update_yaxes(autorange="reversed", type="category")
    height = max(320, min(1400, 26 * len(rows) + 120))
    fig = ui.style_figure(fig, height=height)
    fig.update_layout(hovermode="closest", margin=dict(l=10, r=10, t=60, b=10))
    ui.chart(fig, key="ret.chart.heatmap")
    notes = [ctx.t("retention.heatmap.note.incomplete")]
    if clipped.any():
        notes.append(ctx.t("retention.heatmap.note.clipped", start=format_date(f.start, ctx.lang),
                           end=format_date(f.end, ctx.lang)))
    if values == "share":
        notes.append(ctx.t("retention.heatmap.note.scale"))
    if len(periods) > 20:
        notes.append(ctx.t("retention.heatmap.note.hover"))
    st.caption(" ".join(notes))


def curves(shown: pd.DataFrame, table: pd.DataFrame, by: str, definition: str, split: str | None) -> None:
    column = "retention" if definition == "exact" else "unbounded_retention"
    st.subheader(ctx.t("retention.curves"))
    average = cohorts.average_curve(shown)
    options = sorted(shown["cohort"].unique())
    has_complete = shown[(shown["period"] >= 1) & shown["complete"]]["cohort"].unique()
    default = [c for c in options if c in set(has_complete)][-3:]
    picked = st.multiselect(ctx.t("retention.curves.pick"), options, default=default,
                            # keyed on the cohorts offered: other filters bring their own default choice
                            key=f"{state.RET_CURVE_COHORTS}.{by}.{options[0]}.{options[-1]}",
                            format_func=lambda c: period_label(c, by),
                            placeholder=ctx.t("display.choose"))
    fig = go.Figure()
    for i, cohort in enumerate(picked):
        rows = shown[(shown["cohort"] == cohort) & (shown["period"] >= 1)]
        colour = ui.PALETTE[(i + 1) % len(ui.PALETTE)]
        done = rows[rows["complete"]]
        fig.add_scatter(x=done["period"], y=done[column], mode="lines+markers", name=period_label(cohort, by),
                        legendgroup=str(cohort), line=dict(width=1.5, color=colour))
        tail = rows[~rows["complete"]]
        if len(tail):  # a period not over yet: dashed, open marker
            joined = pd.concat([done.tail(1), tail])
            fig.add_scatter(x=joined["period"], y=joined[column], mode="lines+markers", name=period_label(cohort, by),
                            legendgroup=str(cohort), showlegend=done.empty,
                            line=dict(width=1.5, color=colour, dash="dash"),
                            marker=dict(color="white", line=dict(color=colour, width=2), size=8))
    later = average[average["period"] >= 1]
    fig.add_scatter(x=later["period"], y=later[column], mode="lines+markers", name=ctx.t("retention.curves.average"),
                    line=dict(width=4, color="#0f172a"))
    if split:  # every value of the split: one average curve each (the eight largest)
        sizes = table[table["period"] == 0].groupby("segment")["cohort_size"].sum().sort_values(ascending=False)
        dimension = SPLIT_DIMENSIONS.get(split, "first_order_bands")
        for value in sizes.index[:8]:
            seg_curve = cohorts.average_curve(table[table["segment"] == value])
            seg_curve = seg_curve[seg_curve["period"] >= 1]
            fig.add_scatter(x=seg_curve["period"], y=seg_curve[column], mode="lines", name=segment_label(split, value),
                            line=dict(width=1.5, dash="dot", color=ui.colour(dimension, value)), visible="legendonly")
    fig.update_xaxes(title=ctx.t(f"retention.period.{by}"), dtick=1 if len(later) <= 24 else None)
    fig.update_yaxes(tickformat=".0%", hoverformat=".1%", rangemode="tozero",
                     title=ctx.t(f"retention.definition.{definition}"))
    ui.chart(ui.style_figure(fig, height=380), key="ret.chart.curves")
    st.caption(ctx.t("retention.curves.note") + (" " + ctx.t("retention.curves.note.split") if split else ""))


def cohort_downloads(table: pd.DataFrame, by: str, split: str | None) -> None:
    with st.expander(ctx.t("retention.table"), icon=":material/table_view:"):
        names = {
            "segment": ctx.t(f"retention.split.{split}") if split else None,
            "cohort": ctx.t("retention.col.cohort"), "cohort_size": ctx.t("retention.col.cohort_size"),
            "period": ctx.t(f"retention.period.{by}"), "customers": ctx.t("retention.col.customers"),
            "retention": ctx.t("retention.definition.exact"),
            "unbounded_customers": ctx.t("retention.col.unbounded_customers"),
            "unbounded_retention": ctx.t("retention.definition.unbounded"),
            "revenue": ctx.t("retention.col.revenue"),
            "revenue_per_customer": ctx.t("retention.col.revenue_per_customer"),
            "cumulative_revenue_per_customer": ctx.t("retention.col.cumulative_revenue_per_customer"),
            "complete": ctx.t("retention.col.complete"),
        }
        out = table.drop(columns=["period_start", "cohort_clipped"])
        if split:
            out = out.assign(segment=[segment_label(split, v) for v in out["segment"]])
        out = out.assign(complete=out["complete"].map({True: ctx.t("retention.yes"), False: ctx.t("retention.no")}))
        out = out.rename(columns={k: v for k, v in names.items() if v})
        kinds = {names["retention"]: "percent", names["unbounded_retention"]: "percent", names["revenue"]: "money",
                 names["revenue_per_customer"]: "money", names["cumulative_revenue_per_customer"]: "money",
                 names["cohort"]: "date"}
        if len(out) > ui.MAX_ROWS_SHOWN:
            st.caption(ctx.t("common.rows_shown", shown=f"{ui.MAX_ROWS_SHOWN:,}", total=f"{len(out):,}"))
        ui.dataframe(out.head(ui.MAX_ROWS_SHOWN), kinds=kinds, key="ret.table.cohorts")
        ui.download_buttons(ctx, out, f"retention_cohorts_{by}", key="ret.download.cohorts", kinds=kinds,
                            title=ctx.t("retention.table"))


# ------------------------------------------------------------------ repeat buying
def show_repeat() -> None:
    summary = cached(repeat.repeat_summary, f)
    if summary.buyers == 0:
        ui.empty_state(ctx)
        return
    cards = st.container(horizontal=True)
    cards.metric(ctx.t("retention.repeat.rate"), format_percent(summary.repeat_rate), border=True,
                 width=ui.KPI_CARD_WIDTH, help=ctx.t("retention.repeat.rate.help",
                                                     repeaters=format_number(summary.repeaters, ctx.lang),
                                                     buyers=format_number(summary.buyers, ctx.lang)))
    for window in repeat.WINDOWS:
        cards.metric(ctx.t("retention.repeat.conversion", days=window), format_percent(summary.conversion(window)),
                     border=True, width=ui.KPI_CARD_WIDTH,
                     help=ctx.t("retention.repeat.conversion.help", days=window,
                                converted=format_number(summary.converted[window], ctx.lang),
                                eligible=format_number(summary.eligible[window], ctx.lang)))
    gaps = cached(repeat.gap_distribution, f)
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("retention.repeat.gaps"))
        if gaps.empty:
            ui.empty_state(ctx, "retention.repeat.no_gaps")
        else:
            median = repeat.gap_quantile(gaps, 0.5)
            binned = gaps.assign(bin=(gaps["gap_days"].clip(upper=364) // 7) * 7).groupby("bin")["gaps"].sum()
            fig = go.Figure(go.Bar(x=binned.index + 3.5, y=binned.to_numpy(), width=6.5, marker_color=ui.PALETTE[0],
                                   name=ctx.t("retention.repeat.gaps.count"),
                                   hovertemplate=ctx.t("retention.repeat.gaps.hover") + "<extra></extra>",
                                   customdata=[[int(b), int(b) + 6] for b in binned.index]))
            fig.add_vline(x=median, line_dash="dash", line_color="#dc2626",
                          annotation_text=ctx.t("retention.repeat.median", days=median),
                          annotation_position="top right")
            fig.update_xaxes(title=ctx.t("retention.repeat.gaps.axis"), rangemode="tozero")
            fig.update_yaxes(tickformat=",d", title=ctx.t("retention.repeat.gaps.count"))
            fig.update_layout(hovermode="closest", showlegend=False)
            ui.chart(ui.style_figure(fig, height=360), key="ret.chart.gaps")
            st.caption(ctx.t("retention.repeat.gaps.note", median=median,
                             gaps=format_number(int(gaps["gaps"].sum()), ctx.lang)))
    with right:
        st.subheader(ctx.t("retention.repeat.orders"))
        per = cached(repeat.orders_per_customer, f)
        labels = [ctx.t("retention.repeat.orders.cap", n=o) if o == repeat.ORDERS_CAP else str(o) for o in per["orders"]]
        fig = go.Figure(go.Bar(x=labels, y=per["customers"], marker_color=ui.PALETTE[2],
                               text=[format_percent(s) for s in per["share"]], textposition="outside",
                               cliponaxis=False,
                               hovertemplate="%{x}: %{y:,} (%{text})<extra></extra>"))
        fig.update_xaxes(type="category", title=ctx.t("retention.repeat.orders.axis"))
        fig.update_yaxes(tickformat=",d", title=ctx.t("retention.col.customers"))
        fig.update_layout(hovermode="closest", showlegend=False)
        ui.chart(ui.style_figure(fig, height=360), key="ret.chart.orders")
    with st.expander(ctx.t("retention.repeat.tables"), icon=":material/table_view:"):
        conv = pd.DataFrame({
            ctx.t("retention.repeat.col.window"): [ctx.t("retention.repeat.window", days=w) for w in repeat.WINDOWS],
            ctx.t("retention.repeat.col.eligible"): [summary.eligible[w] for w in repeat.WINDOWS],
            ctx.t("retention.repeat.col.converted"): [summary.converted[w] for w in repeat.WINDOWS],
            ctx.t("retention.repeat.col.rate"): [summary.conversion(w) for w in repeat.WINDOWS],
        })
        conv_kinds = {ctx.t("retention.repeat.col.rate"): "percent"}
        ui.dataframe(conv, kinds=conv_kinds, key="ret.table.conversion")
        ui.download_buttons(ctx, conv, "retention_second_purchase", key="ret.download.conversion", kinds=conv_kinds,
                            title=ctx.t("retention.repeat.col.window"))
        orders = per.assign(orders=labels).rename(columns={
            "orders": ctx.t("retention.repeat.orders.axis"), "customers": ctx.t("retention.col.customers"),
            "share": ctx.t("retention.col.share")})
        orders_kinds = {ctx.t("retention.col.share"): "percent"}
        ui.dataframe(orders, kinds=orders_kinds, key="ret.table.orders")
        ui.download_buttons(ctx, orders, "retention_orders_per_customer", key="ret.download.orders",
                            kinds=orders_kinds, title=ctx.t("retention.repeat.orders"))
        if not gaps.empty:
            gap_table = gaps.rename(columns={"gap_days": ctx.t("retention.repeat.gaps.axis"),
                                             "gaps": ctx.t("retention.repeat.gaps.count")})
            ui.download_buttons(ctx, gap_table, "retention_days_between_orders", key="ret.download.gaps",
                                title=ctx.t("retention.repeat.gaps"))


# ------------------------------------------------------------------ lifecycle
def show_lifecycle() -> None:
    # from the same cached gap distribution as the repeat-buying tab: computed once for both
    derived = lifecycle.threshold_from_gaps(cached(repeat.gap_distribution, f))
    c1, c2 = st.columns([1, 3])
    # keyed on the derived value: new filters bring the new data-driven default
    days = c1.number_input(ctx.t("retention.threshold"), min_value=lifecycle.MIN_THRESHOLD,
                           max_value=lifecycle.MAX_THRESHOLD, value=derived.days, step=1,
                           key=f"{state.RET_THRESHOLD}.{derived.days}", help=ctx.t("retention.threshold.help"))
    if derived.derived:
        c2.info(ctx.t("retention.threshold.derived", days=derived.days, pct=round(derived.percentile * 100),
                      gaps=format_number(derived.gaps, ctx.lang), median=derived.median_gap),
                icon=":material/functions:")
    else:
        c2.info(ctx.t("retention.threshold.fallback", days=derived.days), icon=":material/functions:")
    if int(days) != derived.days:
        c2.caption(ctx.t("retention.threshold.edited", days=int(days), derived=derived.days))
    result = cached(lifecycle.lifecycle, f, int(days))
    counts = result.counts
    if counts["customers"].sum() == 0:
        ui.empty_state(ctx)
        return
    st.caption(ctx.t("retention.stage.definitions", days=int(days)))
    names = [stage_name(s) for s in lifecycle.STAGES]
    colours = {stage_name(s): ui.colour("stages", s) for s in lifecycle.STAGES}

    partial = [False] * (len(result.months) - 1) + [result.partial_last]  # the last month may not be over
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("retention.stage.counts"))
        fig = go.Figure()
        for code in lifecycle.STAGES:
            rows = counts[counts["stage"] == code]
            fig.add_bar(x=rows["month"], y=rows["customers"], name=stage_name(code),
                        marker_color=colours[stage_name(code)])
        fig.update_layout(barmode="stack")
        fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
        fig.update_yaxes(tickformat=",d")
        ui.chart(ui.mark_partial(ui.style_figure(fig, height=380), partial), key="ret.chart.stages")
    with right:
        st.subheader(ctx.t("retention.rates"))
        rates = result.rates
        fig = go.Figure()
        fig.add_scatter(x=rates["month"], y=rates["churn_rate"], name=ctx.t("retention.rates.churn"),
                        mode="lines+markers", line=dict(color=ui.colour("stages", "churned")))
        fig.add_scatter(x=rates["month"], y=rates["winback_rate"], name=ctx.t("retention.rates.winback"),
                        mode="lines+markers", line=dict(color=ui.colour("stages", "returning")))
        fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
        fig.update_yaxes(tickformat=".0%", hoverformat=".1%", rangemode="tozero")
        ui.chart(ui.mark_partial(ui.style_figure(fig, height=380), partial), key="ret.chart.rates")
    notes = [ctx.t("retention.rates.note")]
    if result.partial_last:
        notes.append(ctx.t("retention.stage.partial", month=result.months[-1].strftime("%Y-%m"),
                           end=format_date(f.end, ctx.lang)))
    st.caption(" ".join(notes))

    st.subheader(ctx.t("retention.sankey"))
    months = result.months
    month = st.selectbox(ctx.t("retention.sankey.month"), months[::-1], key=state.RET_SANKEY_MONTH,
                         format_func=lambda m: m.strftime("%Y-%m"))
    flows = result.flows[result.flows["month"] == month]
    sankey(flows, month, colours)

    with st.expander(ctx.t("retention.stage.tables"), icon=":material/table_view:"):
        wide = counts.pivot(index="month", columns="stage", values="customers").reindex(columns=list(lifecycle.STAGES))
        wide = wide.rename(columns=dict(zip(lifecycle.STAGES, names))).rename_axis(columns=None).reset_index()
        wide = wide.rename(columns={"month": ctx.t("retention.col.month")})
        month_kind = {ctx.t("retention.col.month"): "month"}
        ui.dataframe(wide, kinds=month_kind, key="ret.table.stages")
        ui.download_buttons(ctx, wide, "retention_stages", key="ret.download.stages", kinds=month_kind,
                            title=ctx.t("retention.stage.counts"))
        rate_names = {"month": ctx.t("retention.col.month"), "base": ctx.t("retention.col.base"),
                      "churned": ctx.t("retention.col.churned"), "churn_rate": ctx.t("retention.rates.churn"),
                      "churned_base": ctx.t("retention.col.churned_base"), "won_back": ctx.t("retention.col.won_back"),
                      "winback_rate": ctx.t("retention.rates.winback")}
        rate_table = result.rates.rename(columns=rate_names)
        rate_kinds = {**month_kind, rate_names["churn_rate"]: "percent", rate_names["winback_rate"]: "percent"}
        ui.dataframe(rate_table, kinds=rate_kinds, key="ret.table.rates")
        ui.download_buttons(ctx, rate_table, "retention_churn_winback", key="ret.download.rates", kinds=rate_kinds,
                            title=ctx.t("retention.rates"))
        flow_table = result.flows.assign(
            from_stage=[stage_name(s) for s in result.flows["from_stage"]],
            to_stage=[stage_name(s) for s in result.flows["to_stage"]],
        ).rename(columns={"month": ctx.t("retention.col.month"), "from_stage": ctx.t("retention.col.from_stage"),
                          "to_stage": ctx.t("retention.col.to_stage"), "customers": ctx.t("retention.col.customers")})
        ui.download_buttons(ctx, flow_table, "retention_stage_flows", key="ret.download.flows", kinds=month_kind,
                            title=ctx.t("retention.sankey"))


def sankey(flows: pd.DataFrame, month, colours: dict[str, str]) -> None:
    if flows.empty:
        ui.empty_state(ctx)
        return
    previous = (pd.Timestamp(month) - pd.offsets.MonthBegin(1)).strftime("%Y-%m")
    sources = [s for s in ("none", *lifecycle.STAGES) if s in set(flows["from_stage"])]
    targets = [s for s in lifecycle.STAGES if s in set(flows["to_stage"])]
    left = [f"{stage_name(s)} · {previous}" for s in sources]
    right = [f"{stage_name(s)} · {month.strftime('%Y-%m')}" for s in targets]
    index_left = {s: i for i, s in enumerate(sources)}
    index_right = {s: len(sources) + i for i, s in enumerate(targets)}
    node_colours = [colours.get(stage_name(s), ui.UNKNOWN_COLOUR) for s in sources] + \
                   [colours[stage_name(s)] for s in targets]
    link_colours = [_fade(colours.get(stage_name(s), ui.UNKNOWN_COLOUR)) for s in flows["to_stage"]]
    fig = go.Figure(go.Sankey(
        node=dict(label=left + right, color=node_colours, pad=18, thickness=16,
                  hovertemplate="%{label}: %{value:,}<extra></extra>"),
        textfont=dict(color="#0f172a", size=13),
        link=dict(source=[index_left[s] for s in flows["from_stage"]],
                  target=[index_right[s] for s in flows["to_stage"]],
                  value=flows["customers"].tolist(), color=link_colours,
                  hovertemplate="%{source.label} → %{target.label}: %{value:,}<extra></extra>"),
    ))
    fig = ui.style_figure(fig, height=440)
    fig.update_layout(margin=dict(l=10, r=10, t=20, b=10))
    ui.chart(fig, key="ret.chart.sankey")
    st.caption(ctx.t("retention.sankey.note", previous=previous, month=month.strftime("%Y-%m")))


def _fade(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.35)"


# Only the open tab is computed and drawn.
TABS = {"cohorts": show_cohorts, "repeat": show_repeat, "lifecycle": show_lifecycle}
tabs = st.tabs([ctx.t(f"retention.tab.{name}") for name in TABS], key=state.RET_TAB, on_change="rerun")
for tab, show in zip(tabs, TABS.values()):
    if tab.open:
        with tab:
            show()
