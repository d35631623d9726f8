"""The frame around every page: language, sidebar filters, URL mirroring.

Every page starts with ``ctx = page_context()``, which draws the sidebar and
returns the language and filters. Filter values live in one session-state dict
(`state.VALUES`) that outlives page switches; the widgets are re-seeded from it
on every run and write back through ``on_change``. The values are read from the
URL once per session and written back to the URL on every run, so a copied
link opens the same view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from crm.value import overview
from crm.store.filters import DIMENSIONS, Filters, default_filters
from crm.i18n import LANGUAGES, normalise_language, t
from ui import state
from ui.cache import cached
from ui.labels import value_label

# The browser tab's icon, served by this server (a `:material/…:` icon would be fetched from Google's font host).
FAVICON = str(Path(__file__).parent / "assets" / "favicon.png")


@dataclass(frozen=True)
class PageContext:
    """What a page needs from the frame."""

    lang: str
    filters: Filters
    first_date: dt.date | None
    reference: dt.date | None  # latest order date in the data

    @property
    def has_data(self) -> bool:
        return self.reference is not None

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)


def _values() -> dict[str, Any]:
    return st.session_state.setdefault(state.VALUES, {})


def _remember(key: str) -> None:
    """on_change: copy a widget's new value into the store."""
    _values()[key] = st.session_state[key]
    if key in (state.PERIOD, state.AS_OF):
        _keep_as_of_after_end()


def _keep_as_of_after_end() -> None:
    """An as-of date before the period end is moved to the period end, and the move is noted.

    The period's figures count orders up to its end while recency, open
    complaints and tiers are measured on the as-of date: an as-of inside the
    period would measure a state before orders the period counts. The sidebar
    shows the note (`state.AS_OF_MOVED`) until the next valid date change.
    """
    values = _values()
    period, as_of = values.get(state.PERIOD) or (), values.get(state.AS_OF)
    if len(period) == 2 and as_of is not None and as_of < period[1]:
        values[state.AS_OF] = period[1]
        values[state.AS_OF_MOVED] = (as_of, period[1])
    else:
        values.pop(state.AS_OF_MOVED, None)


def _seed(key: str) -> dict[str, Any]:
    """Give a widget its stored value before it is drawn; return its kwargs."""
    st.session_state[key] = _values()[key]
    return {"key": key, "on_change": _remember, "args": (key,)}


def language() -> str:
    """The language of this run: the sidebar choice, else the URL, else the browser locale."""
    values = _values()
    if state.LANG not in values:
        locale = getattr(st.context, "locale", None)
        values[state.LANG] = normalise_language(st.query_params.get("lang") or locale)
    return values[state.LANG]


def language_switch(lang: str) -> None:
    """The language radio (the sidebar's, also on the sign-in page)."""
    st.radio(
        t("shell.language", lang), LANGUAGES, horizontal=True,
        format_func=lambda code: t(f"shell.language.{code}", code), **_seed(state.LANG),
    )


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _clamp(day: dt.date, low: dt.date | None, high: dt.date | None) -> dt.date:
    if low and day < low:
        return low
    if high and day > high:
        return high
    return day


def _lowest_date(first: dt.date | None, reference: dt.date | None) -> dt.date | None:
    return min(first, default_filters(reference).start) if first else None


def _init_from_url(first: dt.date | None, reference: dt.date | None, options: dict[str, list[str]]) -> None:
    """Fill the stored filter values from the URL (once per session), else defaults."""
    values = _values()
    if values.get(state.INITIALISED):
        return
    qp = st.query_params
    defaults = default_filters(reference)
    low = _lowest_date(first, reference)
    start = _parse_date(qp.get("start")) or defaults.start
    end = _parse_date(qp.get("end")) or defaults.end
    as_of = _parse_date(qp.get("as_of")) or defaults.as_of
    if start > end:
        start, end = defaults.start, defaults.end
    values[state.PERIOD] = (_clamp(start, low, reference), _clamp(end, low, reference))
    values[state.AS_OF] = _clamp(as_of, low, reference)
    _keep_as_of_after_end()
    for dimension, (key, param) in state.DIMENSION_KEYS.items():
        raw = qp.get(param, "")
        allowed = set(options.get(dimension, []))
        values[key] = [v for v in raw.split(",") if v in allowed] if raw else []
    values[state.INITIALISED] = True


