import pytest

from tests.home.conftest import database_state


@pytest.fixture
def state():
    return database_state
