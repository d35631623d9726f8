"""Roles, the permission table, local/required mode, users with argon2 hashes and login throttling."""

import datetime as dt
from contextlib import contextmanager

import pytest

from crm.access import audit, mode, roles, users
from crm.errors import CRMInputError
from crm.i18n import has_key
from crm.store import backups, db

T0 = dt.datetime(2026, 1, 5, 9, 0, 0)


@contextmanager
def refused(key: str):
    """Expect CRMInputError with translation key `key`."""
    with pytest.raises(CRMInputError) as info:
        yield info
    assert info.value.key == key


@pytest.fixture
def con():
    c = db.connect(":memory:")
    yield c
    c.close()


@pytest.mark.parametrize("action, allowed", [
    ("dashboards", {"admin", "analyst", "viewer"}),
    ("export", {"admin", "analyst", "viewer"}),
    ("contact.view", {"admin", "analyst"}),
    ("contact.export", {"admin", "analyst"}),
    ("contact.search", {"admin", "analyst"}),
    ("import", {"admin"}), ("undo", {"admin"}), ("demo", {"admin"}), ("users", {"admin"}),
    ("erase", {"admin"}), ("restore", {"admin"}), ("audit", {"admin"}),
])
def test_permission_table(action, allowed):
    assert {r for r in roles.ROLES if roles.can(r, action)} == allowed
    assert not roles.can(None, action)


def test_require_raises_for_a_refused_action():
    roles.require("admin", "erase")
    with refused("access.error.forbidden") as info:
        roles.require("viewer", "contact.export")
    assert info.value.values == {"role": "viewer", "action": "contact.export"}
    with pytest.raises(KeyError):
        roles.can("admin", "launch_rockets")


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1", "local"), ("127.1.2.3", "local"), ("localhost", "local"), ("::1", "local"), ("[::1]", "local"),
    (None, "required"), ("", "required"), ("0.0.0.0", "required"), ("::", "required"),
    ("192.168.1.20", "required"), ("crm.example.com", "required"),
])
def test_mode_follows_the_bound_address(address, expected):
    assert mode.auth_mode(address) == expected


def test_crm_auth_overrides_the_address():
    assert mode.auth_mode("127.0.0.1", "required") == "required"
    assert mode.auth_mode("0.0.0.0", "LOCAL") == "local"
    assert mode.auth_mode("0.0.0.0", "bogus") == "required"  # an unknown value never relaxes


def test_generated_translation_keys_exist():
    keys = [f"access.role.{r}" for r in roles.ROLES] + [f"audit.action.{a}" for a in audit.ACTIONS]
    keys += [f"backups.reason.{r}" for r in backups.REASONS]
    keys += [f"backups.col.{c}" for c in backups.list_backups("/nonexistent").columns]
    for lang in ("zh", "en"):
        assert [k for k in keys if not has_key(k, lang)] == []


def test_passwords_are_stored_as_argon2id_hashes(con):
    users.add_user(con, "alice", "analyst", "correct horse")
    stored = db.scalar(con, "SELECT password_hash FROM users WHERE name = 'alice'")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert users.verify_password(stored, "correct horse")
    assert not users.verify_password(stored, "correct hors")
    assert not users.verify_password("not a hash", "correct horse")
    assert users.hash_password("correct horse") != stored  # salted
    assert users.list_users(con).columns.tolist() == ["name", "role", "created_at", "updated_at"]


def test_user_validation(con):
    with refused("access.error.short_password"):
        users.add_user(con, "bob", "viewer", "short")
    with refused("access.error.unknown_role"):
        users.add_user(con, "bob", "superuser", "long enough")
    with refused("access.error.bad_name"):
        users.add_user(con, "bob smith", "viewer", "long enough")
    users.add_user(con, "bob", "viewer", "long enough")
    with refused("access.error.user_exists"):
        users.add_user(con, "bob", "admin", "long enough")
    with refused("access.error.unknown_user"):
        users.set_password(con, "nobody", "long enough")
    assert users.list_users(con)["name"].tolist() == ["bob"]


