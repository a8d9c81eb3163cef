"""Scalar numba kernels shared by the vectorized pricing functions.

Why numba and not NumPy: one fused pass per contract (d1, d2, N(.) and every Greek computed once, no temporaries)
measured 6-20x faster than the NumPy/scipy formulation on 1M contracts (see bench/pricing.py and README.md), and the
iterative pieces (implied vol, American approximations, critical prices) need per-element loops anyway.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numba as nb
import numpy as np

INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)

# error_model="numpy": a division by zero yields inf/NaN (then reported as a reason) instead of raising mid-array.
jit = nb.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")


def cache_depends_on(namespace: dict[str, object], *sources: str) -> None:
    """Key the on-disk numba cache of every cached dispatcher in `namespace` on its own file *and* `sources`.

    numba's cache checks only the hash of the file a function is defined in, but a caller compiles its callees into
    itself: after an edit to this file, a module that calls bs1 (the American kernels, other compiled loops) kept
    loading the old bs1 from its cache. Worse, the callee copies are weak symbols of the same mangled name, so once
    such a stale library is loaded, this module's own cached kernels can bind to the old code too (a far-OTM put
    came back -3e-323 from a bs1 without its floor, only after an American price had run in the process).
    Call at the end of the dependent module: `cache_depends_on(globals(), _kernels.__file__)`.
    """
    try:
        digest = hashlib.sha256(b"".join(Path(str(f)).read_bytes() for f in (namespace["__file__"], *sources))).digest()
    except (KeyError, TypeError, OSError):  # no source on disk (frozen, zip): nothing to key on; numba's own check only
        return
    for obj in list(namespace.values()):
        if getattr(getattr(obj, "py_func", None), "__module__", None) != namespace.get("__name__"):
            continue  # imported kernels (bs1, ncdf, ...) keep their own module's key
        cache_file = getattr(getattr(obj, "_cache", None), "_cache_file", None)  # numba internals: best effort
        if cache_file is not None and hasattr(cache_file, "_source_stamp"):
            cache_file._source_stamp = digest


@jit
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x * INV_SQRT2)


@jit
def npdf(x: float) -> float:
    return INV_SQRT2PI * math.exp(-0.5 * x * x)


@jit
def illinois1(lo: float, f_lo: float, hi: float, f_hi: float, x: float, fx: float,
              side: int) -> tuple[float, float, float, float, int]:
    """One Illinois (modified regula falsi) update of the bracket [lo, hi] with f(lo) < 0 < f(hi) after evaluating
    f(x) = fx: x replaces the end of its sign, and the other end's value is halved when the same end moved twice in
    a row. Returns (lo, f_lo, hi, f_hi, side); shared by the American implied vol and the QD+ boundary solve."""
    if fx < 0.0:
        if side == -1:
            f_hi *= 0.5
        return x, fx, hi, f_hi, -1
    if side == 1:
        f_lo *= 0.5
    return lo, f_lo, x, fx, 1


# ---------------------------------------------------------------- Black-Scholes-Merton


@jit
def _floor0(x: float) -> float:
    return x if x > 0.0 else 0.0


@jit
def bs1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return np.nan
    dq, dr = math.exp(-q * t), math.exp(-r * t)
    sd = v * math.sqrt(t)
    if sd <= 0.0:
        fwd = s * dq - k * dr
        return max(fwd, 0.0) if call else max(-fwd, 0.0)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    # round-off can leave a far out-of-the-money price a few ulps below zero (two denormal terms: -3e-323); a price
    # never is. A -3e-323 seen after this floor existed came from a stale cached copy of an unfloored bs1 (see
    # cache_depends_on), not from the comparison; the Python wrappers floor again (_arrays.floor_zero).
    if call:
        return _floor0(s * dq * ncdf(d1) - k * dr * ncdf(d2))
    return _floor0(k * dr * ncdf(-d2) - s * dq * ncdf(-d1))


@jit
def greeks1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, out: np.ndarray) -> None:
    """out[:] = price, delta, gamma, theta (per calendar day), vega (per 1.00), rho (per 1.00)."""
    nan = np.nan
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        for j in range(6):
            out[j] = nan
        return
    dq, dr = math.exp(-q * t), math.exp(-r * t)
    sd = v * math.sqrt(t)
    if sd <= 0.0:
        fwd = s * dq - k * dr
        itm = fwd > 0.0 if call else fwd < 0.0
        out[0] = max(fwd, 0.0) if call else max(-fwd, 0.0)
        out[1] = (dq if call else -dq) if itm else 0.0
        out[2] = 0.0
        out[3] = 0.0
        out[4] = 0.0
        out[5] = ((k * t * dr) if call else (-k * t * dr)) if itm else 0.0
        return
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    pdf = npdf(d1)
    decay = -s * dq * pdf * v / (2.0 * math.sqrt(t))
    if call:
        n1, n2 = ncdf(d1), ncdf(d2)
        out[0] = _floor0(s * dq * n1 - k * dr * n2)
        out[1] = dq * n1
        out[3] = (decay - r * k * dr * n2 + q * s * dq * n1) / 365.0
        out[5] = k * t * dr * n2
    else:
        n1, n2 = ncdf(-d1), ncdf(-d2)
        out[0] = _floor0(k * dr * n2 - s * dq * n1)
        out[1] = -dq * n1
        out[3] = (decay + r * k * dr * n2 - q * s * dq * n1) / 365.0
        out[5] = -k * t * dr * n2
    out[2] = dq * pdf / (s * sd)
    out[4] = s * dq * pdf * math.sqrt(t)


@jit
def prob_itm1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0):
        return np.nan
    sd = v * math.sqrt(t)
    if sd <= 0.0:
        fwd = s * math.exp((r - q) * t)
        return (1.0 if fwd > k else 0.0) if call else (1.0 if fwd < k else 0.0)
    d2 = (math.log(s / k) + (r - q) * t) / sd - 0.5 * sd
    return ncdf(d2) if call else ncdf(-d2)


@jit
def prob_touch1(s: float, k: float, t: float, r: float, q: float, v: float) -> float:
    """Risk-neutral probability that GBM touches k before t (reflection principle with drift)."""
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0):
        return np.nan
    if k == s:
        return 1.0
    sd = v * math.sqrt(t)
    if sd <= 0.0:
        fwd = s * math.exp((r - q) * t)
        return 1.0 if (k < s and fwd <= k) or (k > s and fwd >= k) else 0.0
    nu = r - q - 0.5 * v * v
    lk = math.log(k / s)
    power = (k / s) ** (2.0 * nu / (v * v))
    if k < s:
        p = ncdf((lk - nu * t) / sd) + power * ncdf((lk + nu * t) / sd)
    else:
        p = ncdf((-lk + nu * t) / sd) + power * ncdf((-lk - nu * t) / sd)
    return min(1.0, max(0.0, p))


# ---------------------------------------------------------------- implied volatility

IV_OK, IV_BELOW_INTRINSIC, IV_ABOVE_BOUND, IV_EXPIRED, IV_INVALID, IV_NO_TIME_VALUE = 0, 1, 2, 3, 4, 5


@jit
def _ninv(p: float) -> float:
    """Inverse normal CDF (Acklam's rational approximation, |rel err| < 1.2e-9): only seeds the iteration."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    if p < 0.02425:
        qq = math.sqrt(-2.0 * math.log(p))
        return ((((((-7.784894002430293e-03 * qq - 3.223964580411365e-01) * qq - 2.400758277161838e+00) * qq
                   - 2.549732539343734e+00) * qq + 4.374664141464968e+00) * qq + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * qq + 3.224671290700398e-01) * qq + 2.445134137142996e+00) * qq
                    + 3.754408661907416e+00) * qq + 1.0))
    if p > 1.0 - 0.02425:
        return -_ninv(1.0 - p)
    qq = p - 0.5
    rr = qq * qq
    return ((((((-3.969683028665376e+01 * rr + 2.209460984245205e+02) * rr - 2.759285104469687e+02) * rr
               + 1.383577518672690e+02) * rr - 3.066479806614716e+01) * rr + 2.506628277459239e+00) * qq
            / (((((-5.447609879822406e+01 * rr + 1.615858368580409e+02) * rr - 1.556989798598866e+02) * rr
                 + 6.680131188771972e+01) * rr - 1.328068155288572e+01) * rr + 1.0))


