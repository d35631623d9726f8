import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def shop():
    """The hand-computed small shop in an in-memory database."""
    from tests.fixtures.small_shop import connect_small_shop

    con = connect_small_shop()
    yield con
    con.close()


@pytest.fixture
def accounts():
    """Key accounts with trends, a loss-making customer, a return and tickets (segment_shops)."""
    from tests.fixtures import segment_shops

    con = segment_shops.connect_accounts()
    yield con
    con.close()


@pytest.fixture
def eight():
    """One customer in each RFM class (segment_shops)."""
    from tests.fixtures import segment_shops

    con = segment_shops.connect_eight()
    yield con
    con.close()


def connect_beside_app(path):
    """A read-write connection to `path` from a test that also runs the app in this process.

    DuckDB refuses a second connection to a file with another configuration, and
    the app keeps an idle read-only one for a while (`crm.store.access`): let that
    go first; the app reopens it, and sees the change through the version side file.
    """
    from crm.store import access, db

    access.release_idle()
    return db.connect(path)


@pytest.fixture
def retention_shop():
    """Cohorts, repeat purchases and lifecycle stages worked out by hand (tests/fixtures/retention_shop.py)."""
    from tests.fixtures.retention_shop import connect_retention_shop

    con = connect_retention_shop()
    yield con
    con.close()
