"""tests/unit/test_collaborators.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_collaborators import *  # noqa: F403