@jit
def _solve_total_vol(beta: float, x: float) -> float:
    """Total vol s at which the normalised OTM Black call e^{x/2} N(d1) - e^{-x/2} N(d2), x <= 0, equals beta.

    Everything is anchored at the inflection point s_c = sqrt(2|x|), where d1 = 0 so b, b' and b'' are known in closed
    form (b'' = 0). Below it (b convex) Halley runs on ln b in y = 1/s^2, where ln b ~ -x^2 y / 2 is nearly linear,
    and its first step from s_c costs no normal CDF at all. Above it (b concave) the seed is the large-s asymptote
    b_max - b ~ K N(-s/2), K fitted at s_c (exact when x = 0), then Halley on b. All steps stay inside a bracket.
    Halley is cubic: once a step is below 1e-5 relative the next iterate is exact to ~1e-15 and is returned.
    """
    ex, iex = math.exp(0.5 * x), math.exp(-0.5 * x)
    s_c = math.sqrt(-2.0 * x)
    tail_c = ncdf(-s_c)
    b = 0.5 * ex - iex * tail_c  # at s_c: d1 = 0, d2 = -s_c
    vg = ex * INV_SQRT2PI
    lower = x != 0.0 and beta < b
    lb = math.log(beta)
    if lower:
        s, lo, hi = s_c, 0.0, s_c
    else:
        lo, hi = s_c, np.inf
        k = (ex - b) / ncdf(-0.5 * s_c) if s_c > 0.0 else ex + iex
        sg = -2.0 * _ninv((ex - beta) / k)
        s = max(sg, s_c) if math.isfinite(sg) else 2.0 * s_c + 1.0
        d1 = x / s + 0.5 * s
        b = ex * ncdf(d1) - iex * ncdf(d1 - s)
        vg = ex * npdf(d1)
    for _ in range(100):
        if b > beta:
            hi = min(hi, s)
        else:
            lo = max(lo, s)
        if vg <= 0.0 or b <= 0.0:
            nxt = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * s
        elif lower:
            f, f1 = math.log(b) - lb, vg / b
            f2 = f1 * (x * x / (s * s * s) - 0.25 * s) - f1 * f1  # b''/b' = x^2/s^3 - s/4
            s3 = s * s * s
            fy = -0.5 * s3 * f1
            fyy = 0.25 * s3 * s3 * f2 + 0.75 * s3 * s * s * f1
            y = 1.0 / (s * s) - f / fy / max(1.0 - 0.5 * f * fyy / (fy * fy), 0.5)
            nxt = 1.0 / math.sqrt(y) if y > 0.0 else 0.5 * (lo + hi)
        else:
            f, g2 = b - beta, x * x / (s * s * s) - 0.25 * s  # Halley on b itself
            nxt = s - f / vg / max(1.0 - 0.5 * f * g2 / vg, 0.5)
        if abs(nxt - s) <= 1e-5 * s:
            return nxt
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi) if math.isfinite(hi) else max(2.0 * s, 2.0 * lo)
        s = nxt
        d1 = x / s + 0.5 * s
        b = ex * ncdf(d1) - iex * ncdf(d1 - s)
        vg = ex * npdf(d1)
    return s


