"""The server process's garbage collector, tuned for live pages (see `GC_YOUNG_THRESHOLD`)."""

from __future__ import annotations

import gc

GC_YOUNG_THRESHOLD = 20_000
"""Allocations between two collections of the youngest generation (Python's default: 700).

With the default, a live page's rows (alive for a tick or two) were nearly all alive at some young
collection, so they reached the oldest generation, and its full collections ran every few seconds,
each stopping the whole process for 200–520 ms (a `gc.callbacks` log of `bench/load.py --rate 100`):
the capture p99 was those pauses. Collected this rarely, most rows die first (freed by their
reference count): the same run had no older collection at all, young ones of 10–17 ms, and the
p99 fell from 296 to 76 ms (docs/BENCHMARKS.md "Live at scale"). 100,000 made each young pass
70–140 ms."""


def tune_gc() -> None:
    """The server's collector: see `GC_YOUNG_THRESHOLD` (the older generations' own thresholds: 50
    young passes per middle one, Python's 10 middle per full)."""
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 10)
