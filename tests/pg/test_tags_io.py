"""tests/unit/test_tags_io.py again, on PostgreSQL (see conftest.py): tags in imports, exports and webhooks."""

from tests.unit.test_tags_io import *  # noqa: F403
