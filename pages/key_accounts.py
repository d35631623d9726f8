"""Key accounts (大客户): who they are, what they weigh, who needs attention, and one customer's 360° view."""

import plotly.express as px
import streamlit as st

from crm.access import privacy
from crm.periods import month_coverage
from crm.value import customer360, key_accounts
from crm.errors import CRMInputError
from crm.formatting import escape_markdown, format_date, format_money, format_number, format_percent
from ui import access
from ui import components as ui
from ui import guard
from ui import privacy as contact_ui
from ui import retention as retention_ui
from ui import state
from ui.cache import cached
from ui.labels import label_series, value_label
from ui.shell import page_context

ctx = page_context()
f = ctx.filters
ui.page_header(ctx, "keyacc.title", ctx.t("keyacc.caption"))
money = ui.MONEY

# ------------------------------------------------------------------ definition
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1])
    mode = c1.radio(ctx.t("keyacc.mode"), ["top_share", "top_n", "thresholds"], key="ka.mode",
                    format_func=lambda m: ctx.t(f"keyacc.mode.{m}"))
    by = c2.selectbox(ctx.t("keyacc.by"), key_accounts.BY, key="ka.by", format_func=lambda b: ctx.t(f"keyacc.col.{b}"))
    selection: dict = {}
    if mode == "top_share":
        selection["top_share"] = c3.number_input(ctx.t("keyacc.top_share"), min_value=0.1, max_value=100.0,
                                                 value=5.0, step=0.5, key="ka.top_share") / 100
    elif mode == "top_n":
        selection["top_n"] = int(c3.number_input(ctx.t("keyacc.top_n"), min_value=1, value=100, step=10,
                                                 key="ka.top_n"))
    else:
        selection["min_revenue"] = c3.number_input(ctx.t("keyacc.min_revenue"), min_value=0.0, value=50_000.0,
                                                   step=5_000.0, key="ka.min_revenue")
        selection["min_orders"] = int(c4.number_input(ctx.t("keyacc.min_orders"), min_value=0, value=0, step=1,
                                                      key="ka.min_orders")) or None

try:
    accounts = cached(key_accounts.select_key_accounts, f, by=by, **selection)
except CRMInputError as exc:
    st.error(guard.error_text(exc, ctx.lang))
    st.stop()

m1, m2, m3, m4 = st.columns(4)
m1.metric(ctx.t("keyacc.metric.accounts"), format_number(accounts.customers, ctx.lang),
          help=ctx.t("keyacc.metric.accounts.help", total=format_number(accounts.total_customers, ctx.lang)))
m2.metric(ctx.t("keyacc.metric.revenue_share"), format_percent(accounts.revenue_share))
m3.metric(ctx.t("keyacc.metric.profit_share"), format_percent(accounts.profit_share))
m4.metric(ctx.t("keyacc.metric.customer_share"),
          format_percent(accounts.customers / accounts.total_customers if accounts.total_customers else None))
if accounts.customers:
    st.markdown(ctx.t("keyacc.headline", accounts=format_number(accounts.customers, ctx.lang),
                      revenue=format_percent(accounts.revenue_share), profit=format_percent(accounts.profit_share)))

table = accounts.table
if table.empty:
    ui.empty_state(ctx)
    st.stop()
table = table.merge(cached(customer360.contacts, table["customer_id"]), on="customer_id", how="left")

# Rank and name always show; then what the user acts on; technical columns are optional.
ALWAYS = ["rank", "name"]
OPTIONAL = ["revenue", "change", "trend", "reason", "segment", "tier", "open_complaints", "last_order_date",
            "orders", "profit", "margin", "avg_order_value", "prev_revenue", "days_since_last_order",
            "customer_id", "customer_type", "province", "phone", "email"]
DEFAULT_SHOWN = OPTIONAL[:8]
PERIOD_FIGURES = {"revenue", "profit", "orders", "margin", "avg_order_value"}  # labelled "(this period)"


def heading(column: str) -> str:
    label = ctx.t(f"keyacc.col.{column}")
    return ctx.t("scope.period", label=label) if column in PERIOD_FIGURES else label


