"""American implied vol and the array loops (parallel and serial twins) over the fixed-point engine (`_alo_kernels`)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from putwheel.pricing import _alo_boundary, _alo_kernels, _alo_scheme, _kernels, _normal, _qdplus_kernels, _tree_kernels
from putwheel.pricing._alo_kernels import american1_ws, american_delta1, american_greeks1, valid_inputs
from putwheel.pricing._alo_scheme import WS_SIZE
from putwheel.pricing._kernels import (
    IV_ABOVE_BOUND,
    IV_BELOW_INTRINSIC,
    IV_EXPIRED,
    IV_INVALID,
    IV_NO_TIME_VALUE,
    IV_OK,
    cache_depends_on,
    greeks1,
    illinois1,
    iv1,
    jit,
    pjit,
)


@jit
def _iv_bracket(price: float, s: float, k: float, t: float, r: float, q: float, call: bool,
                ws: np.ndarray) -> tuple[float, float,
                                                                                                  float, float, int]:
    """(lo, f_lo, hi, f_hi, code) with f = american1 - price, f_lo < 0 <= f_hi.

    The American price is at least the European one at the same vol, so the European implied vol of the premium is an
    upper end; the lower end is one Newton step below it on European vega (the early-exercise premium over vega)."""
    e_iv, e_code = iv1(price, s, k, t, r, q, call)
    if e_code == IV_OK and e_iv > 1e-4:
        hi = e_iv
        f_hi = american1_ws(s, k, t, r, q, hi, call, ws) - price
        if f_hi >= 0.0:
            g = np.empty(6)
            lo = hi
            for _ in range(60):
                greeks1(s, k, t, r, q, lo, call, g)
                nxt = lo - 1.05 * f_hi / g[4] if g[4] > 0.0 else 0.5 * lo
                lo = nxt if 0.25 * lo < nxt < lo else 0.5 * lo
                lo = max(lo, 1e-4)
                f_lo = american1_ws(s, k, t, r, q, lo, call, ws) - price
                if f_lo < 0.0:
                    return lo, f_lo, hi, f_hi, IV_OK
                if lo <= 1e-4:
                    return np.nan, np.nan, np.nan, np.nan, IV_NO_TIME_VALUE
                hi, f_hi = lo, f_lo
    lo, hi = 1e-4, 1.0  # no European vol (premium above the European bound): search from the ends
    f_lo = american1_ws(s, k, t, r, q, lo, call, ws) - price
    if f_lo >= 0.0:
        return np.nan, np.nan, np.nan, np.nan, IV_NO_TIME_VALUE
    f_hi = american1_ws(s, k, t, r, q, hi, call, ws) - price
    while f_hi < 0.0:
        lo, f_lo = hi, f_hi
        hi *= 2.0
        if hi > 64.0:
            return np.nan, np.nan, np.nan, np.nan, IV_ABOVE_BOUND
        f_hi = american1_ws(s, k, t, r, q, hi, call, ws) - price
    return lo, f_lo, hi, f_hi, IV_OK


@jit
def american_iv1(price: float, s: float, k: float, t: float, r: float, q: float, call: bool,
                 ws: np.ndarray) -> tuple[float, int]:
    """Vol at which the engine's price equals `price`: Illinois regula falsi inside `_iv_bracket`, to 1e-13 relative."""
    if not (math.isfinite(price) and math.isfinite(t) and valid_inputs(s, k, max(t, 0.0), r, q, 0.0)) or price < 0.0:
        return np.nan, IV_INVALID
    if t <= 0.0:
        return np.nan, IV_EXPIRED
    intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
    if price >= (s if call else k):
        return np.nan, IV_ABOVE_BOUND
    if price < intrinsic - 1e-12 * max(price, 1.0):
        return np.nan, IV_BELOW_INTRINSIC
    lo, f_lo, hi, f_hi, code = _iv_bracket(price, s, k, t, r, q, call, ws)
    if code != IV_OK:
        return np.nan, code
    side = 0
    x = hi
    for _ in range(200):
        prev = x
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if not (lo < x < hi):
            x = 0.5 * (lo + hi)
        if abs(x - prev) <= 1e-14 * x:
            return x, IV_OK
        fx = american1_ws(s, k, t, r, q, x, call, ws) - price
        if fx == 0.0 or hi - lo <= 1e-13 * x:
            return x, IV_OK
        lo, f_lo, hi, f_hi, side = illinois1(lo, f_lo, hi, f_hi, x, fx, side)
    return 0.5 * (lo + hi), IV_OK


# Parallel loops run in blocks of _BLOCK contracts, one workspace per block (none allocated per contract).
_BLOCK = 256


@pjit
def american_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for blk in nb.prange((out.size + _BLOCK - 1) // _BLOCK):
        ws = np.empty(WS_SIZE)
        for i in range(blk * _BLOCK, min(out.size, (blk + 1) * _BLOCK)):
            out[i] = american1_ws(s[i], k[i], t[i], r[i], q[i], v[i], c[i], ws)


@jit
def american_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    ws = np.empty(WS_SIZE)
    for i in range(out.size):
        out[i] = american1_ws(s[i], k[i], t[i], r[i], q[i], v[i], c[i], ws)


@pjit
def american_delta_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for blk in nb.prange((out.size + _BLOCK - 1) // _BLOCK):
        ws = np.empty(WS_SIZE)
        for i in range(blk * _BLOCK, min(out.size, (blk + 1) * _BLOCK)):
            out[i] = american_delta1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], ws)


@jit
def american_delta_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    ws = np.empty(WS_SIZE)
    for i in range(out.size):
        out[i] = american_delta1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], ws)


@pjit
def american_greeks_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for blk in nb.prange((s.size + _BLOCK - 1) // _BLOCK):
        ws = np.empty(WS_SIZE)
        for i in range(blk * _BLOCK, min(s.size, (blk + 1) * _BLOCK)):
            american_greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], out[:, i], ws)


@jit
def american_greeks_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    ws = np.empty(WS_SIZE)
    for i in range(s.size):
        american_greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], out[:, i], ws)


@pjit
def american_iv_vec(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    for blk in nb.prange((out.size + _BLOCK - 1) // _BLOCK):
        ws = np.empty(WS_SIZE)
        for i in range(blk * _BLOCK, min(out.size, (blk + 1) * _BLOCK)):
            iv, code = american_iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i], ws)
            out[i] = iv
            reason[i] = code


@jit
def american_iv_vec_serial(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    ws = np.empty(WS_SIZE)
    for i in range(out.size):
        iv, code = american_iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i], ws)
        out[i] = iv
        reason[i] = code


cache_depends_on(globals(), _kernels.__file__, _tree_kernels.__file__, _qdplus_kernels.__file__,
                 _alo_kernels.__file__, _alo_scheme.__file__, _normal.__file__, _alo_boundary.__file__)
