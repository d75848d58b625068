"""tests/unit/test_passwords.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_passwords import *  # noqa: F403
