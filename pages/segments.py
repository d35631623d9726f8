"""Segmentation: RFM 8-class model, k-means clusters, value concentration, points and tiers, who they are."""

import math

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from crm.value import clusters, concentration, loyalty, profiles, rfm
from crm.errors import CRMInputError
from crm.formatting import format_date, format_money, format_number, format_percent
from ui import guard
from ui import components as ui
from ui.cache import cached, shared
from ui.labels import label_series, value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "segmentation.title", ctx.t("segmentation.caption"))
money = ui.MONEY
share = ui.SHARE


def segment_name(code: str) -> str:
    return ctx.t(f"rfm.segment.{code}")



# ------------------------------------------------------------------ RFM
def show_rfm() -> None:
    c1, c2, _ = st.columns([1, 1, 2])
    bins = c1.radio(ctx.t("segmentation.rfm.bins"), rfm.BINS[::-1], horizontal=True, key="seg.bins",
                    format_func=lambda b: ctx.t(f"segmentation.rfm.bins.{b}"))
    split = c2.radio(ctx.t("segmentation.rfm.split"), rfm.SPLITS, horizontal=True, key="seg.split",
                     format_func=lambda s: ctx.t(f"segmentation.rfm.split.{s}"))
    scores = shared(rfm.compute_rfm, f, bins=bins, split=split)
    if scores.empty:
        ui.empty_state(ctx)
    else:
        summary = rfm.segment_summary(scores)
        table = summary.assign(
            name=summary["segment"].map(segment_name),
            action=summary["segment"].map(lambda c: ctx.t(f"rfm.segment.{c}.action")),
        )
        columns = {
            "name": ctx.t("segmentation.col.segment"), "customers": ctx.t("segmentation.col.customers"),
            "share": ctx.t("segmentation.col.share"),
            "revenue": ctx.t("scope.period", label=ctx.t("segmentation.col.revenue")),
            "revenue_share": ctx.t("segmentation.col.revenue_share"),
            "avg_recency": ctx.t("segmentation.col.avg_recency"),
            "avg_frequency": ctx.t("segmentation.col.avg_frequency"),
            "avg_monetary": ctx.t("scope.period", label=ctx.t("segmentation.col.avg_monetary")),
            "action": ctx.t("segmentation.col.action"),
        }
        shown = table[list(columns)].rename(columns=columns)
        kinds = {columns["share"]: "share", columns["revenue_share"]: "share", columns["revenue"]: "money",
                 columns["avg_monetary"]: "money", columns["avg_recency"]: "decimal",
                 columns["avg_frequency"]: "decimal"}
        ui.dataframe(shown, kinds=kinds, key="seg.rfm.summary", column_config={
            columns["avg_recency"]: st.column_config.NumberColumn(format="%,.0f"),
            columns["avg_frequency"]: st.column_config.NumberColumn(format="%.1f"),
        }, column_order=[c for c in shown.columns if c != columns["action"]])
        ui.download_buttons(ctx, shown, "rfm_segments", key="seg.rfm.summary.download", kinds=kinds,
                            title=ctx.t("segmentation.tab.rfm"))
        # A grid cell cannot wrap: the actions (full sentences) are read in a table that wraps.
        with st.expander(ctx.t("segmentation.col.action"), icon=":material/campaign:"):
            st.table(shown[[columns["name"], columns["action"]]].set_index(columns["name"]))

        # The treemap takes the full width: in half a page its eight tiles' labels shrank out of reach.
        st.subheader(ctx.t("segmentation.rfm.treemap"))
        tree = table[table["customers"] > 0]  # in the table's order, one fixed colour per class
        tree_share = tree["customers"] / tree["customers"].sum()
        root = columns["customers"]  # an explicit, hidden root: no dark frame around the tiles
        fig = go.Figure(go.Treemap(
            labels=[root, *tree["name"]], parents=["", *[root] * len(tree)],
            values=[int(tree["customers"].sum()), *tree["customers"]], branchvalues="total", sort=False,
            marker=dict(colors=["white", *[ui.colour("segments", c) for c in tree["segment"]]],
                        line=dict(width=2, color="white"), pad=dict(t=0, l=0, r=0, b=0)),
            # bold class name, customers and their share, as large as each tile allows (16 px at most)
            # (the markup is in the template: `ui.chart` makes the labels' and texts' own markup inert)
            text=["", *[f"{c:,} · {p:.0%}" for c, p in zip(tree["customers"], tree_share)]],
            customdata=[["", ""], *[[format_money(r, ctx.lang, compact=True), format_percent(s)]
                                    for r, s in zip(tree["revenue"], tree["revenue_share"])]],
            texttemplate=["", *["<b>%{label}</b><br>%{text}"] * len(tree)], textfont_size=16, textposition="middle center", pathbar_visible=False,
            tiling_packing="binary",  # in the table's order, squarify left the small classes thin slivers
            hovertemplate="%{label}<br>%{value:,} · %{customdata[0]} (%{customdata[1]})<extra></extra>",
        ))
        fig = ui.style_figure(fig, height=540)
        fig.update_layout(margin=dict(l=0, r=0, t=0, b=0))
        ui.chart(fig, key="seg.chart.treemap")
        st.subheader(ctx.t("segmentation.rfm.heatmap"))
        grid = rfm.rf_grid(scores, bins=bins).pivot(index="r_score", columns="f_score", values="customers")
        fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=[str(c) for c in grid.columns],
                                   y=[str(i) for i in grid.index], colorscale="Blues",
                                   text=grid.to_numpy(), texttemplate="%{text:,}",
                                   colorbar=dict(tickformat=",d")))
        fig.update_xaxes(title=ctx.t("segmentation.rfm.f_score"))
        fig.update_yaxes(title=ctx.t("segmentation.rfm.r_score"))
        ui.chart(ui.style_figure(fig, height=380), key="seg.chart.heatmap")

        st.subheader(ctx.t("segmentation.rfm.drill"))
        present = [c for c in rfm.SEGMENTS if c in set(summary.loc[summary["customers"] > 0, "segment"])]
        chosen = st.selectbox(ctx.t("segmentation.rfm.drill.choose"), present, key="seg.drill",
                              format_func=segment_name)
        st.info(ctx.t(f"rfm.segment.{chosen}.action"), icon=":material/campaign:")
        members = scores[scores["segment"] == chosen].sort_values("monetary", ascending=False)
        member_columns = {
            "customer_id": ctx.t("segmentation.col.customer_id"), "name": ctx.t("segmentation.col.name"),
            "last_order_date": ctx.t("segmentation.col.last_order"), "recency_days": ctx.t("segmentation.col.recency"),
            "frequency": ctx.t("segmentation.col.frequency"),
            "monetary": ctx.t("scope.period", label=ctx.t("segmentation.col.monetary")),
            "r_score": "R", "f_score": "F", "m_score": "M",
        }
        listing = members[list(member_columns)].rename(columns=member_columns)
        if len(listing) > ui.MAX_ROWS_SHOWN:
            st.caption(ctx.t("common.rows_shown", shown=f"{ui.MAX_ROWS_SHOWN:,}", total=f"{len(listing):,}"))
        member_kinds = {member_columns["monetary"]: "money", member_columns["last_order_date"]: "date"}
        ui.dataframe(listing.head(ui.MAX_ROWS_SHOWN), kinds=member_kinds, key="seg.drill.table")
        ui.download_buttons(ctx, listing, f"segment_{chosen}", key="seg.drill.download", kinds=member_kinds,
                            title=segment_name(chosen))

