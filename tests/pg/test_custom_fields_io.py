"""tests/unit/test_custom_fields_io.py again, on PostgreSQL (see conftest.py): custom columns imported and exported."""

from tests.unit.test_custom_fields_io import *  # noqa: F403