columns = {c: heading(c) for c in ALWAYS + OPTIONAL}
contact = {columns["phone"]: "phone", columns["email"]: "email"}  # masked on screen; see ui.components downloads
drop, inactive = st.session_state.get(state.KA_DROP, 30), st.session_state.get(state.KA_INACTIVE, 90)


def present(df):
    """Codes to labels, columns to the reader's language, in display order; no missing value shows as None."""
    reasons = key_accounts.alert_reasons(df, drop_share=drop / 100, inactive_days=int(inactive))
    out = df.assign(
        trend=df["trend"].map(lambda c: ctx.t(f"key_accounts.trend.{c}")),
        reason=reasons.map(lambda r: ctx.t(f"key_accounts.reason.{r}") if r else "").to_numpy(),
        segment=df["segment"].map(lambda c: ctx.t(f"rfm.segment.{c}") if isinstance(c, str) else "").astype("string").fillna(""),
        tier=df["tier"].map(lambda c: ctx.t(f"loyalty.tier.{c}") if isinstance(c, str) else "").astype("string").fillna(""),
        customer_type=label_series(df["customer_type"], "customer_types", ctx.lang),
        province=label_series(df["province"], "provinces", ctx.lang),
    )
    return out[list(columns)].rename(columns=columns)


kinds = {columns["revenue"]: "money", columns["profit"]: "money", columns["prev_revenue"]: "money",
         columns["avg_order_value"]: "money", columns["margin"]: "percent", columns["change"]: "percent",
         columns["last_order_date"]: "date"}
config = {
    columns["rank"]: st.column_config.NumberColumn(width=48, pinned=True),
    columns["name"]: st.column_config.TextColumn(width="medium", pinned=True),
    columns["revenue"]: st.column_config.ProgressColumn(format="¥%,.0f", min_value=0, width="medium",
                                                        max_value=float(table["revenue"].max() or 1)),
}


def shown_columns() -> list[str]:
    """The optional columns the user chose on the list tab (its default until then)."""
    return st.session_state.get(state.KA_COLUMNS, DEFAULT_SHOWN)


def show_list() -> None:
    """The ranked list; a picked row becomes the 360 view's customer."""
    st.caption(ctx.t("keyacc.note.list", as_of=format_date(f.as_of, ctx.lang)))
    search_col, picker_col = st.columns([1, 2])
    search = search_col.text_input(ctx.t("keyacc.search"), key="ka.search",
                                   placeholder=ctx.t("privacy.search.placeholder"))  # the list searches id and name only
    optional = picker_col.multiselect(ctx.t("keyacc.columns"), OPTIONAL, default=DEFAULT_SHOWN, key=state.KA_COLUMNS,
                                      format_func=lambda c: columns[c], help=ctx.t("keyacc.columns.help"),
                                      placeholder=ctx.t("keyacc.columns"))
    listing = key_accounts.search_table(table, search)
    shown = present(listing)
    if len(shown) > ui.MAX_ROWS_SHOWN:
        st.caption(ctx.t("common.rows_shown", shown=f"{ui.MAX_ROWS_SHOWN:,}", total=f"{len(shown):,}"))
    event = ui.dataframe(privacy.for_display(shown.head(ui.MAX_ROWS_SHOWN), contact, access.current().role),
                         kinds=kinds, column_config=config, key="ka.table",
                         column_order=[columns[c] for c in ALWAYS + [c for c in OPTIONAL if c in optional]],
                         on_select="rerun", selection_mode="single-row")
    ui.download_buttons(ctx, shown, "key_accounts", key="ka.download", kinds=kinds, title=ctx.t("keyacc.tab.list"),
                        contact=contact)
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    if rows:
        picked = listing.iloc[rows[0]]
        st.session_state[state.KA_PICKED] = picked["customer_id"]
        st.caption(ctx.t("keyacc.picked", customer=escape_markdown(f"{picked['name'] or ''} · {picked['customer_id']}")))

