"""tests/unit/test_notify_prefs.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_notify_prefs import *  # noqa: F403
