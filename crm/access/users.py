"""Users of the app: names, roles and argon2id password hashes, kept in the database.

Managed from the command line (``python -m crm user add NAME --role R``,
``user list``, ``user remove NAME``, ``user password NAME``); the app only
checks passwords. A password is never stored or logged, only its argon2id hash
(argon2-cffi's defaults, RFC 9106's second recommended setting).

Failed-login throttling: after ``MAX_FAILURES`` failed logins of one name
within ``LOCKOUT`` (counted from the audit log, so it holds across sessions and
restarts), that name is refused, right password or not, until the oldest of
those failures is ``LOCKOUT`` old. Attempts while locked count as failures too,
so a name under attack stays locked while the attack goes on.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from crm.access import audit
from crm.access.roles import check_role
from crm.errors import CRMInputError
from crm.store.db import query, scalar

MIN_PASSWORD_LENGTH = 8
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return _HASHER.hash("not a password of anyone")


DDL = """
CREATE TABLE IF NOT EXISTS users (
    name          VARCHAR PRIMARY KEY,
    role          VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,   -- argon2id, never the password
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
)
"""


@dataclass(frozen=True)
class User:
    name: str
    role: str


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise CRMInputError("access.error.short_password", min=MIN_PASSWORD_LENGTH)
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise CRMInputError("access.error.bad_name", name=name)
    return name


def add_user(con: duckdb.DuckDBPyConnection, name: str, role: str, password: str) -> User:
    """Create a user; CRMInputError when the name is taken or invalid, the role unknown or the password short."""
    _check_name(name)
    check_role(role)
    hashed = hash_password(password)
    if get_user(con, name) is not None:
        raise CRMInputError("access.error.user_exists", name=name)
    at = audit.now()
    con.execute("INSERT INTO users VALUES ($name, $role, $hash, $at, $at)",
                {"name": name, "role": role, "hash": hashed, "at": at})
    return User(name, role)


def set_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> None:
    hashed = hash_password(password)
    if get_user(con, name) is None:
        raise CRMInputError("access.error.unknown_user", name=name)
    con.execute("UPDATE users SET password_hash = $hash, updated_at = $at WHERE name = $name",
                {"name": name, "hash": hashed, "at": audit.now()})


def remove_user(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete a user; the last admin cannot be removed (nobody could manage the app any more)."""
    user = get_user(con, name)
    if user is None:
        raise CRMInputError("access.error.unknown_user", name=name)
    if user.role == "admin" and admin_count(con) <= 1:
        raise CRMInputError("access.error.last_admin", name=name)
    con.execute("DELETE FROM users WHERE name = $name", {"name": name})


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = query(con, "SELECT name, role FROM users WHERE name = $name", {"name": name})
    return None if row.empty else User(str(row["name"].iloc[0]), str(row["role"].iloc[0]))


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """name, role, created_at, updated_at; never the hashes."""
    return query(con, "SELECT name, role, created_at, updated_at FROM users ORDER BY name")


def admin_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT count(*) FROM users WHERE role = 'admin'") or 0)


def locked_until(con: duckdb.DuckDBPyConnection, name: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When `name` may try again, or None when it is not locked."""
    now = now or audit.now()
    failures = audit.recent_failures(con, name, now - LOCKOUT)
    if len(failures) < MAX_FAILURES:
        return None
    until = pd.Timestamp(failures["at"].iloc[-MAX_FAILURES]).to_pydatetime() + LOCKOUT
    return until if until > now else None


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str,
                 now: dt.datetime | None = None) -> User:
    """The user when `password` is theirs; records the attempt in the audit log.

    Raises CRMInputError('access.login.locked') while the name is throttled and
    CRMInputError('access.login.failed') for a wrong name or password (the same
    message for both, so names cannot be probed).
    """
    now = now or audit.now()
    name = (name or "").strip()[:64]
    until = locked_until(con, name, now)
    if until is not None:
        audit.record(con, name, None, "login_failed", {"reason": "locked"}, at=now)
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        raise CRMInputError("access.login.locked", minutes=minutes)
    row = query(con, "SELECT role, password_hash FROM users WHERE name = $name", {"name": name})
    stored = _dummy_hash() if row.empty else str(row["password_hash"].iloc[0])
    if not verify_password(stored, password or "") or row.empty:
        audit.record(con, name, None, "login_failed", {"reason": "password"}, at=now)
        raise CRMInputError("access.login.failed")
    role = str(row["role"].iloc[0])
    if _HASHER.check_needs_rehash(stored):
        con.execute("UPDATE users SET password_hash = $hash WHERE name = $name",
                    {"name": name, "hash": _HASHER.hash(password)})
    audit.record(con, name, role, "login", at=now)
    return User(name, role)
