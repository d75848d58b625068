"""tests/unit/test_custom_filters.py again, on PostgreSQL (see conftest.py): the inbox filtered by JSON values."""

from tests.unit.test_custom_filters import *  # noqa: F403
