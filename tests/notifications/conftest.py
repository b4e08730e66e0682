from tests.home.conftest import state  # noqa: F401  (the database digest fixture)
