"""Drawing helpers the pages share: KPI cards, tables, charts, downloads, empty states.

One place decides how things look in both languages:

* tables: `dataframe` formats columns by kind (money ¥1,234, counts 1,234,
  percentages 12.3 %, dates 2026-11-15) and never shows float noise or 00:00:00;
* downloads: `download_buttons` names files after the page, the period and the
  export date, and writes XLSX with a title row, number formats and a frozen header;
* charts: `money_axis` / `money_pie` label money in 万/亿 (zh) or K/M (en) with ¥,
  `mark_partial` + `partial_note` set incomplete months apart, and `colour_map`
  gives every category, channel, province, segment, tier … one fixed colour.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from crm import export
from crm.access import privacy
from crm.formatting import (PERCENT_DECIMALS, dates_without_midnight, escape_chart_text, format_money, format_number,
                            format_percent, money_ticks)
from crm.i18n import catalog
from crm.periods import month_end
from ui import access, state
from ui.labels import value_label
from ui.shell import PageContext

MONEY_METRICS = {"revenue", "avg_order_value", "profit"}
RATE_METRICS = {"repeat_rate"}
LOWER_IS_BETTER = {"lapsed_customers", "open_complaints"}

MISSING = "—"  # shown for a missing value in every table (st.dataframe's placeholder), never None / NaN / NaT
MAX_ROWS_SHOWN = 2000  # rows a table draws on screen; downloads always hold every row

PALETTE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#14b8a6", "#eab308", "#64748b"]


MONEY = st.column_config.NumberColumn(format="¥%,.0f")
SHARE = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)


def page_header(ctx: PageContext, title_key: str, caption: str | None = None, *, needs_data: bool = True) -> None:
    """Title and caption; on an empty database, the way to load data, and nothing else."""
    st.session_state[state.PAGE_TITLE] = title_key  # names the page in exported files
    st.title(ctx.t(title_key))
    if caption:
        st.caption(caption)
    if needs_data and not ctx.has_data:
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


def export_title(ctx: PageContext, table: str | None = None, *, period: bool = True) -> str:
    """The title row of an exported sheet: page (and table), period, as-of date, dimension filters, export date."""
    page = ctx.t(st.session_state.get(state.PAGE_TITLE, "app.title"))
    name = f"{page} · {table}" if table else page
    today = dt.date.today().isoformat()
    if not period:
        return ctx.t("display.export.title.plain", page=name, date=today)
    f = ctx.filters
    chosen = [
        ctx.t("display.export.filter", dimension=ctx.t(f"shell.filter.{dimension}"),
              values="、".join(value_label(dimension, v, ctx.lang) for v in getattr(f, dimension)))
        for dimension in ("provinces", "channels", "categories", "genders", "age_bands") if getattr(f, dimension)
    ]
    return ctx.t("display.export.title", page=name, start=f.start.isoformat(), end=f.end.isoformat(),
                 as_of=f.as_of.isoformat(), filters="；".join(chosen) if chosen else ctx.t("display.export.no_filters"),
                 date=today)


def download_buttons(ctx: PageContext, df: pd.DataFrame, file_stem: str, key: str, *,
                     kinds: dict[str, str] | None = None, title: str | None = None, period: bool = True,
                     contact: dict[str, str] | None = None) -> None:
    """CSV (UTF-8 with BOM) and XLSX downloads of `df`, generated when clicked; each download is audited.

    Files are named `<stem>_<start>_<end>_<yyyymmdd>` (without the period when
    `period` is False); the XLSX sheet opens with a title row naming the page,
    the filters and the export date. `kinds` declares money / percent / share /
    count / date columns (others are inferred from their dtype). `contact` names
    the columns holding phones or emails ({column: 'phone' | 'email'}): roles
    without ``contact.export`` download the table without them
    (``crm.access.privacy.for_export``).
    """
    df, with_contact = privacy.for_export(df, contact or {}, access.current().role)
    kinds = {c: k for c, k in (kinds or {}).items() if c in df.columns} or None
    today = dt.date.today()
    f = ctx.filters
    start, end = (f.start, f.end) if period else (None, None)
    heading = export_title(ctx, title, period=period)
    sheet = "".join(ch for ch in ctx.t(st.session_state.get(state.PAGE_TITLE, "app.title")) if ch not in "[]:*?/\\")
    row = st.container(horizontal=True, gap="small")  # buttons as wide as their labels, never clipped
    row.download_button(
        ctx.t("common.download.csv"), data=lambda: export.to_csv_bytes(df, kinds),
        file_name=export.file_name(file_stem, "csv", today, start, end),
        mime="text/csv", key=f"{key}.csv", icon=":material/download:", width="content",
        on_click=_record_export, args=(file_stem, "csv", len(df), with_contact),
    )
    row.download_button(
        ctx.t("common.download.xlsx"), data=lambda: export.to_xlsx_bytes(df, sheet or "data", title=heading, kinds=kinds),
        file_name=export.file_name(file_stem, "xlsx", today, start, end),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}.xlsx",
        icon=":material/table_view:", width="content",
        on_click=_record_export, args=(file_stem, "xlsx", len(df), with_contact),
    )
    if contact:
        row.caption(ctx.t("access.export.with_contact" if access.can("contact.export")
                          else "access.export.without_contact"))


def _record_export(file_stem: str, fmt: str, rows: int, with_contact: bool) -> None:
    access.record("export", {"file": f"{file_stem}.{fmt}"}, rows=rows, contact_fields=with_contact)


# ------------------------------------------------------------------ tables
def column_formats(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict[str, object]:
    """st.column_config for every column by kind: money ¥1,234; count 1,234; percent / share 12.3 %; dates.

    Percent and share columns must hold fractions; `dataframe` shows them ×100.
    """
    config: dict[str, object] = {}
    pct = f"%.{PERCENT_DECIMALS}f%%"
    for column, kind in export.column_kinds(df, kinds).items():
        if kind == "money":
            config[column] = st.column_config.NumberColumn(format="¥%,.0f")
        elif kind == "count":
            config[column] = st.column_config.NumberColumn(format="%,d")
        elif kind == "decimal":
            config[column] = st.column_config.NumberColumn(format="%,.2f")
        elif kind == "percent":
            config[column] = st.column_config.NumberColumn(format=pct)
        elif kind == "share":
            config[column] = st.column_config.ProgressColumn(format=pct, min_value=0, max_value=100)
        elif kind == "date":
            config[column] = st.column_config.DateColumn(format="YYYY-MM-DD")
        elif kind == "month":
            config[column] = st.column_config.DateColumn(format="YYYY-MM")
    return config


def display_frame(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """What a table shows: percentages ×100 (formatted with one decimal), dates without 00:00:00."""
    out = dates_without_midnight(df)
    for column, kind in export.column_kinds(df, kinds).items():
        if kind in ("percent", "share") and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype("float64") * 100
    return out


def dataframe(df: pd.DataFrame, *, kinds: dict[str, str] | None = None,
              column_config: dict[str, object] | None = None, **kwargs: object):
    """st.dataframe with every column formatted by kind (explicit `column_config` entries win)."""
    config = {**column_formats(df, kinds), **(column_config or {})}
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("placeholder", MISSING)
    return st.dataframe(display_frame(df, kinds), column_config=config, **kwargs)


def style_figure(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """House look for Plotly charts: compact margins, legend on top, CJK-capable font."""
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        font=dict(family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"),
        colorway=PALETTE, hovermode="x unified",
    )
    return fig


_TRACE_TEXT = ("x", "y", "labels", "parents", "ids", "text", "hovertext", "customdata", "name")


def _inert_labels(fig: go.Figure) -> go.Figure:
    """Stored text in a figure's traces with HTML made inert (Plotly renders <a href>, <b> in labels)."""
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            value = trace[attr] if attr in trace else None
            if isinstance(value, str):
                trace[attr] = escape_chart_text(value)
            elif isinstance(value, (tuple, list, np.ndarray)) and len(value):
                array = np.asarray(value, dtype=object)
                if any(isinstance(v, str) for v in array.flat):
                    trace[attr] = np.vectorize(escape_chart_text, otypes=[object])(array)
    return fig


