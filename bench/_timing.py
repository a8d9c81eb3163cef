"""Timing for the bench scripts: the best of a few runs (the least disturbed by the rest of the machine)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3, warm: bool = True) -> float:
    """Seconds of the fastest of `repeat` calls of `fn`, after one untimed warm-up call (JIT compile, caches)."""
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
