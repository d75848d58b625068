"""tests/unit/test_saved_views.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_saved_views import *  # noqa: F403
