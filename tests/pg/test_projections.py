"""tests/unit/test_projections.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_projections import *  # noqa: F403
