"""Timing for the benchmarks: the median of several runs after a warm-up."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(run: Callable[[], object], repeats: int = 7) -> float:
    """Seconds `run()` takes, the median of `repeats` runs after one to warm up."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
