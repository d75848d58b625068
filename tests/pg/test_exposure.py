"""tests/unit/test_exposure.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_exposure import *  # noqa: F403
