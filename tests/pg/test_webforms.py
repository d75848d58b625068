"""tests/unit/test_webforms.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_webforms import *  # noqa: F403
