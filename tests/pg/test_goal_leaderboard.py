"""tests/unit/test_goal_leaderboard.py again, on PostgreSQL (see conftest.py)."""

from tests.unit.test_goal_leaderboard import *  # noqa: F403