# ------------------------------------------------------------------ clusters
def show_clusters() -> None:
    st.caption(ctx.t("segmentation.clusters.caption"))
    low, high = clusters.DEFAULT_K_RANGE
    c1, c2 = st.columns([1, 3])
    k_choice = c1.selectbox(ctx.t("segmentation.clusters.k"), [0, *range(2, 11)], key="seg.k",
                            format_func=lambda k: ctx.t("segmentation.clusters.k.auto", low=low, high=high)
                            if k == 0 else str(k))
    with c2.expander(ctx.t("segmentation.clusters.advanced"), icon=":material/tune:"):
        st.caption(ctx.t("segmentation.clusters.advanced.help"))
        a1, a2 = st.columns([3, 1])
        extra = a1.multiselect(ctx.t("segmentation.clusters.extra"), ["tenure", "avg_order", "category_mix"],
                               key="seg.extra", format_func=lambda e: ctx.t(f"segmentation.clusters.extra.{e}"),
                               placeholder=ctx.t("display.choose"), select_all=False)
        seed = a2.number_input(ctx.t("segmentation.clusters.seed"), min_value=0, value=0, step=1, key="seg.seed")
    try:
        with st.spinner(ctx.t("segmentation.clusters.running")):
            result = shared(profiles.cluster_analysis, f, n_clusters=k_choice or None, extra=tuple(extra),
                            random_state=int(seed))
    except CRMInputError as exc:
        st.warning(guard.error_text(exc, ctx.lang))
        return
    names = clusters.name_clusters(result.levels, ctx.lang)
    order = [names[c] for c in sorted(names)]  # cluster 1 (highest average spend) first, everywhere
    colours = {names[c]: ui.PALETTE[(c - 1) % len(ui.PALETTE)] for c in names}
    cluster_label = ctx.t("segmentation.col.cluster")
    scores_k = {k: v for k, v in result.silhouette_scores.items() if not pd.isna(v)}
    m1, m2, m3 = st.columns(3)
    m1.metric(ctx.t("segmentation.clusters.chosen"), result.n_clusters)
    if result.n_clusters in scores_k:
        m2.metric(ctx.t("segmentation.clusters.silhouette"), f"{scores_k[result.n_clusters]:.3f}")
    m3.metric(ctx.t("segmentation.clusters.customers_clustered"), f"{len(result.labels):,}")
    low_k, high_k = result.k_range
    if result.best_k is not None and k_choice and k_choice != result.best_k:
        st.caption(ctx.t("segmentation.clusters.override", k=result.n_clusters, best=result.best_k,
                         low=low_k, high=high_k))
    elif result.best_k is not None:
        st.caption(ctx.t("segmentation.clusters.best_k", k=result.best_k, low=low_k, high=high_k))

    left, right = st.columns([2, 3])
    with left:
        st.subheader(ctx.t("segmentation.clusters.silhouette_by_k"))
        in_use, other = ctx.t("segmentation.clusters.k_in_use"), ctx.t("segmentation.clusters.k_other")
        silhouettes = pd.DataFrame({"k": [str(k) for k in scores_k], "score": list(scores_k.values()),
                                    "use": [in_use if k == result.n_clusters else other for k in scores_k]})
        fig = px.bar(silhouettes, x="k", y="score", color="use", text="score",
                     color_discrete_map={in_use: "#334155", other: "#cbd5e1"},  # not a cluster colour
                     category_orders={"k": silhouettes["k"].tolist(), "use": [in_use, other]},
                     labels={"score": ctx.t("segmentation.clusters.silhouette"), "use": ""})
        fig.update_traces(texttemplate="%{y:.3f}", textposition="outside", cliponaxis=False)
        fig.update_xaxes(type="category", title="k")
        fig.update_layout(hovermode="closest")
        ui.chart(ui.style_figure(fig, height=320), key="seg.chart.silhouette")
    with right:
        st.subheader(ctx.t("segmentation.clusters.sizes"))
        prof = result.profiles.assign(name=result.profiles["cluster"].map(names))
        fig = px.bar(prof, x="customers", y="name", orientation="h", text="customers", color="name",
                     color_discrete_map=colours, category_orders={"name": order},
                     labels={"name": "", "customers": ctx.t("segmentation.col.customers")})
        fig.update_traces(texttemplate="%{x:,}", textposition="auto", hovertemplate="%{y}: %{x:,}<extra></extra>")
        fig.update_xaxes(tickformat=",d", rangemode="tozero", dtick=None if prof["customers"].max() >= 10 else 1)
        fig.update_layout(showlegend=False, hovermode="closest")
        ui.chart(ui.style_figure(fig, height=320), key="seg.chart.cluster_sizes")

    scatter, shape = st.columns(2)
    with scatter:
        st.subheader(ctx.t("segmentation.clusters.scatter"))
        sample = result.sample.assign(name=result.sample["cluster"].map(names))
        # SVG: on a machine without a GPU, WebGL (Plotly's choice from 1,000 points) costs the browser seconds
        fig = px.scatter(sample, x="recency", y="monetary", color="name", size="frequency", log_y=True,
                         render_mode="svg", opacity=0.6, color_discrete_map=colours, category_orders={"name": order},
                         labels={"recency": ctx.t("segmentation.col.recency"),
                                 "monetary": ctx.t("segmentation.col.monetary"),
                                 "frequency": ctx.t("segmentation.col.frequency"), "name": ""})
        # money ticks in the reader's units (¥1万 / ¥10K) at the powers of ten the log axis spans
        top = max(float(sample["monetary"].max()), 10.0)
        ticks = [10.0 ** e for e in range(0, math.ceil(math.log10(top)) + 1)]
        fig.update_yaxes(tickvals=ticks, ticktext=[format_money(v, ctx.lang, compact=True, decimals=0) for v in ticks])
        fig.update_traces(hovertemplate=f"%{{fullData.name}}<br>{ctx.t('segmentation.col.recency')}: %{{x:,}}"
                                        f"<br>{ctx.t('segmentation.col.monetary')}: ¥%{{y:,.0f}}"
                                        f"<br>{ctx.t('segmentation.col.frequency')}: %{{marker.size:,}}<extra></extra>")
        fig.update_layout(hovermode="closest")
        ui.chart(ui.style_figure(fig, height=420), key="seg.chart.clusters")
    with shape:
        st.subheader(ctx.t("segmentation.clusters.profile"))
        # each feature's cluster mean as a multiple of its overall mean (1 = average customer)
        index = profiles.relative_profile(prof, result.sample[["recency", "frequency", "monetary"]].mean())
        index["cluster"] = index["cluster"].map(names)
        index["feature"] = index["feature"].map(lambda c: ctx.t(f"segmentation.col.{c}"))
        fig = px.bar(index, x="feature", y="index", color="cluster", barmode="group",
                     color_discrete_map=colours, category_orders={"cluster": order},
                     labels={"feature": "", "index": ctx.t("segmentation.clusters.index"), "cluster": ""})
        fig.add_hline(y=1, line_dash="dot", line_color="#94a3b8")
        fig.update_yaxes(ticksuffix="×")
        fig.update_layout(hovermode="closest")
        ui.chart(ui.style_figure(fig, height=420), key="seg.chart.cluster_profile")

    st.caption(ctx.t("segmentation.clusters.names_note"))
    labels = {"name": cluster_label, "cluster": ctx.t("segmentation.clusters.number"),
              "customers": ctx.t("segmentation.col.customers"), "share": ctx.t("segmentation.col.share"),
              **{c: ctx.t(f"segmentation.clusters.col.{c}")
                 for c in ("recency", "frequency", "monetary", "tenure", "avg_order")}}
    kinds = {labels["customers"]: "count", labels["share"]: "share", labels["monetary"]: "money",
             labels["avg_order"]: "money", labels["recency"]: "decimal", labels["tenure"]: "decimal",
             labels["frequency"]: "decimal", ctx.t("segmentation.col.revenue_share"): "share"}
    for column in prof.columns:
        if str(column).startswith(clusters.MIX_PREFIX):
            category = str(column)[len(clusters.MIX_PREFIX):]
            labels[column] = ctx.t("cluster.feature.mix_other") if column == clusters.MIX_OTHER else \
                ctx.t("cluster.feature.mix", category=value_label("categories", category, ctx.lang))
            kinds[labels[column]] = "percent"
    labels["revenue_share"] = ctx.t("segmentation.col.revenue_share")
    table = prof[["name", *[c for c in prof.columns if c != "name"]]].rename(columns=labels)
    days = st.column_config.NumberColumn(format=ctx.t("segmentation.clusters.format.days"))
    ui.dataframe(table, kinds=kinds, key="seg.clusters.profiles", column_config={
        labels["recency"]: days, labels["tenure"]: days,
        labels["frequency"]: st.column_config.NumberColumn(format=ctx.t("segmentation.clusters.format.orders")),
    })
    ui.download_buttons(ctx, table, "cluster_profiles", key="seg.clusters.download", kinds=kinds,
                        title=ctx.t("segmentation.tab.clusters"))