def test_last_admin_cannot_be_removed(con):
    users.add_user(con, "root", "admin", "long enough")
    with refused("access.error.last_admin"):
        users.remove_user(con, "root")
    users.add_user(con, "root2", "admin", "long enough")
    users.remove_user(con, "root")
    assert users.admin_count(con) == 1 and users.get_user(con, "root") is None


def test_authenticate_records_success_and_failure(con):
    users.add_user(con, "alice", "analyst", "correct horse")
    assert users.authenticate(con, "alice", "correct horse", now=T0) == users.User("alice", "analyst")
    with refused("access.login.failed"):
        users.authenticate(con, "alice", "wrong", now=T0 + dt.timedelta(seconds=1))
    with refused("access.login.failed"):  # the same message for an unknown name
        users.authenticate(con, "mallory", "wrong", now=T0 + dt.timedelta(seconds=2))
    log = audit.list_events(con).sort_values("at").fillna({"role": ""})
    assert log[["user", "role", "action"]].values.tolist() == [
        ["alice", "analyst", "login"], ["alice", "", "login_failed"], ["mallory", "", "login_failed"]]


def test_password_change_takes_effect(con):
    users.add_user(con, "alice", "analyst", "correct horse")
    users.set_password(con, "alice", "battery staple")
    with refused("access.login.failed"):
        users.authenticate(con, "alice", "correct horse", now=T0)
    assert users.authenticate(con, "alice", "battery staple", now=T0).role == "analyst"


def test_five_failures_lock_the_name_for_fifteen_minutes(con):
    users.add_user(con, "alice", "analyst", "correct horse")
    for i in range(users.MAX_FAILURES):
        with refused("access.login.failed"):
            users.authenticate(con, "alice", "guess", now=T0 + dt.timedelta(minutes=i))
    # right password, still refused: the 5 failures span 09:00-09:04, locked until 09:15
    with refused("access.login.locked") as info:
        users.authenticate(con, "alice", "correct horse", now=T0 + dt.timedelta(minutes=5))
    assert info.value.values == {"minutes": 10}
    # that refused attempt counts too: the last five failures now start at 09:01
    assert users.locked_until(con, "alice", T0 + dt.timedelta(minutes=5)) == T0 + dt.timedelta(minutes=16)
    assert users.locked_until(con, "bob", T0 + dt.timedelta(minutes=5)) is None  # per name
    assert users.authenticate(con, "alice", "correct horse", now=T0 + dt.timedelta(minutes=16)).name == "alice"


def test_a_success_resets_the_failure_count(con):
    users.add_user(con, "alice", "analyst", "correct horse")
    for i in range(users.MAX_FAILURES - 1):
        with pytest.raises(CRMInputError):
            users.authenticate(con, "alice", "guess", now=T0 + dt.timedelta(seconds=i))
    users.authenticate(con, "alice", "correct horse", now=T0 + dt.timedelta(seconds=10))
    with refused("access.login.failed"):
        users.authenticate(con, "alice", "guess", now=T0 + dt.timedelta(seconds=11))
    assert users.locked_until(con, "alice", T0 + dt.timedelta(seconds=12)) is None


def test_audit_filters(con):
    audit.record(con, "alice", "analyst", "export", {"file": "a.csv"}, rows=12, contact_fields=True,
                 at=dt.datetime(2026, 1, 1, 10))
    audit.record(con, "bob", "viewer", "export", {"file": "b.csv"}, rows=3, at=dt.datetime(2026, 1, 2, 10))
    audit.record(con, "alice", "analyst", "reveal", {"customer_id": "A"}, at=dt.datetime(2026, 1, 3, 10))
    assert audit.list_events(con)["action"].tolist() == ["reveal", "export", "export"]
    assert audit.list_events(con, user="alice")["rows"].tolist()[1] == 12
    rows = audit.list_events(con, actions=("export",), start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 2))
    assert rows[["user", "rows", "contact_fields"]].values.tolist() == [["bob", 3, False]]
    assert db.scalar(con, "SELECT detail->>'file' FROM audit_log WHERE \"user\" = 'alice' AND rows = 12") == "a.csv"
    with pytest.raises(KeyError):
        audit.record(con, "x", None, "format_disk")