def chart(fig: go.Figure, key: str) -> None:
    """Draw a Plotly figure full-width; its toolbar downloads a PNG. Text from the data shows literally."""
    _inert_labels(fig)
    st.plotly_chart(
        fig, key=key, width="stretch",
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}},
    )


def bar(df: pd.DataFrame, x: str, y: str, *, orientation: str = "v", labels: dict | None = None,
        color: str | None = None, text: str | None = None) -> go.Figure:
    fig = px.bar(df, x=x, y=y, orientation=orientation, labels=labels or {}, color=color, text=text)
    fig.update_traces(marker_color=None if color else PALETTE[0])
    return style_figure(fig)


# ------------------------------------------------------------------ colours
# One colour per stored value, the same on every page and under every filter
# (never by order of appearance). Values not listed get a colour from a hash of
# the value itself, so they too keep it.
_SPARE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#14b8a6", "#eab308", "#64748b", "#ec4899",
          "#84cc16", "#0ea5e9", "#d946ef", "#f59e0b", "#22c55e", "#6366f1", "#fb7185", "#06b6d4", "#a3a3a3",
          "#b45309", "#7c3aed", "#059669", "#dc2626", "#0284c7", "#ca8a04", "#9333ea", "#16a34a", "#e11d48",
          "#0891b2", "#65a30d", "#c026d3", "#ea580c", "#475569"]