# ------------------------------------------------------------------ value concentration
def show_value() -> None:
    """Pareto curve and ABC classes of the period's customer value.

    Filters: the analysis period and every dimension filter. The as-of date is not
    used: a period total does not depend on it (and the sidebar keeps it at or
    after the period end), which the tab says in a caption.
    """
    st.caption(ctx.t("segmentation.note.value"))
    c1, c2, c3 = st.columns([1, 1, 1])
    value = c1.radio(ctx.t("segmentation.value.measure"), concentration.VALUES, horizontal=True, key="seg.value",
                     format_func=lambda v: ctx.t(f"segmentation.col.{v}"))
    a_cut = c2.number_input(ctx.t("segmentation.value.a"), min_value=1, max_value=98, value=80, step=1, key="seg.a")
    b_cut = c3.number_input(ctx.t("segmentation.value.b"), min_value=2, max_value=99, value=95, step=1, key="seg.b")
    curve = shared(concentration.pareto, f, value=value)
    if curve.empty:
        ui.empty_state(ctx)
    else:
        top = concentration.headline(curve, 0.2)
        needed = concentration.top_share_for(curve, 0.8)
        m1, m2, m3 = st.columns(3)
        m1.metric(ctx.t("segmentation.value.top20", measure=ctx.t(f"segmentation.col.{value}")),
                  format_percent(top["value_share"]))
        m2.metric(ctx.t("segmentation.value.for80", measure=ctx.t(f"segmentation.col.{value}")),
                  format_percent(needed) if needed is not None else "—")
        m3.metric(ctx.t("segmentation.col.customers"), format_number(top["total_customers"], ctx.lang))
        st.markdown(ctx.t("segmentation.value.headline", top=format_percent(top["customer_share"]),
                          share=format_percent(top["value_share"]), measure=ctx.t(f"segmentation.col.{value}")))
        points = concentration.pareto_points(curve)
        fig = go.Figure()
        fig.add_scatter(x=points["customer_share"], y=points["cumulative_share"], mode="lines",
                        name=ctx.t("segmentation.value.curve"), fill="tozeroy")
        fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#94a3b8"),
                        name=ctx.t("segmentation.value.equal"))
        fig.add_vline(x=0.2, line_dash="dash", line_color="#f97316")
        fig.add_hline(y=0.8, line_dash="dash", line_color="#f97316")
        fig.update_xaxes(tickformat=".0%", hoverformat=".1%", title=ctx.t("segmentation.value.x"))
        fig.update_yaxes(tickformat=".0%", hoverformat=".1%",
                         title=ctx.t("segmentation.value.y", measure=ctx.t(f"segmentation.col.{value}")))
        fig.update_layout(hovermode="closest")
        ui.chart(ui.style_figure(fig, height=380), key="seg.chart.pareto")
        try:
            classes = shared(concentration.abc_classes, f, a=a_cut / 100, b=b_cut / 100, value=value)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang))
        else:
            abc = concentration.abc_summary(classes).rename(columns={
                "abc_class": ctx.t("segmentation.col.abc_class"), "customers": ctx.t("segmentation.col.customers"),
                "customer_share": ctx.t("segmentation.col.share"), "value": ctx.t(f"segmentation.col.{value}"),
                "value_share": ctx.t("segmentation.col.revenue_share"),
            })
            abc_kinds = {ctx.t("segmentation.col.share"): "share", ctx.t("segmentation.col.revenue_share"): "share",
                         ctx.t(f"segmentation.col.{value}"): "count" if value == "orders" else "money"}
            ui.dataframe(abc, kinds=abc_kinds, key="seg.abc", column_config={
                ctx.t("segmentation.col.abc_class"): st.column_config.TextColumn(),
            })
            export = classes.rename(columns={"customer_id": ctx.t("segmentation.col.customer_id"),
                                             "value": ctx.t(f"segmentation.col.{value}"),
                                             "cumulative_share": ctx.t("segmentation.col.cumulative_share"),
                                             "abc_class": ctx.t("segmentation.col.abc_class")})
            ui.download_buttons(ctx, export, "abc_classes", key="seg.abc.download", kinds={
                ctx.t(f"segmentation.col.{value}"): "count" if value == "orders" else "money",
                ctx.t("segmentation.col.cumulative_share"): "percent"}, title=ctx.t("segmentation.tab.value"))

