"""American implied vol and the array loops (parallel and serial twins) over the fixed-point engine (`_alo_kernels`)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from putwheel.pricing import (
    _alo_boundary,
    _alo_kernels,
    _alo_scheme,
    _alo_seed,
    _kernels,
    _normal,
    _qdplus_kernels,
    _tree_kernels,
)
from putwheel.pricing._alo_kernels import american1_ws, american_delta1, american_greeks1, valid_inputs
from putwheel.pricing._alo_scheme import WS_G, WS_SIZE
from putwheel.pricing._kernels import (
    IV_ABOVE_BOUND,
    IV_BELOW_INTRINSIC,
    IV_EXPIRED,
    IV_INVALID,
    IV_NO_TIME_VALUE,
    IV_OK,
    bs1,
    cache_depends_on,
    greeks1,
    illinois1,
    iv1,
    jit,
    pjit,
)

# A secant step below this (relative) ends the American IV solve: the error of the point it lands on is ~ the step
# times the previous one, ~1e-13 after the de-Americanized start (regula falsi and bisection steps stop at 1e-13).
IV_SECANT_STOP = 1e-9


@jit
def _iv_search(price: float, s: float, k: float, t: float, r: float, q: float, call: bool,
               ws: np.ndarray) -> tuple[float, float, float, float, int]:
    """(lo, f_lo, hi, f_hi, code) with f = american1 - price, f_lo < 0 <= f_hi, searched from the ends: the start
    when the premium has no European implied vol (above the European bound) or the de-Americanized steps fail."""
    lo, hi = 1e-4, 1.0
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
def _iv_start(price: float, s: float, k: float, t: float, r: float, q: float, call: bool,
              ws: np.ndarray) -> tuple[float, float, float, float, float, float, int]:
    """(lo, f_lo, hi, f_hi, x, fx, code): a bracket, f = american1 - price, f_lo < 0 <= f_hi, and the iterate x
    (one of its ends) the secant continues from; code IV_OK, or why there is no vol.

    The American price is at least the European one at the same vol, so the European implied vol of the premium is
    an upper end. Below it, de-Americanize: the European implied vol of the premium less the early-exercise premium
    at the current vol. The early-exercise premium moves slowly with vol against the European vega, so one step
    lands close to the root, often just below it (a bracket ~1e-4 wide); while above it, secant steps. Where no such
    step exists, Newton steps on the European vega, then a search from the ends (`_iv_search`)."""
    x, code = iv1(price, s, k, t, r, q, call)
    if code == IV_OK and x > 1e-4:
        fx = american1_ws(s, k, t, r, q, x, call, ws) - price
        if fx == 0.0:
            return x, fx, x, fx, x, fx, IV_OK
        g = ws[WS_G:WS_G + 6]
        if fx < 0.0:  # no early-exercise premium, the two prices equal up to rounding: one Newton step up, twice long
            greeks1(s, k, t, r, q, x, call, g)
            if g[4] > 0.0:
                up = x - 2.0 * fx / g[4]
                f_up = american1_ws(s, k, t, r, q, up, call, ws) - price
                if f_up >= 0.0 and up > x:
                    return x, fx, up, f_up, up, f_up, IV_OK
        if fx > 0.0:
            hi, f_hi = x, fx
            eep = fx + price - bs1(s, k, t, r, q, x, call)  # the early-exercise premium at vol x
            nx, c = iv1(price - eep, s, k, t, r, q, call)
            if c == IV_OK and 0.0 < nx < x:
                for _ in range(40):  # then secant steps down while still above the root (no bracket yet)
                    nf = american1_ws(s, k, t, r, q, nx, call, ws) - price
                    if nf < 0.0:
                        return nx, nf, hi, f_hi, nx, nf, IV_OK
                    if nf == 0.0:
                        return nx, nf, nx, nf, nx, nf, IV_OK
                    if not nf < f_hi:
                        break
                    y = nx - nf * (nx - hi) / (nf - f_hi)
                    hi, f_hi = nx, nf
                    if not 0.0 < y < nx:
                        break
                    if nx - y <= 1e-13 * y:
                        return y, 0.0, y, 0.0, y, 0.0, IV_OK
                    nx = y
            if f_hi == 0.0:
                return hi, 0.0, hi, 0.0, hi, 0.0, IV_OK
            lo = hi
            for _ in range(60):  # no de-Americanized step below: Newton steps on the European vega, 5 % long
                greeks1(s, k, t, r, q, lo, call, g)
                nxt = lo - 1.05 * f_hi / g[4] if g[4] > 0.0 else 0.5 * lo
                lo = max(nxt if 0.25 * lo < nxt < lo else 0.5 * lo, 1e-4)
                f_lo = american1_ws(s, k, t, r, q, lo, call, ws) - price
                if f_lo < 0.0:
                    return lo, f_lo, hi, f_hi, lo, f_lo, IV_OK
                if lo <= 1e-4:
                    return np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, IV_NO_TIME_VALUE
                hi, f_hi = lo, f_lo
    lo, f_lo, hi, f_hi, code = _iv_search(price, s, k, t, r, q, call, ws)
    return lo, f_lo, hi, f_hi, hi, f_hi, code


@jit
def american_iv1(price: float, s: float, k: float, t: float, r: float, q: float, call: bool,
                 ws: np.ndarray) -> tuple[float, int]:
    """Vol at which the engine's price equals `price`: secant steps from `_iv_start`'s bracket (Illinois regula falsi
    where a step would leave it), to a secant step below IV_SECANT_STOP (other steps 1e-13) relative. About 3-4
    American prices per solve."""
    if not (math.isfinite(price) and math.isfinite(t) and valid_inputs(s, k, max(t, 0.0), r, q, 0.0)) or price < 0.0:
        return np.nan, IV_INVALID
    if t <= 0.0:
        return np.nan, IV_EXPIRED
    intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
    if price >= (s if call else k):
        return np.nan, IV_ABOVE_BOUND
    if price < intrinsic - 1e-12 * max(price, 1.0):
        return np.nan, IV_BELOW_INTRINSIC
    if price - intrinsic <= 1e-14 * price:  # worth intrinsic at every vol up to some level (or none): no one vol
        return np.nan, IV_NO_TIME_VALUE
    lo, f_lo, hi, f_hi, b, fb, code = _iv_start(price, s, k, t, r, q, call, ws)
    if code != IV_OK:
        return np.nan, code
    if fb == 0.0 or hi <= lo:
        return b, IV_OK
    a, fa = (hi, f_hi) if b == lo else (lo, f_lo)  # the secant starts on the bracket's two ends
    side = 0
    for _ in range(100):
        x = b - fb * (b - a) / (fb - fa) if fb != fa else np.nan
        tol = IV_SECANT_STOP
        if not lo < x < hi:  # the secant left the bracket: regula falsi (Illinois) inside it
            x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
            tol = 1e-13
            if not lo < x < hi:
                x = 0.5 * (lo + hi)
        if abs(x - b) <= tol * x:  # a secant step's new point is good to ~ its step times the last one's
            return x, IV_OK
        fx = american1_ws(s, k, t, r, q, x, call, ws) - price
        if fx == 0.0:
            return x, IV_OK
        lo, f_lo, hi, f_hi, side = illinois1(lo, f_lo, hi, f_hi, x, fx, side)
        if hi - lo <= 1e-13 * x:
            return x, IV_OK
        a, fa, b, fb = b, fb, x, fx
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
                 _alo_kernels.__file__, _alo_scheme.__file__, _normal.__file__, _alo_boundary.__file__,
                 _alo_seed.__file__, _alo_seed.TABLE_FILE)
