"""Scalar numba kernels: a forward-centred binomial tree and the zero-vol American value (deterministic stopping)."""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _kernels
from putwheel.pricing._kernels import bs1, cache_depends_on, jit


@jit
def zero_vol_put(x: float, t: float, r: float, q: float) -> tuple[float, float, float]:
    """Zero vol, spot x, strike 1: the path x e^{(r-q)u} is known, so exercise at the best u in [0, t].

    Returns value, delta and theta (per year). The optimum is an endpoint or u* = ln(r / (q x)) / (r - q)."""
    best, du, at_t = max(1.0 - x, 0.0), -1.0 if x < 1.0 else 0.0, False
    cand = math.exp(-r * t) - x * math.exp(-q * t)
    if cand > best:
        best, du, at_t = cand, -math.exp(-q * t), True
    if r > 0.0 and q > 0.0 and r != q:
        u = math.log(r / (q * x)) / (r - q)
        if 0.0 < u < t:
            cand = math.exp(-r * u) - x * math.exp(-q * u)
            if cand > best:
                best, du, at_t = cand, -math.exp(-q * u), False
    theta = r * math.exp(-r * t) - q * x * math.exp(-q * t) if at_t else 0.0
    return best, du, theta


@jit
def zero_vol_american1(s: float, k: float, t: float, r: float, q: float, call: bool) -> float:
    """American value at zero vol (calls by symmetry: C(S, K, r, q) = P(K, S, q, r))."""
    if call:
        return zero_vol_put(k / s, t, q, r)[0] * s
    return zero_vol_put(s / k, t, r, q)[0] * k


@jit
def _crr(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, steps: int, american: bool) -> float:
    """Binomial tree centred on the forward (u, d = e^{b dt +- v sqrt(dt)}): the up-probability stays in (0, 1) for any
    carry, unlike plain Cox-Ross-Rubinstein when v sqrt(dt) < |b| dt (low vol, high rates)."""
    dt = t / steps
    sd = v * math.sqrt(dt)
    grow = math.exp((r - q) * dt)
    p = (1.0 - math.exp(-sd)) / (math.exp(sd) - math.exp(-sd))
    disc = math.exp(-r * dt)
    vals = np.empty(steps + 1)
    for j in range(steps + 1):
        st = s * grow**steps * math.exp(sd * (2 * j - steps))
        vals[j] = max(st - k, 0.0) if call else max(k - st, 0.0)
    for i in range(steps - 1, -1, -1):
        fwd = s * grow**i
        for j in range(i + 1):
            cont = disc * (p * vals[j + 1] + (1.0 - p) * vals[j])
            if american:
                st = fwd * math.exp(sd * (2 * j - i))
                ex = st - k if call else k - st
                vals[j] = max(cont, ex)
            else:
                vals[j] = cont
    return vals[0]


@jit
def binomial1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, steps: int,
              american: bool) -> float:
    """Forward-centred binomial tree, averaged over `steps` and `steps + 1` to cancel the odd-even oscillation."""
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return np.nan
    if t == 0.0 or v == 0.0:
        if american:
            return zero_vol_american1(s, k, t, r, q, call)
        return bs1(s, k, t, r, q, v, call)
    if call:  # C(S, K, r, q) = P(K, S, q, r): a put's payoff is bounded, a call's top node overflows to +inf once
        s, k, r, q = k, s, q, r  # v sqrt(T steps) > ~709
    return 0.5 * (_crr(s, k, t, r, q, v, False, steps, american) + _crr(s, k, t, r, q, v, False, steps + 1, american))



cache_depends_on(globals(), _kernels.__file__)
