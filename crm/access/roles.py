"""Roles and the permission table: which role may do which action.

Three roles, from most to least trusted:

* **admin** — everything: imports, undo, demo rebuild, users, erasure,
  backups and restore, the audit log; sees and exports contact fields.
* **analyst** — every dashboard and every export, contact fields included
  (each reveal or contact export is audited).
* **viewer** — dashboards only; phones and emails are masked, downloads leave
  contact fields out, and customer search does not match phone or email.

Pages and the CLI ask ``can(role, action)``; ``require`` raises the domain
error so a refused action shows a message rather than doing anything.
"""

from __future__ import annotations

from crm.errors import CRMInputError

ROLES = ("admin", "analyst", "viewer")

# action -> roles allowed. Every check in the product names one of these actions.
PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboards": frozenset({"admin", "analyst", "viewer"}),
    "export": frozenset({"admin", "analyst", "viewer"}),          # tables without contact fields
    "contact.view": frozenset({"admin", "analyst"}),              # full phone / email on screen
    "contact.export": frozenset({"admin", "analyst"}),            # full phone / email in downloads
    "contact.search": frozenset({"admin", "analyst"}),            # find a customer by phone or email
    "import": frozenset({"admin"}),
    "undo": frozenset({"admin"}),
    "demo": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "erase": frozenset({"admin"}),
    "backups": frozenset({"admin"}),
    "restore": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
}
ACTIONS = tuple(PERMISSIONS)


def check_role(role: str) -> str:
    """`role` itself when it is one of ROLES, else CRMInputError('access.error.unknown_role')."""
    if role not in ROLES:
        raise CRMInputError("access.error.unknown_role", role=role, roles=", ".join(ROLES))
    return role


def can(role: str | None, action: str) -> bool:
    """True when `role` may do `action` (an unknown action is a bug: KeyError)."""
    return role in PERMISSIONS[action]


def require(role: str | None, action: str) -> None:
    """Raise CRMInputError('access.error.forbidden') unless `role` may do `action`."""
    if not can(role, action):
        raise CRMInputError("access.error.forbidden", role=role or "—", action=action)
