import pytest


@pytest.fixture
def survey():
    from tests.fixtures.survey_shop import connect_survey_shop

    con = connect_survey_shop()
    yield con
    con.close()