# ------------------------------------------------------------------ points and tiers
def show_tiers() -> None:
    """Points and tiers on the as-of date.

    Filters: the as-of date and every dimension filter (points count the orders
    inside them). The analysis period is not used: a tier is a membership status
    earned over all orders up to the as-of date, not a period figure; a caption
    says so, and the revenue column is labelled lifetime.
    """
    st.caption(ctx.t("segmentation.tiers.caption"))
    st.caption(ctx.t("segmentation.note.tiers", as_of=format_date(f.as_of, ctx.lang)))
    c1, c2, c3, c4, c5 = st.columns(5)
    per_month = c1.number_input(ctx.t("segmentation.tiers.per_month"), min_value=0.0, value=1.0, step=0.5,
                                key="seg.per_month")
    per_point = c2.number_input(ctx.t("segmentation.tiers.per_point"), min_value=0.1, value=10.0, step=1.0,
                                key="seg.per_point")
    defaults = dict(loyalty.DEFAULT_TIERS)
    silver = c3.number_input(ctx.t("loyalty.tier.silver"), min_value=1, value=int(defaults["silver"]), step=100,
                             key="seg.silver")
    gold = c4.number_input(ctx.t("loyalty.tier.gold"), min_value=1, value=int(defaults["gold"]), step=100,
                           key="seg.gold")
    diamond = c5.number_input(ctx.t("loyalty.tier.diamond"), min_value=1, value=int(defaults["diamond"]),
                              step=500, key="seg.diamond")
    points = shared(loyalty.compute_points, f, points_per_month=per_month, yuan_per_point=per_point)
    try:
        tiers = loyalty.assign_tiers(points, (("normal", 0), ("silver", silver), ("gold", gold), ("diamond", diamond)))
    except CRMInputError as exc:
        st.error(guard.error_text(exc, ctx.lang))
    else:
        summary = loyalty.tier_summary(tiers)
        order = [name for name, _ in loyalty.DEFAULT_TIERS]  # 普通 → 银卡 → 金卡 → 钻石 in table, bars, legend
        summary = summary.set_index("tier").reindex([t for t in order if t in set(summary["tier"])]).reset_index()
        summary = summary.assign(name=summary["tier"].map(lambda c: ctx.t(f"loyalty.tier.{c}")))
        tier_colours = ui.colour_map("tiers", summary["tier"], lambda c: ctx.t(f"loyalty.tier.{c}"))
        left, right = st.columns(2)
        with left:
            fig = px.bar(summary, x="name", y="customers", text="customers", color="name",
                         color_discrete_map=tier_colours, category_orders={"name": list(summary["name"])},
                         labels={"name": ctx.t("segmentation.col.tier"), "customers": ctx.t("segmentation.col.customers")})
            fig.update_traces(texttemplate="%{text:,}")
            fig.update_layout(showlegend=False)
            fig.update_yaxes(tickformat=",d")
            ui.chart(ui.style_figure(fig, height=320), key="seg.chart.tiers")
        with right:
            fig = px.pie(summary, names="name", values="revenue", hole=0.45, color="name",
                         color_discrete_map=tier_colours, category_orders={"name": list(summary["name"])})
            ui.chart(ui.money_pie(ui.style_figure(fig, height=320), ctx.lang), key="seg.chart.tier_revenue")
        shown = summary[["name", "customers", "share", "revenue", "revenue_share", "avg_points"]].rename(columns={
            "name": ctx.t("segmentation.col.tier"), "customers": ctx.t("segmentation.col.customers"),
            "share": ctx.t("segmentation.col.share"), "revenue": ctx.t("segmentation.col.lifetime_revenue"),
            "revenue_share": ctx.t("segmentation.col.revenue_share"), "avg_points": ctx.t("segmentation.col.avg_points"),
        })
        tier_kinds = {ctx.t("segmentation.col.share"): "share", ctx.t("segmentation.col.revenue_share"): "share",
                      ctx.t("segmentation.col.lifetime_revenue"): "money",
                      ctx.t("segmentation.col.avg_points"): "decimal"}
        ui.dataframe(shown, kinds=tier_kinds, key="seg.tiers.table", column_config={
            ctx.t("segmentation.col.avg_points"): st.column_config.NumberColumn(format="%,.0f"),
        })
        ui.download_buttons(ctx, shown, "tiers", key="seg.tiers.download", kinds=tier_kinds,
                            title=ctx.t("segmentation.tab.tiers"))

