"""The server's collector settings (core/ops/gc_tuning.py) are what `tune_gc` leaves in force."""

from __future__ import annotations

import gc

from core.ops.gc_tuning import GC_YOUNG_THRESHOLD, tune_gc


def test_tune_gc_collects_the_young_generation_rarely() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 50, 10)
        assert GC_YOUNG_THRESHOLD > 700 * 10  # far rarer than Python's default
    finally:
        gc.set_threshold(*before)
