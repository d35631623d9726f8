import pytest


@pytest.fixture(scope="module")
def demo_con():
    """A small demo database in memory (800 customers, three years of orders up to 2026-11-15)."""
    from crm.intake import demo
    from crm.store import db

    con = db.connect(":memory:")
    demo.build_demo(con, customers=800, seed=5)
    yield con
    con.close()
