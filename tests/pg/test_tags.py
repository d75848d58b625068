"""tests/unit/test_tags.py again, on PostgreSQL (see conftest.py): the tag catalogue, tags on records, filters."""

from tests.unit.test_tags import *  # noqa: F403