@jit
def iv1(price: float, s: float, k: float, t: float, r: float, q: float, call: bool) -> tuple[float, int]:
    if not (math.isfinite(price) and math.isfinite(s) and math.isfinite(k) and math.isfinite(t)
            and math.isfinite(r) and math.isfinite(q)) or s <= 0.0 or k <= 0.0 or price < 0.0:
        return np.nan, IV_INVALID
    if t <= 0.0:
        return np.nan, IV_EXPIRED
    dr = math.exp(-r * t)
    fwd = s * math.exp((r - q) * t)
    p = price / dr
    intrinsic = max(fwd - k, 0.0) if call else max(k - fwd, 0.0)
    bound = fwd if call else k
    if p >= bound:
        return np.nan, IV_ABOVE_BOUND
    tv = p - intrinsic
    if tv < -1e-12 * max(p, 1.0):
        return np.nan, IV_BELOW_INTRINSIC
    x = -abs(math.log(fwd / k))
    beta = tv / math.sqrt(fwd * k)
    if beta <= 1e-300 or beta >= math.exp(0.5 * x):
        return np.nan, IV_NO_TIME_VALUE
    tot = _solve_total_vol(beta, x)
    # vega ~ phi(d1) at the solution: beyond |d1| = 36 it is below 1e-280 and the price does not determine the vol.
    if not math.isfinite(tot) or abs(x / tot + 0.5 * tot) > 36.0:
        return np.nan, IV_NO_TIME_VALUE
    return tot / math.sqrt(t), IV_OK


# ---------------------------------------------------------------- array loops (parallel over contracts)

pjit = nb.njit(cache=True, parallel=True, nogil=True, error_model="numpy")


@pjit
def bs_price_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = bs1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@jit
def bs_price_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = bs1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@pjit
def greeks_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.shape[1]):
        tmp = np.empty(6)
        greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], tmp)
        for j in range(6):
            out[j, i] = tmp[j]


@jit
def greeks_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.shape[1]):
        tmp = np.empty(6)
        greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], tmp)
        for j in range(6):
            out[j, i] = tmp[j]


@pjit
def prob_itm_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = prob_itm1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@jit
def prob_itm_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = prob_itm1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@pjit
def prob_touch_vec(s, k, t, r, q, v, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = prob_touch1(s[i], k[i], t[i], r[i], q[i], v[i])


@jit
def prob_touch_vec_serial(s, k, t, r, q, v, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = prob_touch1(s[i], k[i], t[i], r[i], q[i], v[i])


@pjit
def iv_vec(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        iv, code = iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i])
        out[i] = iv
        reason[i] = code


@jit
def iv_vec_serial(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        iv, code = iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i])
        out[i] = iv
        reason[i] = code