def _reset_filters(reference: dt.date | None) -> None:
    defaults = default_filters(reference)
    values = _values()
    values[state.PERIOD] = (defaults.start, defaults.end)
    values[state.AS_OF] = defaults.as_of
    values.pop(state.AS_OF_MOVED, None)
    for key, _ in state.DIMENSION_KEYS.values():
        values[key] = []


def current_filters(reference: dt.date | None) -> Filters:
    """The filters held in the store (a half-picked date range keeps its first day)."""
    values = _values()
    defaults = default_filters(reference)
    period = values.get(state.PERIOD) or (defaults.start, defaults.end)
    start, end = (period[0], period[1]) if len(period) == 2 else (period[0], period[0])
    return Filters(
        start=start, end=end, as_of=values.get(state.AS_OF) or defaults.as_of,
        **{d: tuple(values.get(state.DIMENSION_KEYS[d][0], [])) for d in DIMENSIONS},
    )


def _write_url(lang: str, filters: Filters) -> None:
    wanted = {"lang": lang, "start": filters.start.isoformat(), "end": filters.end.isoformat(),
              "as_of": filters.as_of.isoformat()}
    for dimension, (_, param) in state.DIMENSION_KEYS.items():
        chosen = getattr(filters, dimension)
        if chosen:
            wanted[param] = ",".join(chosen)
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != wanted:
        st.query_params.from_dict(wanted)


def _ensure_router() -> None:
    """Make sure the page runs inside app.py's router, not alone.

    With a folder named ``pages/`` beside the entrypoint, Streamlit starts in its
    legacy pages-directory mode (``PagesManager.uses_pages_directory``, set from
    that folder's existence when the first session opens) and stays there until
    a script calls ``st.navigation``. A link such as ``/segments?lang=en`` opened
    as the server's first request therefore runs ``pages/segments.py`` alone,
    without app.py (no page config, file names in the navigation). The page's
    first line lands here: leave that mode and rerun. The rerun keeps the page's
    hash, which is the hash of its URL path; app.py registers every page under
    its file's name, so the router finds the same page and the URL stays.
    """
    from streamlit.runtime.pages_manager import PagesManager

    routed = st.session_state.pop(state.ROUTED, False)  # app.py marks every run it routes
    if not routed:
        PagesManager.uses_pages_directory = False
        st.rerun()


def mark_routed() -> None:
    """Called by app.py just before it runs the page: this run went through the router."""
    st.session_state[state.ROUTED] = True


def page_context(*, filters: bool = True) -> PageContext:
    """Draw the sidebar (language switch, and the filters unless `filters` is False); return the context."""
    _ensure_router()
    lang = language()
    data_range = cached(overview.data_range)
    first, reference = data_range["first"], data_range["last"]
    options = cached(overview.filter_options)
    _init_from_url(first, reference, options)
    low = _lowest_date(first, reference)

    with st.sidebar:
        language_switch(lang)
        if filters:
            st.subheader(t("shell.filters", lang))
            st.date_input(
                t("shell.filter.period", lang), min_value=low, max_value=reference,
                help=t("shell.filter.period.help", lang), format="YYYY-MM-DD", **_seed(state.PERIOD),
            )
            st.date_input(
                t("shell.filter.as_of", lang), min_value=low, max_value=reference,
                help=t("shell.filter.as_of.help", lang), format="YYYY-MM-DD", **_seed(state.AS_OF),
            )
            moved = _values().get(state.AS_OF_MOVED)
            if moved:
                st.warning(t("shell.filter.as_of.moved", lang, chosen=moved[0].isoformat(),
                             end=moved[1].isoformat()), icon=":material/event_busy:")
            for dimension in DIMENSIONS:
                key, _ = state.DIMENSION_KEYS[dimension]
                st.multiselect(
                    t(f"shell.filter.{dimension}", lang), options.get(dimension, []),
                    format_func=lambda value, d=dimension: value_label(d, value, lang),
                    placeholder=t("shell.filter.all", lang), select_all=False,  # empty already means all
                    **_seed(key),
                )
            st.button(t("shell.filter.reset", lang), on_click=_reset_filters, args=(reference,),
                      width="stretch", key="crm.filter.reset")
        if reference:
            st.caption(t("shell.data_range", lang, first=first.isoformat(), last=reference.isoformat()))

    chosen = current_filters(reference)
    _write_url(lang, chosen)
    return PageContext(lang=lang, filters=chosen, first_date=first, reference=reference)
