"""Satisfaction and loyalty (满意度): scores, NPS, CSI, expectation vs perception, reliability, drivers,
trend, breakdowns, comments, what satisfaction does to repurchase, and the call-back list."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crm.access import privacy
from crm.errors import CRMInputError
from crm.formatting import escape_markdown, format_number, format_percent
from crm.satisfaction import breakdowns, callback, comments, drivers, index, loyalty, reliability, scores, surveys, trend
from ui import access, guard, state
from ui import components as ui
from ui.cache import cached
from ui.labels import value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "satisfaction.title", ctx.t("satisfaction.caption"), needs_data=False)

listing = cached(surveys.list_surveys)
if listing.empty:
    st.info(ctx.t("satisfaction.empty"), icon=":material/sentiment_neutral:")
    st.page_link("pages/data.py", label=ctx.t("nav.data"), icon=":material/upload:")
    st.stop()

# ------------------------------------------------------------------ survey and wave
titles = list(dict.fromkeys(listing["title"].fillna("").tolist()))
left, right, _ = st.columns([2, 1, 1])
title = left.selectbox(ctx.t("satisfaction.survey"), titles, key=state.SAT_SURVEY,
                       format_func=lambda v: v or ctx.t("satisfaction.untitled"))
wave_table = cached(surveys.waves, title)
wave_ids = wave_table["survey_id"].tolist()
wave_names = dict(zip(wave_table["survey_id"], wave_table["wave"]))
ALL = "__all__"
options = wave_ids[::-1] + ([ALL] if len(wave_ids) > 1 else [])
if st.session_state.get(state.SAT_WAVE) not in options:
    st.session_state[state.SAT_WAVE] = options[0]
wave = right.selectbox(ctx.t("satisfaction.wave"), options, key=state.SAT_WAVE,
                       format_func=lambda v: ctx.t("satisfaction.wave.all") if v == ALL else wave_names[v])
ids = tuple(wave_ids) if wave == ALL else (wave,)
all_ids = tuple(wave_ids)
previous = None
if wave != ALL and wave_ids.index(wave) > 0:
    previous = (wave_ids[wave_ids.index(wave) - 1],)
st.caption(ctx.t("satisfaction.note.scope"))


def dim_label(code: object) -> str:
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return ui.MISSING
    return ctx.t(f"satisfaction.dimension.{code}")


def pct(value) -> str:
    return ui.MISSING if value is None or pd.isna(value) else format_percent(value)


def num(value, decimals: int = 2) -> str:
    return ui.MISSING if value is None or pd.isna(value) else format_number(value, ctx.lang, decimals=decimals)


# ------------------------------------------------------------------ headline
head = cached(scores.headline, ids, f)
prev = cached(scores.headline, previous, f) if previous else None
if not head["responses"]:
    ui.empty_state(ctx)
    st.stop()


def delta(key: str, kind: str) -> str | None:
    if prev is None or head.get(key) is None or prev.get(key) is None:
        return None
    change = head[key] - prev[key]
    if kind == "share":
        return ctx.t("satisfaction.delta.points", value=f"{change * 100:+.1f}")
    if kind == "nps":
        return f"{change:+.1f}"
    if kind == "count":
        return f"{change:+,.0f}"
    return f"{change:+.2f}"


compared = ctx.t("satisfaction.kpi.vs", wave=escape_markdown(wave_names[previous[0]])) if previous else ctx.t("satisfaction.kpi.no_previous")
cards = st.container(horizontal=True)
scale = "" if head["overall_max"] is None else f" / {head['overall_max']:g}"
for key, label, value, kind in (
    ("responses", "satisfaction.kpi.responses", format_number(head["responses"], ctx.lang), "count"),
    ("linked_share", "satisfaction.kpi.linked", pct(head["linked_share"]), "share"),
    ("csat", "satisfaction.kpi.csat", pct(head["csat"]), "share"),
    ("mean_overall", "satisfaction.kpi.mean_overall", num(head["mean_overall"]) + scale, "mean"),
    ("nps", "satisfaction.kpi.nps", num(head["nps"], 1), "nps"),
):
    cards.metric(ctx.t(label), value, delta=delta(key, kind), border=True, width=ui.KPI_CARD_WIDTH,
                 help=ctx.t(f"{label}.help") + " " + compared)

if head["n_nps"]:
    parts = [("detractors", "#ef4444"), ("passives", "#cbd5e1"), ("promoters", "#16a34a")]
    fig = go.Figure()
    for part, colour in parts:
        share = head[part] or 0.0
        fig.add_bar(x=[share], y=[""], orientation="h", name=ctx.t(f"satisfaction.nps.{part}"), marker_color=colour,
                    text=[format_percent(share)], textposition="inside", insidetextanchor="middle",
                    hovertemplate="%{fullData.name}: %{text}<extra></extra>")
    fig.update_layout(barmode="stack", showlegend=True, hovermode="closest", legend_traceorder="normal")
    fig.update_xaxes(range=[0, 1], tickformat=".0%", showgrid=False)
    ui.chart(ui.style_figure(fig, height=140), key="sat.chart.nps")

# ------------------------------------------------------------------ tabs
TABS = ("questions", "csi", "reliability", "drivers", "trend", "breakdowns", "comments", "loyalty", "callback")


RANK = {"bottom": 1, "low": 2, "neutral": 3, "high": 4, "top": 5}


def show_questions() -> None:
    table = cached(scores.question_scores, ids, f)
    if table.empty:
        ui.empty_state(ctx)
        return
    columns = {
        "question_id": ctx.t("satisfaction.col.question_id"), "question": ctx.t("satisfaction.col.question"),
        "kind": ctx.t("satisfaction.col.kind"), "dimension": ctx.t("satisfaction.col.dimension"),
        "measure": ctx.t("satisfaction.col.measure"), "scale": ctx.t("satisfaction.col.scale"),
        "n": ctx.t("satisfaction.col.n"), "mean": ctx.t("satisfaction.col.mean"),
        "top2_share": ctx.t("satisfaction.col.top2"), "nps": ctx.t("satisfaction.col.nps"),
    }
    shown = table.assign(
        kind=table["kind"].map(lambda k: ctx.t(f"satisfaction.kind.{k}")),
        dimension=table["dimension"].map(dim_label),
        measure=table["measure"].map(lambda m: ctx.t(f"satisfaction.measure.{m}") if isinstance(m, str) else ui.MISSING),
        scale=[f"{lo:g}–{hi:g}" + (" ↺" if rev else "")
               for lo, hi, rev in zip(table["scale_min"], table["scale_max"], table["reverse_scored"])],
    )[list(columns)].rename(columns=columns)
    kinds = {columns["top2_share"]: "share", columns["mean"]: "decimal", columns["nps"]: "decimal",
             columns["n"]: "count"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.questions")
    st.caption(ctx.t("satisfaction.note.questions"))
    ui.download_buttons(ctx, shown, "satisfaction_questions", key="sat.download.questions", kinds=kinds,
                        title=ctx.t("satisfaction.tab.questions"), period=False)

    st.subheader(ctx.t("satisfaction.likert.title"))
    dist = cached(scores.distribution, ids, f)
    measures = table.set_index("question_id")["measure"]
    dist = dist[dist["question_id"].map(measures).isin(["perceived", "overall"])]
    if dist.empty:
        return
    labels = table.set_index("question_id")["question"]
    order = [q for q in table["question_id"] if q in set(dist["question_id"])]
    y_of = {q: f"{q} {str(labels[q]).rsplit('—', 1)[-1]}" for q in order}  # matrix items by their sub-item
    mid = (dist["scale_min"] + dist["scale_max"]) / 2
    pos = (dist["value"] - dist["scale_min"]) / (dist["scale_max"] - dist["scale_min"])
    dist = dist.assign(mid=mid, pos=pos, y=dist["question_id"].map(y_of))
    fig = go.Figure()
    buckets = [("bottom", dist["value"] <= dist["scale_min"] + 1, -1, "#dc2626"),
               ("low", (dist["value"] > dist["scale_min"] + 1) & (dist["value"] < dist["mid"]), -1, "#fca5a5"),
               ("neutral", dist["value"] == dist["mid"], 0, "#cbd5e1"),
               ("high", (dist["value"] > dist["mid"]) & (dist["value"] < dist["scale_max"] - 1), 1, "#86efac"),
               ("top", dist["value"] >= dist["scale_max"] - 1, 1, "#16a34a")]
    # Negative side first from the middle outwards, then the positive side; the neutral share straddles zero.
    neutral = dist[buckets[2][1]].groupby("y")["share"].sum().reindex(list(y_of.values()), fill_value=0)
    for name, mask, sign, colour in (buckets[2], buckets[1], buckets[0]):
        values = (neutral / 2 if name == "neutral"
                  else dist[mask & (dist["value"] < dist["mid"])].groupby("y")["share"].sum()
                  .reindex(list(y_of.values()), fill_value=0))
        fig.add_bar(y=values.index, x=-values.to_numpy(), orientation="h", marker_color=colour,
                    name=ctx.t(f"satisfaction.likert.{name}"), legendgroup=name, showlegend=name != "neutral",
                    legendrank=RANK[name],
                    customdata=values.to_numpy(), hovertemplate="%{customdata:.1%}<extra>%{fullData.name}</extra>")
    for name, mask, sign, colour in (buckets[2], buckets[3], buckets[4]):
        values = (neutral / 2 if name == "neutral"
                  else dist[mask & (dist["value"] > dist["mid"])].groupby("y")["share"].sum()
                  .reindex(list(y_of.values()), fill_value=0))
        fig.add_bar(y=values.index, x=values.to_numpy(), orientation="h", marker_color=colour,
                    name=ctx.t(f"satisfaction.likert.{name}"), legendgroup=name, customdata=values.to_numpy(),
                    legendrank=RANK[name], 
                    hovertemplate="%{customdata:.1%}<extra>%{fullData.name}</extra>")
    fig.update_layout(barmode="relative", hovermode="closest")
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=list(y_of.values()))
    half = neutral / 2
    left = float((dist[dist["value"] < dist["mid"]].groupby("y")["share"].sum().reindex(half.index, fill_value=0)
                  + half).max())
    right = float((dist[dist["value"] > dist["mid"]].groupby("y")["share"].sum().reindex(half.index, fill_value=0)
                   + half).max())
    fig.update_xaxes(tickformat=".0%", range=[-min(1.0, left + 0.05), min(1.0, right + 0.05)], zeroline=True,
                     zerolinecolor="#475569")
    ui.chart(ui.style_figure(fig, height=120 + 30 * len(order)), key="sat.chart.likert")
    st.caption(ctx.t("satisfaction.likert.note"))


def show_csi() -> None:
    dims = cached(index.dimension_scores, ids, f)
    if dims.empty:
        ui.empty_state(ctx, "satisfaction.empty.dimensions")
        return
    stated = dims["importance"].notna().all()
    st.caption(ctx.t("satisfaction.csi.note.stated" if stated else "satisfaction.csi.note.derived"))
    editor = pd.DataFrame({
        ctx.t("satisfaction.col.dimension"): dims["dimension"].map(dim_label),
        ctx.t("satisfaction.col.score"): dims["score"].round(1),
        ctx.t("satisfaction.col.importance"): dims["importance"].round(2),
        ctx.t("satisfaction.col.derived_importance"): dims["derived_importance"].round(3),
        ctx.t("satisfaction.col.weight"): dims["weight"].round(3),
    })
    weight_col = ctx.t("satisfaction.col.weight")
    edited = st.data_editor(
        editor, key=f"{state.SAT_WEIGHTS}.{'-'.join(ids)}", hide_index=True, width="stretch",
        disabled=[c for c in editor.columns if c != weight_col],
        column_config={weight_col: st.column_config.NumberColumn(min_value=0.0, step=0.001, format="%.3f",
                                                                 help=ctx.t("satisfaction.csi.weight.help"))},
    )
    weights = dict(zip(dims["dimension"], pd.to_numeric(edited[weight_col], errors="coerce").fillna(0.0)))
    try:
        value = index.csi(dims, weights)
    except CRMInputError as exc:
        st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
        value = None
    default = index.csi(dims)
    st.metric(ctx.t("satisfaction.csi.value"), num(value, 1), border=True, width=ui.KPI_CARD_WIDTH,
              help=ctx.t("satisfaction.csi.help", default=num(default, 1)))

    st.subheader(ctx.t("satisfaction.gap.title"))
    paired = dims[dims["expected"].notna() & dims["perceived"].notna()]
    if paired.empty:
        st.info(ctx.t("satisfaction.gap.none"), icon=":material/info:")
        return
    labels = paired["dimension"].map(dim_label)
    short = paired["c"] < 1
    fig = go.Figure()
    fig.add_bar(x=labels, y=paired["c"], marker_color=np.where(short, "#dc2626", "#16a34a"),
                text=[f"{c:.2f}" for c in paired["c"]], textposition="outside", name="c = b / a",
                hovertemplate="%{x}: c = %{y:.3f}<extra></extra>")
    fig.add_hline(y=1.0, line_dash="dash", line_color="#475569")
    fig.update_layout(showlegend=False, hovermode="closest")
    fig.update_yaxes(range=[min(0.8, float(paired["c"].min()) - 0.05), max(1.2, float(paired["c"].max()) + 0.05)],
                     title=ctx.t("satisfaction.gap.axis"))
    ui.chart(ui.style_figure(fig), key="sat.chart.gap")
    if short.any():
        st.warning(ctx.t("satisfaction.gap.short", dimensions="、".join(labels[short])), icon=":material/warning:")
    columns = {"dimension": ctx.t("satisfaction.col.dimension"), "expected": ctx.t("satisfaction.col.expected"),
               "perceived": ctx.t("satisfaction.col.perceived"), "c": "c = b / a",
               "gap": ctx.t("satisfaction.col.gap"), "n": ctx.t("satisfaction.col.n")}
    shown = paired.assign(dimension=labels)[list(columns)].rename(columns=columns)
    kinds = {columns["expected"]: "decimal", columns["perceived"]: "decimal", "c = b / a": "decimal",
             columns["gap"]: "decimal", columns["n"]: "count"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.gap")
    ui.download_buttons(ctx, shown, "satisfaction_gap", key="sat.download.gap", kinds=kinds,
                        title=ctx.t("satisfaction.gap.title"), period=False)


def scope_label(scope: str) -> str:
    return ctx.t("satisfaction.reliability.all") if scope == reliability.ALL else dim_label(scope)


def show_reliability() -> None:
    scales, items = cached(reliability.reliability, ids, f)
    if scales.empty:
        ui.empty_state(ctx, "satisfaction.empty.reliability")
        return
    weak = scales[~scales["acceptable"]]
    if not weak.empty:
        st.warning(ctx.t("satisfaction.reliability.warning",
                         scales="、".join(scope_label(s) for s in weak["scope"])), icon=":material/warning:")
    else:
        st.success(ctx.t("satisfaction.reliability.ok"), icon=":material/check_circle:")
    columns = {"scope": ctx.t("satisfaction.col.scope"), "k": ctx.t("satisfaction.col.k"),
               "n": ctx.t("satisfaction.col.n"), "alpha": ctx.t("satisfaction.col.alpha"),
               "status": ctx.t("satisfaction.col.status")}
    shown = scales.assign(scope=scales["scope"].map(scope_label),
                          status=np.where(scales["acceptable"], ctx.t("satisfaction.reliability.acceptable"),
                                          ctx.t("satisfaction.reliability.low")))[list(columns)].rename(columns=columns)
    kinds = {columns["alpha"]: "decimal", columns["n"]: "count", columns["k"]: "count"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.alpha")
    st.caption(ctx.t("satisfaction.reliability.note"))
    item_columns = {"scope": columns["scope"], "question_id": ctx.t("satisfaction.col.question_id"),
                    "question": ctx.t("satisfaction.col.question"),
                    "alpha_if_deleted": ctx.t("satisfaction.col.alpha_if_deleted"),
                    "item_total_r": ctx.t("satisfaction.col.item_total_r")}
    shown_items = items.assign(scope=items["scope"].map(scope_label))[list(item_columns)].rename(columns=item_columns)
    item_kinds = {item_columns["alpha_if_deleted"]: "decimal", item_columns["item_total_r"]: "decimal"}
    ui.dataframe(shown_items, kinds=item_kinds, key="sat.table.items")
    ui.download_buttons(ctx, shown_items, "satisfaction_reliability", key="sat.download.reliability",
                        kinds=item_kinds, title=ctx.t("satisfaction.tab.reliability"), period=False)


QUADRANT_COLOURS = {"keep": "#16a34a", "improve": "#dc2626", "low_priority": "#94a3b8", "overkill": "#f59e0b"}


def show_drivers() -> None:
    target = st.radio(ctx.t("satisfaction.drivers.target"), drivers.TARGETS, horizontal=True, key=state.SAT_TARGET,
                      format_func=lambda t: ctx.t(f"satisfaction.drivers.target.{t}"))
    table = cached(drivers.key_drivers, ids, f, target=target)
    if table.empty:
        ui.empty_state(ctx, "satisfaction.empty.drivers")
        return
    st.caption(ctx.t("satisfaction.drivers.note"))
    quadrant = table["quadrant"].map(lambda q: ctx.t(f"satisfaction.quadrant.{q}"))
    fig = go.Figure()
    for code, colour in QUADRANT_COLOURS.items():
        part = table[table["quadrant"] == code]
        if part.empty:
            continue
        fig.add_scatter(x=part["performance"], y=part["importance"], mode="markers+text", name=ctx.t(f"satisfaction.quadrant.{code}"),
                        text=part["question_id"], textposition="top center", marker=dict(size=12, color=colour),
                        customdata=part["question"],
                        hovertemplate="%{text} %{customdata}<br>%{x:.1f} · r = %{y:.3f}<extra></extra>")
    fig.add_vline(x=float(table["performance"].mean()), line_dash="dot", line_color="#64748b")
    fig.add_hline(y=float(table["importance"].mean()), line_dash="dot", line_color="#64748b")
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title=ctx.t("satisfaction.drivers.performance"))
    fig.update_yaxes(title=ctx.t("satisfaction.drivers.importance"))
    ui.chart(ui.style_figure(fig, height=440), key="sat.chart.ipa")
    columns = {"question_id": ctx.t("satisfaction.col.question_id"), "question": ctx.t("satisfaction.col.question"),
               "dimension": ctx.t("satisfaction.col.dimension"), "n": ctx.t("satisfaction.col.n"),
               "performance": ctx.t("satisfaction.col.performance"), "r": ctx.t("satisfaction.col.r"),
               "beta": ctx.t("satisfaction.col.beta"), "quadrant": ctx.t("satisfaction.col.quadrant")}
    shown = table.assign(dimension=table["dimension"].map(dim_label), quadrant=quadrant)[list(columns)]
    shown = shown.rename(columns=columns)
    kinds = {columns["performance"]: "decimal", columns["r"]: "decimal", columns["beta"]: "decimal",
             columns["n"]: "count"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.drivers")
    ui.download_buttons(ctx, shown, "satisfaction_drivers", key="sat.download.drivers", kinds=kinds,
                        title=ctx.t("satisfaction.tab.drivers"), period=False)


def show_trend() -> None:
    unit = st.radio(ctx.t("satisfaction.trend.unit"), trend.UNITS[::-1], horizontal=True, key=state.SAT_UNIT,
                    format_func=lambda u: ctx.t(f"satisfaction.trend.unit.{u}"))
    table = cached(trend.satisfaction_trend, all_ids, f, unit=unit)
    if table.empty:
        ui.empty_state(ctx)
        return
    st.caption(ctx.t("satisfaction.trend.note"))
    fig = go.Figure()
    fig.add_scatter(x=table["period"], y=table["csat"], name=ctx.t("satisfaction.kpi.csat"), mode="lines+markers",
                    customdata=table["n"], hovertemplate="%{y:.1%} (n = %{customdata:,})")
    fig.add_scatter(x=table["period"], y=table["nps"], name=ctx.t("satisfaction.kpi.nps"), mode="lines+markers",
                    yaxis="y2", customdata=table["n_nps"], hovertemplate="%{y:.1f} (n = %{customdata:,})")
    fig.update_layout(yaxis=dict(tickformat=".0%", title=ctx.t("satisfaction.kpi.csat")),
                      yaxis2=dict(overlaying="y", side="right", title=ctx.t("satisfaction.kpi.nps"), showgrid=False,
                                  tickmode="auto", tickformat=".0f"))
    fig.update_xaxes(tickformat="%Y-%m-%d" if unit == "week" else "%Y-%m",
                     hoverformat="%Y-%m-%d" if unit == "week" else "%Y-%m")
    ui.chart(ui.style_figure(fig), key="sat.chart.trend")
    columns = {"period": ctx.t(f"satisfaction.trend.unit.{unit}"), "n": ctx.t("satisfaction.col.n"),
               "csat": ctx.t("satisfaction.kpi.csat"), "mean_overall": ctx.t("satisfaction.kpi.mean_overall"),
               "nps": ctx.t("satisfaction.kpi.nps")}
    shown = table[list(columns)].rename(columns=columns)
    kinds = {columns["csat"]: "percent", columns["mean_overall"]: "decimal", columns["nps"]: "decimal",
             columns["n"]: "count", columns["period"]: "date" if unit == "week" else "month"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.trend")
    ui.download_buttons(ctx, shown, "satisfaction_trend", key="sat.download.trend", kinds=kinds,
                        title=ctx.t("satisfaction.tab.trend"), period=False)


GROUP_LABELS = {"province": "provinces", "channel": "channels", "first_category": "categories"}


def group_label(group: str, value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ctx.t("value.unknown")
    if group == "rfm_class":
        return ctx.t(f"rfm.segment.{value}")
    if group == "tier":
        return ctx.t(f"loyalty.tier.{value}")
    return value_label(GROUP_LABELS[group], value, ctx.lang)


def show_breakdowns() -> None:
    group = st.radio(ctx.t("satisfaction.breakdown.by"), breakdowns.GROUPS, horizontal=True, key=state.SAT_GROUP,
                     format_func=lambda g: ctx.t(f"satisfaction.breakdown.{g}"))
    table = cached(breakdowns.breakdown, ids, f, group)
    if table.empty:
        ui.empty_state(ctx, "satisfaction.empty.linked")
        return
    labels = table["group"].map(lambda v: group_label(group, v))
    st.caption(ctx.t("satisfaction.breakdown.note"))
    top = table.head(15)
    fig = go.Figure()
    fig.add_bar(x=labels.head(15), y=top["nps"], name=ctx.t("satisfaction.kpi.nps"), customdata=top["n"],
                hovertemplate="%{x}: %{y:.1f} (n = %{customdata:,})<extra></extra>", marker_color="#2563eb")
    fig.update_layout(hovermode="closest", showlegend=False)
    fig.update_yaxes(title=ctx.t("satisfaction.kpi.nps"))
    ui.chart(ui.style_figure(fig), key="sat.chart.breakdown")
    columns = {"group": ctx.t(f"satisfaction.breakdown.{group}"), "n": ctx.t("satisfaction.col.n"),
               "csat": ctx.t("satisfaction.kpi.csat"), "mean_overall": ctx.t("satisfaction.kpi.mean_overall"),
               "nps": ctx.t("satisfaction.kpi.nps")}
    shown = table.assign(group=labels)[list(columns)].rename(columns=columns)
    kinds = {columns["csat"]: "percent", columns["mean_overall"]: "decimal", columns["nps"]: "decimal",
             columns["n"]: "count"}
    ui.dataframe(shown, kinds=kinds, key="sat.table.breakdown")
    ui.download_buttons(ctx, shown, f"satisfaction_{group}", key="sat.download.breakdown", kinds=kinds,
                        title=ctx.t(f"satisfaction.breakdown.{group}"), period=False)


def show_comments() -> None:
    words = cached(comments.word_frequencies, ids, f)
    if words.empty:
        ui.empty_state(ctx, "satisfaction.empty.comments")
        return
    st.caption(ctx.t("satisfaction.comments.note"))
    cols = st.columns(3)
    for col, group, colour in zip(cols, ("all", "detractor", "promoter"), ("#2563eb", "#dc2626", "#16a34a")):
        part = words[words["group"] == group].head(15)
        with col:
            st.markdown(f"**{ctx.t(f'satisfaction.comments.words.{group}')}**")
            if part.empty:
                st.caption(ctx.t("satisfaction.empty.comments"))
                continue
            fig = go.Figure()
            fig.add_bar(y=part["word"], x=part["share"], orientation="h", marker_color=colour,
                        customdata=part["comments"], hovertemplate="%{y}: %{x:.1%} (n = %{customdata:,})<extra></extra>")
            fig.update_yaxes(autorange="reversed")
            fig.update_xaxes(tickformat=".0%")
            fig.update_layout(hovermode="closest", showlegend=False)
            ui.chart(ui.style_figure(fig, height=420), key=f"sat.chart.words.{group}")
    search = st.text_input(ctx.t("satisfaction.comments.search"), key=state.SAT_SEARCH,
                           placeholder=ctx.t("satisfaction.comments.search.placeholder"))
    listed = cached(comments.list_comments, ids, f, search=search.strip())
    st.caption(ctx.t("satisfaction.comments.count", n=format_number(len(listed), ctx.lang)))
    columns = {"submitted_at": ctx.t("satisfaction.col.submitted_at"), "customer_id": ctx.t("satisfaction.col.customer_id"),
               "overall": ctx.t("satisfaction.col.overall"), "nps": ctx.t("satisfaction.col.nps_answer"),
               "nps_group": ctx.t("satisfaction.col.nps_group"), "comment": ctx.t("satisfaction.col.comment")}
    shown = listed.assign(nps_group=listed["nps_group"].map(
        lambda g: ctx.t(f"satisfaction.nps.{g}s") if isinstance(g, str) else ui.MISSING))[list(columns)]
    shown = shown.rename(columns=columns)
    kinds = {columns["submitted_at"]: "date", columns["overall"]: "count", columns["nps"]: "count"}
    ui.dataframe(shown.head(ui.MAX_ROWS_SHOWN), kinds=kinds, key="sat.table.comments")
    ui.download_buttons(ctx, shown, "satisfaction_comments", key="sat.download.comments", kinds=kinds,
                        title=ctx.t("satisfaction.tab.comments"), period=False)


def show_loyalty() -> None:
    by = st.radio(ctx.t("satisfaction.loyalty.by"), loyalty.BY, horizontal=True, key=state.SAT_BY,
                  format_func=lambda b: ctx.t(f"satisfaction.loyalty.by.{b}"))
    # Buying after an answer needs time to show: every wave up to the chosen one counts.
    upto = all_ids if wave == ALL else all_ids[: all_ids.index(wave) + 1]
    table = cached(loyalty.loyalty_by_group, upto, f, by=by)
    if table.empty:
        ui.empty_state(ctx, "satisfaction.empty.linked")
        return
    if by == "overall":
        labels = table["group"].map(lambda g: ctx.t("satisfaction.loyalty.level", value=g))
    else:
        labels = table["group"].map(lambda g: ctx.t(f"satisfaction.nps.{g}s"))
    st.caption(ctx.t("satisfaction.loyalty.note", first=escape_markdown(wave_names[upto[0]]),
                     last=escape_markdown(wave_names[upto[-1]])))
    fig = go.Figure()
    for h, colour in zip(loyalty.HORIZONS, ("#93c5fd", "#3b82f6", "#1e3a8a")):
        rate = table[f"repurchase_{h}"]
        fig.add_bar(x=labels, y=rate, name=ctx.t("satisfaction.loyalty.within", days=h), marker_color=colour,
                    error_y=dict(type="data", symmetric=False, array=table[f"repurchase_{h}_high"] - rate,
                                 arrayminus=rate - table[f"repurchase_{h}_low"]),
                    customdata=table[f"n_{h}"], hovertemplate="%{y:.1%} (n = %{customdata:,})")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=ctx.t("satisfaction.loyalty.rate"))
    ui.chart(ui.style_figure(fig), key="sat.chart.loyalty")
    columns = {"group": ctx.t(f"satisfaction.loyalty.by.{by}"), "n": ctx.t("satisfaction.col.n")}
    kinds = {columns["n"]: "count"}
    for h in loyalty.HORIZONS:
        columns[f"n_{h}"] = ctx.t("satisfaction.loyalty.col.n", days=h)
        columns[f"repurchase_{h}"] = ctx.t("satisfaction.loyalty.within", days=h)
        columns[f"repurchase_{h}_low"] = ctx.t("satisfaction.loyalty.col.low", days=h)
        columns[f"repurchase_{h}_high"] = ctx.t("satisfaction.loyalty.col.high", days=h)
        kinds[columns[f"n_{h}"]] = "count"
    columns.update({"revenue_180": ctx.t("satisfaction.loyalty.col.revenue"),
                    "churned": ctx.t("satisfaction.loyalty.col.churned"),
                    "churned_low": ctx.t("satisfaction.loyalty.col.churned_low"),
                    "churned_high": ctx.t("satisfaction.loyalty.col.churned_high")})
    kinds.update({name: "percent" for key, name in columns.items() if key.startswith(("repurchase", "churned"))})
    kinds[columns["revenue_180"]] = "money"
    shown = table.assign(group=labels)[list(columns)].rename(columns=columns)
    ui.dataframe(shown, kinds=kinds, key="sat.table.loyalty")
    ui.download_buttons(ctx, shown, "satisfaction_loyalty", key="sat.download.loyalty", kinds=kinds,
                        title=ctx.t("satisfaction.tab.loyalty"), period=False)


def show_callback() -> None:
    table = cached(callback.callback_list, ids, f)
    if table.empty:
        ui.empty_state(ctx, "satisfaction.empty.callback")
        return
    st.caption(ctx.t("satisfaction.callback.note", n=format_number(len(table), ctx.lang)))
    columns = {"submitted_at": ctx.t("satisfaction.col.submitted_at"), "customer_id": ctx.t("satisfaction.col.customer_id"),
               "name": ctx.t("satisfaction.col.name"), "phone": ctx.t("keyacc.col.phone"),
               "email": ctx.t("keyacc.col.email"), "province": ctx.t("satisfaction.breakdown.province"),
               "overall": ctx.t("satisfaction.col.overall"), "nps": ctx.t("satisfaction.col.nps_answer"),
               "nps_group": ctx.t("satisfaction.col.nps_group"), "comment": ctx.t("satisfaction.col.comment"),
               "weakest": ctx.t("satisfaction.col.weakest"), "weakest_score": ctx.t("satisfaction.col.weakest_score")}
    shown = table.assign(
        nps_group=table["nps_group"].map(lambda g: ctx.t(f"satisfaction.nps.{g}s") if isinstance(g, str) else ui.MISSING),
        weakest=table["weakest"].map(dim_label),
        province=table["province"].map(lambda v: value_label("provinces", v, ctx.lang)),
    )[list(columns)].rename(columns=columns)
    contact = {columns["phone"]: "phone", columns["email"]: "email"}
    kinds = {columns["submitted_at"]: "date", columns["overall"]: "count", columns["nps"]: "count",
             columns["weakest_score"]: "decimal"}
    ui.dataframe(privacy.for_display(shown.head(ui.MAX_ROWS_SHOWN), contact, access.current().role), kinds=kinds,
                 key="sat.table.callback")
    ui.download_buttons(ctx, shown, "satisfaction_callback", key="sat.download.callback", kinds=kinds,
                        title=ctx.t("satisfaction.tab.callback"), period=False, contact=contact)


SHOW = dict(zip(TABS, (show_questions, show_csi, show_reliability, show_drivers, show_trend, show_breakdowns,
                       show_comments, show_loyalty, show_callback)))
# Only the open tab is computed and drawn.
tabs = st.tabs([ctx.t(f"satisfaction.tab.{name}") for name in TABS], key=state.SAT_TAB, on_change="rerun")
for tab, name in zip(tabs, TABS):
    if tab.open:
        with tab:
            SHOW[name]()