def show_alerts() -> None:
    """Key accounts whose revenue fell or who stopped buying."""
    st.caption(ctx.t("keyacc.note.list", as_of=format_date(f.as_of, ctx.lang)))
    c1, c2 = st.columns(2)
    drop = c1.slider(ctx.t("keyacc.alerts.drop"), min_value=5, max_value=95, value=30, step=5, key=state.KA_DROP,
                     format="%d%%")
    inactive = c2.number_input(ctx.t("keyacc.alerts.inactive"), min_value=1, value=90, step=15, key=state.KA_INACTIVE)
    alerts = key_accounts.key_account_alerts(table, drop_share=drop / 100, inactive_days=int(inactive))
    if alerts.empty:
        st.success(ctx.t("keyacc.alerts.none"), icon=":material/verified:")
    else:
        st.warning(ctx.t("keyacc.alerts.count", count=format_number(len(alerts), ctx.lang)),
                   icon=":material/notification_important:")
        shown_alerts = present(alerts)
        ui.dataframe(privacy.for_display(shown_alerts, contact, access.current().role), kinds=kinds,
                     column_config=config, key="ka.alerts.table",
                     column_order=[columns[c] for c in ALWAYS + ["reason"]
                                   + [c for c in OPTIONAL if c in shown_columns() and c != "reason"]])
        ui.download_buttons(ctx, shown_alerts, "key_account_alerts", key="ka.alerts.download", kinds=kinds,
                            title=ctx.t("keyacc.tab.alerts"), contact=contact)

