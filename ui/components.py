"""Drawing helpers the pages share: KPI cards, charts, downloads, empty states."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from crm import export
from crm.formatting import format_money, format_number, format_percent
from ui.shell import PageContext

MONEY_METRICS = {"revenue", "avg_order_value", "profit"}
RATE_METRICS = {"repeat_rate"}
LOWER_IS_BETTER = {"lapsed_customers", "open_complaints"}

MISSING = "—"  # shown for a missing value in every table (st.dataframe's placeholder), never None / NaN / NaT
MAX_ROWS_SHOWN = 2000  # rows a table draws on screen; downloads always hold every row

PALETTE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#14b8a6", "#eab308", "#64748b"]


MONEY = st.column_config.NumberColumn(format="¥%,.0f")
SHARE = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)


def page_header(ctx: PageContext, title_key: str, caption: str | None = None) -> None:
    """Title and caption; on an empty database, the way to load data, and nothing else."""
    st.title(ctx.t(title_key))
    if caption:
        st.caption(caption)
    if not ctx.has_data:
        no_data(ctx)
        st.stop()


def format_metric(metric: str, value: float | None, lang: str) -> str:
    if metric in MONEY_METRICS:
        return format_money(value, lang, compact=True)
    if metric in RATE_METRICS:
        return format_percent(value)
    return format_number(value, lang, compact=value is not None and abs(value) >= 100_000)


KPI_CARD_WIDTH = 184  # px: "¥351.4万" and "Repeat-purchase rate" fit; 4 cards a row at 1280 px, 5 at 1440 px


def kpi_cards(ctx: PageContext, kpis: pd.DataFrame, *, prefix: str = "overview.kpi") -> None:
    """One st.metric per KPI row (metric, current, previous, change), change as a signed percentage.

    Cards of one fixed width in a wrapping row: as many a line as fit, never a cut-off value.
    """
    cards = st.container(horizontal=True)
    for row in kpis.to_dict("records"):
        metric = row["metric"]
        change = row["change"]
        delta = None if change is None or pd.isna(change) else format_percent(change, signed=True)
        cards.metric(
            ctx.t(f"{prefix}.{metric}"),
            format_metric(metric, row["current"], ctx.lang),
            delta=delta,
            delta_color="inverse" if metric in LOWER_IS_BETTER else "normal",
            help=ctx.t(f"{prefix}.{metric}.help", previous=format_metric(metric, row["previous"], ctx.lang)),
            border=True, width=KPI_CARD_WIDTH,
        )


def empty_state(ctx: PageContext, key: str = "common.empty.filters") -> None:
    """A friendly message when there is nothing to show, with the way out."""
    st.info(ctx.t(key), icon=":material/filter_alt_off:")


def no_data(ctx: PageContext) -> None:
    """Shown when the database has no orders at all."""
    st.warning(ctx.t("common.empty.no_data"), icon=":material/database:")
    st.page_link("pages/data.py", label=ctx.t("nav.data"), icon=":material/upload:")


def download_buttons(ctx: PageContext, df: pd.DataFrame, file_stem: str, key: str) -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of `df`, generated when clicked."""
    row = st.container(horizontal=True, gap="small")  # buttons as wide as their labels: never clipped
    row.download_button(
        ctx.t("common.download.csv"), data=lambda: export.to_csv_bytes(df), file_name=f"{file_stem}.csv",
        mime="text/csv", key=f"{key}.csv", icon=":material/download:", on_click="ignore",
    )
    row.download_button(
        ctx.t("common.download.xlsx"), data=lambda: export.to_xlsx_bytes(df), file_name=f"{file_stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}.xlsx",
        icon=":material/table_view:", on_click="ignore",
    )


def style_figure(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """House look for Plotly charts: compact margins, legend on top, CJK-capable font."""
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        font=dict(family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"),
        colorway=PALETTE, hovermode="x unified",
    )
    return fig


def chart(fig: go.Figure, key: str) -> None:
    """Draw a Plotly figure full-width; its toolbar downloads a PNG."""
    st.plotly_chart(
        fig, key=key, width="stretch",
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}},
    )


def bar(df: pd.DataFrame, x: str, y: str, *, orientation: str = "v", labels: dict | None = None,
        color: str | None = None, text: str | None = None) -> go.Figure:
    fig = px.bar(df, x=x, y=y, orientation=orientation, labels=labels or {}, color=color, text=text)
    fig.update_traces(marker_color=None if color else PALETTE[0])
    return style_figure(fig)
