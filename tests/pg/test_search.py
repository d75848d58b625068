"""tests/unit/test_search.py again, on PostgreSQL (see conftest.py): the search index on pg_trgm."""

from tests.unit.test_search import *  # noqa: F403