def show_360() -> None:
    """One customer's 360° view."""
    query_text = st.text_input(ctx.t("keyacc.360.search"), key="ka.360.search",
                               placeholder=ctx.t("keyacc.search.placeholder" if access.can("contact.search")
                                                 else "privacy.search.placeholder"))
    candidates = (cached(customer360.search_customers, query_text.strip(), 20, contact=access.can("contact.search"))
                  if query_text.strip() else None)
    options = list(candidates["customer_id"]) if candidates is not None else []
    picked = st.session_state.get(state.KA_PICKED)
    if picked and picked not in options:
        options.insert(0, picked)
    if not options:
        options = list(table["customer_id"].head(20))
    names = dict(zip(table["customer_id"], table["name"]))
    if candidates is not None:
        names.update(zip(candidates["customer_id"], candidates["name"]))
    customer_id = st.selectbox(ctx.t("keyacc.360.customer"), options, key="ka.360.customer",
                               format_func=lambda c: f"{c} · {names.get(c) or ''}")
    if customer_id:
        try:
            info = cached(customer360.profile, customer_id, f.as_of)
        except CRMInputError as exc:
            st.error(guard.error_text(exc, ctx.lang))
        else:
            st.subheader(f"{escape_markdown(info.get('name') or customer_id)} · {escape_markdown(customer_id)}")
            if info.get("segment"):
                st.badge(ctx.t(f"rfm.segment.{info['segment']}"), icon=":material/donut_large:", color="blue")
            period = cached(customer360.period_totals, customer_id, f)
            st.caption(ctx.t("keyacc.note.360", start=format_date(f.start, ctx.lang), end=format_date(f.end, ctx.lang)))
            # Two rows of the same three figures, all time and this period; cards as wide as their text
            # (wrapping to a new line when narrow), so a long date or amount is never cut off.
            for scope, figures, fourth in (
                ("lifetime", info, (ctx.t("keyacc.360.last_order"), format_date(info.get("last_order_date"), ctx.lang))),
                ("period", period, (ctx.t("keyacc.360.tier"),
                                    ctx.t(f"loyalty.tier.{info['tier']}") if info.get("tier") else ui.MISSING)),
            ):
                cards = st.container(horizontal=True)
                for name in ("revenue", "orders", "profit"):
                    value = figures.get(name)
                    text = (format_money(value, ctx.lang, compact=True) if name != "orders"
                            else format_number(value, ctx.lang))
                    cards.metric(ctx.t(f"scope.{scope}", label=ctx.t(f"keyacc.col.{name}")), text, border=True,
                                 width="content")
                cards.metric(fourth[0], fourth[1], border=True, width="content")
            details = {
                ctx.t("keyacc.360.province"): value_label("provinces", info.get("province"), ctx.lang),
                ctx.t("keyacc.360.city"): (value_label("cities", info.get("city"), ctx.lang)
                                           if info.get("city") else None),
                ctx.t("keyacc.360.channel"): value_label("channels", info.get("acquisition_channel"), ctx.lang),
                ctx.t("keyacc.360.since"): format_date(info.get("first_order_date"), ctx.lang),
                ctx.t("keyacc.360.rfm"): f"R{info.get('r_score', '—')} F{info.get('f_score', '—')} M{info.get('m_score', '—')}",
                ctx.t("keyacc.360.points"): format_number(info.get("points"), ctx.lang),
                ctx.t("keyacc.col.open_complaints"): format_number(info.get("open_complaints"), ctx.lang),
            }
            st.markdown(" · ".join(f"**{k}** {escape_markdown(v) if v not in (None, '') else '—'}"
                                   for k, v in details.items()))
            contact_ui.contact_details(ctx, customer_id, info.get("phone"), info.get("email"))
            retention_ui.customer_retention(ctx, customer_id, f.as_of)
            left, right = st.columns([3, 2])
            with left:
                history = cached(customer360.order_history, customer_id)
                if not history.empty:
                    coverage = month_coverage(history["month"], data_first=ctx.first_date, data_last=ctx.reference)
                    fig = px.bar(history, x="month", y="revenue",
                                 labels={"month": ctx.t("overview.col.month"),
                                         "revenue": ctx.t("scope.lifetime", label=ctx.t("keyacc.col.revenue"))})
                    fig.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
                    fig = ui.money_axis(ui.style_figure(fig, height=300), ctx.lang)
                    ui.chart(ui.mark_partial(fig, coverage["partial"]), key="ka.chart.history")
                    ui.partial_note(ctx, coverage)
            with right:
                mix = cached(customer360.category_mix, customer_id)
                if not mix.empty:
                    colours = ui.colour_map("categories", mix["category"],
                                            lambda v: value_label("categories", v, ctx.lang))
                    mix = mix.assign(category=label_series(mix["category"], "categories", ctx.lang))
                    fig = px.pie(mix, names="category", values="revenue", hole=0.45, color="category",
                                 color_discrete_map=colours)
                    ui.chart(ui.money_pie(ui.style_figure(fig, height=300), ctx.lang), key="ka.chart.mix")
            tickets = cached(customer360.tickets, customer_id)
            st.markdown(f"**{ctx.t('keyacc.360.tickets')}** ({format_number(len(tickets), ctx.lang)})")
            if not tickets.empty:
                tickets = tickets.assign(**{c: tickets[c].map(lambda v, c=c: ctx.t(f"keyacc.360.{c}.{v}")
                                                            if isinstance(v, str) else "")
                                            for c in ("type", "status", "channel")})
                ui.dataframe(tickets.rename(columns=lambda c: ctx.t(f"keyacc.360.col.{c}")), key="ka.360.tickets")
            answers = cached(customer360.survey_answers, customer_id)
            st.markdown(f"**{ctx.t('keyacc.360.surveys')}** ({format_number(len(answers), ctx.lang)})")
            if not answers.empty:
                answers = answers[["submitted_at", "survey_title", "question", "value_num", "value_text"]]
                ui.dataframe(answers.rename(columns=lambda c: ctx.t(f"keyacc.360.col.{c}")), key="ka.360.surveys")
            contact_ui.erase_panel(ctx, customer_id)


# Only the open tab is computed and drawn (the others cost nothing on a rerun).
TABS = {"list": show_list, "alerts": show_alerts, "360": show_360}
tabs = st.tabs([ctx.t(f"keyacc.tab.{name}") for name in TABS], key=state.KA_TAB, on_change="rerun")
for tab, show in zip(tabs, TABS.values()):
    if tab.open:
        with tab:
            show()