# ------------------------------------------------------------------ who they are
def show_who() -> None:
    dimension = st.radio(ctx.t("segmentation.who.dimension"), profiles.MIX_DIMENSIONS, horizontal=True,
                         key="seg.who", format_func=lambda d: ctx.t(f"segmentation.who.{d}"))
    mix = cached(profiles.segment_mix, f, dimension)
    if mix.empty:
        ui.empty_state(ctx)
    else:
        plural = {"province": "provinces", "acquisition_channel": "channels", "age_band": "age_bands",
                  "gender": "genders", "customer_type": "customer_types"}[dimension]
        mix = mix.assign(value=label_series(mix["value"], plural, ctx.lang), name=mix["segment"].map(segment_name))
        segment_order = [segment_name(c) for c in rfm.SEGMENTS]
        order = mix.groupby("value")["customers"].sum().sort_values(ascending=False).index.tolist()[:15]
        mix = mix[mix["value"].isin(order)]
        fig = px.bar(mix, x="value", y="share", color="name",
                     category_orders={"value": order, "name": segment_order},
                     color_discrete_map=ui.colour_map("segments", rfm.SEGMENTS, segment_name),
                     labels={"value": ctx.t(f"segmentation.who.{dimension}"), "share": ctx.t("segmentation.col.share"),
                             "name": ctx.t("segmentation.col.segment")})
        fig.update_yaxes(tickformat=".0%", hoverformat=".1%")
        fig.update_layout(barmode="stack", hovermode="closest")
        ui.chart(ui.style_figure(fig, height=420), key="seg.chart.who")
        table = mix.pivot_table(index="value", columns="name", values="customers", fill_value=0, aggfunc="sum")
        table = table.reindex(index=order, columns=[n for n in segment_order if n in table.columns]).astype("int64")
        table = table.rename_axis(ctx.t(f"segmentation.who.{dimension}")).reset_index().rename_axis(columns=None)
        ui.dataframe(table, key="seg.who.table")
        ui.download_buttons(ctx, table, f"segment_mix_{dimension}", key="seg.who.download",
                            title=ctx.t(f"segmentation.who.{dimension}"))


# Only the open tab is computed and drawn (the others cost nothing on a rerun).
TABS = {"rfm": show_rfm, "clusters": show_clusters, "value": show_value, "tiers": show_tiers, "who": show_who}
tabs = st.tabs([ctx.t(f"segmentation.tab.{name}") for name in TABS], key="seg.tab", on_change="rerun")
for tab, show in zip(tabs, TABS.values()):
    if tab.open:
        with tab:
            show()
