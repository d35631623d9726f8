"""Local single-user mode or login required: decided by the address the server listens on.

``make run`` binds 127.0.0.1: only this machine can reach the app, so it may
run without login ("local single-user mode", the user acts as admin). Any other
address — including none, which makes Streamlit listen on every interface —
requires login, and the app serves no data until an admin user exists.
``CRM_AUTH=required`` or ``CRM_AUTH=local`` overrides the detection.
"""

from __future__ import annotations

import ipaddress

LOCAL = "local"
REQUIRED = "required"
LOCAL_USER = "local"       # the name audit entries carry in local mode
LOCAL_ROLE = "admin"


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; False for None, '', 0.0.0.0, :: and real interfaces."""
    text = (address or "").strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def auth_mode(address: str | None, override: str | None = None) -> str:
    """LOCAL or REQUIRED for a server bound to `address`; `override` (CRM_AUTH) wins when set to either."""
    choice = (override or "").strip().lower()
    if choice in (LOCAL, REQUIRED):
        return choice
    return LOCAL if is_loopback(address) else REQUIRED
