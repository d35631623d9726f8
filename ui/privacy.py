"""Contact fields in the customer 360 (masked, revealed on request and audited) and erasure (admins)."""

from __future__ import annotations

import streamlit as st

from crm.access import privacy
from crm.errors import CRMInputError
from crm.store import backups as store_backups
from ui import guard
from ui import access, backups, state
from ui.cache import write_cursor
from ui.shell import PageContext


def _revealed() -> set[str]:
    return st.session_state.setdefault(state.REVEALED, set())


def _reveal(customer_id: str) -> None:
    access.record("reveal", {"customer_id": customer_id}, rows=1, contact_fields=True)
    _revealed().add(customer_id)


def contact_details(ctx: PageContext, customer_id: str, phone: object, email: object) -> None:
    """Phone and email, masked unless this session revealed them (roles with contact.view only)."""
    shown = customer_id in _revealed() and access.can("contact.view")
    values = {"phone": phone, "email": email}
    texts = {k: (v if shown else privacy.mask_value(v, k)) or "—" for k, v in values.items()}
    left, right = st.columns([4, 1])
    left.text(f"{ctx.t('keyacc.col.phone')}: {texts['phone']}  ·  {ctx.t('keyacc.col.email')}: {texts['email']}")
    if access.can("contact.view") and not shown and any(values.values()):
        right.button(ctx.t("privacy.reveal"), key="ka.360.reveal", on_click=_reveal, args=(customer_id,),
                     icon=":material/visibility:", help=ctx.t("privacy.reveal.help"))


def erase_panel(ctx: PageContext, customer_id: str) -> None:
    """Admins: erase this customer's personal data, after typing the id and a backup."""
    if st.session_state.pop(state.ERASED, None) == customer_id:
        st.success(ctx.t("privacy.erased", customer_id=customer_id), icon=":material/check_circle:")
    if not access.can("erase"):
        return
    with st.expander(ctx.t("privacy.erase.title"), icon=":material/person_remove:"):
        st.markdown(ctx.t("privacy.erase.text"))
        typed = st.text_input(ctx.t("privacy.erase.confirm", customer_id=customer_id), key="ka.360.erase.typed")
        if st.button(ctx.t("privacy.erase.button"), disabled=typed.strip() != customer_id, type="primary",
                     key="ka.360.erase.button", icon=":material/delete_forever:"):
            backups.before("erase", {"customer_id": customer_id})
            try:
                with st.spinner(ctx.t("privacy.erasing")), write_cursor() as cur:
                    changed = privacy.erase_customer(cur, customer_id)
            except CRMInputError as exc:
                st.error(guard.error_text(exc, ctx.lang), icon=":material/error:")
                return
            with write_cursor() as cur:
                scrubbed = store_backups.scrub_erasures(cur, backups.directory())
            access.record("erase", {"customer_id": customer_id, **changed, "backup_files_scrubbed": scrubbed},
                          rows=sum(changed.values()))
            _revealed().discard(customer_id)
            st.session_state[state.ERASED] = customer_id
            st.rerun()