COLOURS: dict[str, dict[str, str]] = {
    "categories": {"服装": "#2563eb", "鞋子": "#f97316", "包包": "#10b981", "配饰": "#a855f7", "美妆": "#ec4899",
                   "家居": "#14b8a6", "美食": "#eab308"},
    "channels": {"天猫旗舰店": "#ef4444", "京东": "#e11d48", "微信小程序": "#22c55e", "官网": "#2563eb",
                 "线下门店": "#f59e0b"},
    "genders": {"F": "#ec4899", "M": "#2563eb"},
    "age_bands": {"u25": "#bae6fd", "25_34": "#7dd3fc", "35_44": "#38bdf8", "45_54": "#0284c7", "55p": "#075985",
                  "unknown": "#a3a3a3"},
    "customer_types": {"individual": "#2563eb", "company": "#f97316"},
    "segments": {"important_value": "#15803d", "important_development": "#22c55e", "important_retention": "#2563eb",
                 "important_winback": "#dc2626", "general_value": "#86efac", "general_development": "#a855f7",
                 "general_retention": "#93c5fd", "general_winback": "#fca5a5"},
    "tiers": {"normal": "#94a3b8", "silver": "#64748b", "gold": "#eab308", "diamond": "#0ea5e9"},
    "abc": {"A": "#15803d", "B": "#eab308", "C": "#94a3b8"},
    "stages": {"new": "#0ea5e9", "active": "#16a34a", "returning": "#a855f7", "dormant": "#f59e0b",
               "churned": "#94a3b8", "none": "#e2e8f0"},
    "first_order_bands": {"lt100": "#99f6e4", "100_300": "#2dd4bf", "300_1000": "#0d9488", "ge1000": "#134e4a"},
    # provinces: in the order of their labels in the catalog, one colour each
    "provinces": {key.rsplit(".", 1)[1]: _SPARE[i % len(_SPARE)]
                  for i, key in enumerate(sorted(k for k in catalog("zh") if k.startswith("value.provinces.")))},
}
UNKNOWN_COLOUR = "#cbd5e1"


