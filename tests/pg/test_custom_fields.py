"""tests/unit/test_custom_fields.py again, on PostgreSQL (see conftest.py): the JSON column and the definitions."""

from tests.unit.test_custom_fields import *  # noqa: F403
