import pytest


@pytest.fixture(scope="module")
def cdnow():
    """The CDNOW sample in an in-memory database (tests/fixtures/cdnow_shop.py)."""
    from tests.fixtures.cdnow_shop import connect_cdnow

    con = connect_cdnow()
    yield con
    con.close()