def colour(dimension: str, value: object) -> str:
    """The fixed colour of one stored value (a category code, a segment code, a tier …)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return UNKNOWN_COLOUR
    fixed = COLOURS.get(dimension, {})
    if str(value) in fixed:
        return fixed[str(value)]
    digest = hashlib.sha1(f"{dimension}:{value}".encode("utf-8")).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def colour_map(dimension: str, values, label=None) -> dict[str, str]:
    """{shown label: colour} for Plotly's color_discrete_map; `label(value)` gives the label (default: the value)."""
    label = label or str
    return {label(v): colour(dimension, v) for v in dict.fromkeys(values)}


# ------------------------------------------------------------------ money on charts
def _axis_extent(fig: go.Figure, axis: str) -> tuple[float, float] | None:
    """Lowest and highest value drawn on the `axis` ('x' or 'y'); stacked bars are summed per category."""
    other = "y" if axis == "x" else "x"
    stacked = fig.layout.barmode in ("stack", "relative")
    totals: dict[object, float] = {}
    lows, highs = [], []
    for trace in fig.data:
        if trace.type not in ("bar", "scatter"):
            continue
        values = getattr(trace, axis)
        if values is None:
            continue
        series = pd.to_numeric(pd.Series(list(values)), errors="coerce")
        if series.notna().sum() == 0:
            continue
        if stacked and trace.type == "bar":
            keys = getattr(trace, other)
            for key, v in zip(list(range(len(series)) if keys is None else keys), series.fillna(0)):
                totals[key] = totals.get(key, 0.0) + float(v)
        lows.append(float(series.min()))
        highs.append(float(series.max()))
    if totals:
        lows.append(min(totals.values()))
        highs.append(max(totals.values()))
    if not highs:
        return None
    return min(0.0, *lows), max(0.0, *highs)


def money_axis(fig: go.Figure, lang: str, axis: str = "y", *, hover: bool = True) -> go.Figure:
    """Money on `axis` in the reader's units: ticks '¥50万' / '¥500K', hover '¥123.5万' / '¥1.24M'.

    Plotly formats ticks with SI prefixes only (k, M, G), so tick values and
    texts come from `crm.formatting.money_ticks`, and every trace's hover shows
    the value formatted by `format_money` (passed as customdata).
    """
    extent = _axis_extent(fig, axis)
    if extent is None:
        return fig
    values, texts = money_ticks(*extent, lang, target=6)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(tickvals=values, ticktext=texts, tickprefix=None, tickformat=None)
    if hover:
        other = "x" if axis == "y" else "y"
        for trace in fig.data:
            if trace.type not in ("bar", "scatter") or getattr(trace, axis) is None:
                continue
            amounts = list(getattr(trace, axis))
            trace.customdata = [[format_money(v, lang, compact=True)] for v in amounts]
            name = trace.name or ""
            keys = getattr(trace, other)
            if keys is not None and len(keys) == 1 and str(keys[0]) == name:
                name = ""  # one bar per category (coloured by it): the category already heads the label
            where = "" if fig.layout.hovermode == "x unified" else f"%{{{other}}}<br>"
            trace.hovertemplate = f"{where}{name + ': ' if name else ''}%{{customdata[0]}}<extra></extra>"
    return fig


def money_pie(fig: go.Figure, lang: str) -> go.Figure:
    """Pie / treemap hover with money in the reader's units and shares with one decimal; slices keep data order."""
    for trace in fig.data:
        if trace.type == "pie":
            trace.customdata = [[format_money(v, lang, compact=True)] for v in trace.values]
            trace.hovertemplate = "%{label}<br>%{customdata[0]} · %{percent:.1%}<extra></extra>"
            trace.texttemplate = "%{percent:.1%}"
            trace.sort = False
    return fig


# ------------------------------------------------------------------ partial periods
PARTIAL_OPACITY = 0.45


