"""Random contracts at the edges of every input (tiny and huge vol, carry, maturity), for no-NaN / no-arbitrage tests."""

from __future__ import annotations

import numpy as np


def extreme_inputs(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """(s, k, t, r, q, v, call) arrays of n contracts: tiny vol against large carry, r t ~ 1e-15, vol 10, 30 years."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(1, 1000, n)
    k = s * rng.uniform(0.2, 3, n)
    t = rng.choice([1e-6, 1 / 365, 0.1, 1, 5, 30], n) * rng.uniform(0.5, 1, n)
    r = rng.choice([0, 1e-16, 1e-9, 0.01, 0.1, 0.3], n)
    q = rng.choice([0, 1e-16, 1e-9, 0.01, 0.1, 0.3], n)
    v = rng.choice([1e-6, 0.01, 0.2, 1, 3, 10], n)
    return s, k, t, r, q, v, rng.random(n) < 0.5
