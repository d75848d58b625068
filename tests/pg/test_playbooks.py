"""tests/unit/test_playbooks.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_playbooks import *  # noqa: F403