def mark_partial(fig: go.Figure, partial: list[bool]) -> go.Figure:
    """Draw incomplete buckets apart: lighter hatched bars, dashed line segments, open markers.

    `partial` holds one flag per x position (from `crm.periods.month_coverage`).
    Call after `money_axis` so the hover texts carry over.
    """
    flags = [bool(p) for p in partial]
    if not any(flags):
        return fig
    n = len(flags)
    extra = []
    grouped = fig.layout.barmode in (None, "group")  # grouped bars: the partial ones must take their month's slot
    for index, trace in enumerate(list(fig.data)):
        if trace.x is None or len(trace.x) != n:
            continue
        colour_ = None
        if trace.type in ("bar", "scatter"):
            colour_ = (trace.marker.color if trace.type == "bar" else trace.line.color) or \
                (fig.layout.colorway or PALETTE)[index % len(fig.layout.colorway or PALETTE)]
        if trace.type == "bar":  # the partial bars as a trace of their own, so the legend shows the full look
            ys = list(trace.y)
            trace.marker.color = colour_
            extra.append(go.Bar(
                x=[x for x, p in zip(trace.x, flags) if p], y=[y for y, p in zip(ys, flags) if p],
                name=trace.name, legendgroup=trace.name, showlegend=False, hovertemplate=trace.hovertemplate,
                customdata=[c for c, p in zip(trace.customdata, flags) if p] if trace.customdata is not None else None,
                marker=dict(color=colour_, opacity=PARTIAL_OPACITY, pattern=dict(shape="/", solidity=0.3)),
                offsetgroup=f"partial.{index}" if grouped else None, xaxis=trace.xaxis, yaxis=trace.yaxis))
            if grouped:
                trace.offsetgroup = f"partial.{index}"
            trace.y = [None if p else y for y, p in zip(ys, flags)]
            trace.legendgroup = trace.name
        elif trace.type == "scatter":
            ys = list(trace.y)
            near = [flags[i] or (i > 0 and flags[i - 1]) or (i + 1 < n and flags[i + 1]) for i in range(n)]
            trace.y = [None if flags[i] else ys[i] for i in range(n)]
            trace.line.color = colour_
            extra.append(go.Scatter(x=list(trace.x), y=[ys[i] if near[i] else None for i in range(n)], mode="lines",
                                    line=dict(color=colour_, dash="dash"), hoverinfo="skip", showlegend=False,
                                    xaxis=trace.xaxis, yaxis=trace.yaxis))
            extra.append(go.Scatter(
                x=[x for x, p in zip(trace.x, flags) if p], y=[y for y, p in zip(ys, flags) if p], mode="markers",
                marker=dict(color="white", line=dict(color=colour_, width=2), size=8), showlegend=False,
                name=trace.name, hovertemplate=trace.hovertemplate,
                customdata=[c for c, p in zip(trace.customdata, flags) if p] if trace.customdata is not None else None,
                xaxis=trace.xaxis, yaxis=trace.yaxis))
    for trace in extra:
        fig.add_trace(trace)
    return fig


def partial_note(ctx: PageContext, coverage: pd.DataFrame) -> None:
    """A caption naming each incomplete month: '2026-11 到 11-15 为止，不完整'."""
    notes = []
    for row in coverage[coverage["partial"]].itertuples():
        month = row.month.strftime("%Y-%m")
        starts_late = row.covered_from > row.month
        ends_early = row.covered_to < month_end(row.month)
        if starts_late and ends_early:
            notes.append(ctx.t("display.partial.between", month=month, first=row.covered_from.strftime("%m-%d"),
                               last=row.covered_to.strftime("%m-%d")))
        elif starts_late:
            notes.append(ctx.t("display.partial.from", month=month, first=row.covered_from.strftime("%m-%d")))
        else:
            notes.append(ctx.t("display.partial.until", month=month, last=row.covered_to.strftime("%m-%d")))
    if notes:
        st.caption(ctx.t("display.partial.note", months="；".join(notes) if ctx.lang == "zh" else "; ".join(notes)),
                   help=ctx.t("display.partial.help"))
