"""tests/unit/test_pipeline.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_pipeline import *  # noqa: F403
