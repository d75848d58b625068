"""tests/unit/test_custom_objects.py again, on PostgreSQL (see conftest.py): the JSON columns of
opportunities and customers, their filters (`->>` on PostgreSQL) and the stage and qualification rules."""

from tests.unit.test_custom_objects import *  # noqa: F403
