"""The Data page's dimension step and templates: unknown category / channel / province values
with a select each (keep or map to a known value), and the template downloads per file kind.

Detection, suggestions and memory are `crm.intake.vocabulary`'s; templates `crm.intake.templates`'.
"""

from __future__ import annotations

import streamlit as st

from crm.formatting import format_number
from crm.intake import imports, templates, vocabulary
from ui import state
from ui.cache import cached
from ui.labels import value_label
from ui.shell import PageContext

KEEP = ""  # choice: keep the value as it is
SHOWN_PER_DIMENSION = 60
_LABEL_GROUP = {"category": "categories", "channel": "channels", "province": "provinces"}


def _option_label(ctx: PageContext, dimension: str, value: str) -> str:
    """A known value, with its English label in the English UI (天猫旗舰店 · Tmall flagship store)."""
    label = value_label(_LABEL_GROUP[dimension], value, ctx.lang)
    return value if label == value else f"{label} · {value}"


def values_editor(ctx: PageContext, plan: imports.ImportPlan, file_key: str) -> imports.ImportPlan:
    """List the values the database has not seen (and remembered mappings), one select each;
    return `plan` with the choices applied (what the preview shows and the import writes)."""
    shown = vocabulary.unknown_values(plan.values)
    if shown.empty or plan.already_imported:
        return plan
    unknown = int((~shown["known"] & shown["remembered"].isna()).sum())  # not decided in an earlier import
    if unknown:
        st.warning(ctx.t("data.values.warning", count=format_number(unknown, ctx.lang)), icon=":material/rule:")
    choices: dict[str, dict[str, str | None]] = {}
    with st.container(border=True, key="data.values"):
        st.markdown(f"**{ctx.t('data.values.title')}**")
        st.caption(ctx.t("data.values.help"))
        for dimension in dict.fromkeys(shown["dimension"]):
            part = shown.loc[shown["dimension"] == dimension]
            name = ctx.t(f"imports.field.{dimension}")
            st.markdown(ctx.t("data.values.dimension", dimension=name[:1].upper() + name[1:],
                              count=format_number(len(part), ctx.lang)))
            known = cached(vocabulary.known_values, dimension)
            grid = st.columns(2)
            rows = part.head(SHOWN_PER_DIMENSION)
            for i, (value, count, suggestion, remembered) in enumerate(
                zip(rows["value"], rows["rows"], rows["suggestion"], rows["remembered"])
            ):
                first = [v for v in (remembered, suggestion) if v]
                options = [KEEP, *dict.fromkeys(first + [v for v in known if v != value])]
                default = first[0] if first else KEEP

                def label(option: str, suggestion=suggestion, remembered=remembered, dimension=dimension) -> str:
                    if option == KEEP:
                        return ctx.t("data.values.keep")
                    text = _option_label(ctx, dimension, option)
                    if option == suggestion and not remembered:
                        return ctx.t("data.values.suggested", value=text)
                    return text

                cell = grid[i % 2]
                picked = cell.selectbox(
                    ctx.t("data.values.label.one", value=value) if count == 1
                    else ctx.t("data.values.label", value=value, rows=format_number(count, ctx.lang)), options,
                    index=options.index(default), format_func=label,
                    key=f"{state.IMPORT_VALUES}.{file_key}.{plan.kind}.{dimension}.{value}",
                )
                if remembered and picked == remembered:
                    cell.caption(ctx.t("data.values.auto"))
                choices.setdefault(dimension, {})[value] = picked or None
            if len(part) > SHOWN_PER_DIMENSION:
                st.caption(ctx.t("data.values.more", count=format_number(len(part) - SHOWN_PER_DIMENSION, ctx.lang)))
    return imports.choose_values(plan, choices)


def template_buttons(ctx: PageContext, kind: str, container) -> None:
    """CSV and XLSX templates of `kind` in the page's language, generated when clicked."""
    container.markdown(f"**{ctx.t('data.template.title')}**", help=ctx.t("data.template.help"))
    left, right = container.columns(2)
    stem = f"template_{kind}_{ctx.lang}"
    left.download_button(
        ctx.t("data.template.csv"), data=lambda: templates.template_csv(kind, ctx.lang), file_name=f"{stem}.csv",
        mime="text/csv", key=f"{state.IMPORT_TEMPLATE}.{kind}.csv", icon=":material/download:", on_click="ignore",
        width="stretch",
    )
    right.download_button(
        ctx.t("data.template.xlsx"), data=lambda: templates.template_xlsx(kind, ctx.lang), file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{state.IMPORT_TEMPLATE}.{kind}.xlsx", icon=":material/table_view:", on_click="ignore", width="stretch",
    )


def remembered_list(ctx: PageContext, container) -> None:
    """The mappings imports apply automatically, read-only, in an expander (nothing when there are none)."""
    table = cached(vocabulary.remembered_mappings)
    if table.empty:
        return
    with container.expander(ctx.t("data.values.memory", count=format_number(len(table), ctx.lang))):
        st.caption(ctx.t("data.values.memory.help"))
        names = {d: ctx.t(f"imports.field.{d}") for d in vocabulary.ALL_DIMENSIONS}
        shown = table.assign(dimension=table["dimension"].map(lambda d: names[d][:1].upper() + names[d][1:]))[
            ["dimension", "source_value", "target_value"]]
        st.dataframe(shown.rename(columns={c: ctx.t(f"data.values.col.{c}") for c in shown.columns}),
                     hide_index=True, width="stretch", key=state.IMPORT_MEMORY)
