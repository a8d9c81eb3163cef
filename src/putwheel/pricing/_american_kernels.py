"""Scalar numba kernels for American options: Bjerksund-Stensland 2002, Barone-Adesi-Whaley 1987, a CRR tree.

Formulas follow Haug, "The Complete Guide to Option Pricing Formulas" (2nd ed., 2007), sections 3.1-3.3, in
cost-of-carry form b = r - q. Puts use the Bjerksund-Stensland put-call transformation P(S, K, r, b) = C(K, S, r - b, -b).
"""

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
from putwheel.pricing._alo_kernels import american1
from putwheel.pricing._kernels import (
    bs1,
    cache_depends_on,
    jit,
    ncdf,
    npdf,
    pjit,
)
from putwheel.pricing._tree_kernels import binomial1, zero_vol_american1

__all__ = ["baw1", "binomial1", "bs2002_1", "bvn_cdf", "zero_vol_american1"]


# ---------------------------------------------------------------- bivariate normal (Bjerksund-Stensland 2002 only)

_GL_W = (
    np.array([0.1713244923791705, 0.3607615730481384, 0.4679139345726904]),
    np.array([0.04717533638651177, 0.1069393259953183, 0.1600783285433464,
              0.2031674267230659, 0.2334925365383547, 0.2491470458134029]),
    np.array([0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475,
              0.1019301198172404, 0.1181945319615184, 0.1316886384491766, 0.1420961093183821,
              0.1491729864726037, 0.1527533871307259]),
)
_GL_X = (
    np.array([0.9324695142031522, 0.6612093864662647, 0.2386191860831970]),
    np.array([0.9815606342467191, 0.9041172563704750, 0.7699026741943050,
              0.5873179542866171, 0.3678314989981802, 0.1252334085114692]),
    np.array([0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188,
              0.7463319064601508, 0.6360536807265150, 0.5108670019508271, 0.3737060887154196,
              0.2277858511416451, 0.07652652113349733]),
)
GL_W0, GL_W1, GL_W2 = _GL_W
GL_X0, GL_X1, GL_X2 = _GL_X


@jit
def _bvn_upper(dh: float, dk: float, r: float) -> float:
    """P(X > dh, Y > dk) for a standard bivariate normal with correlation r (Genz 2004, after Drezner-Wesolowsky)."""
    if r == 0.0:
        return ncdf(-dh) * ncdf(-dk)
    ar = abs(r)
    if ar < 0.3:
        w, x = GL_W0, GL_X0
    elif ar < 0.75:
        w, x = GL_W1, GL_X1
    else:
        w, x = GL_W2, GL_X2
    tp = 2.0 * math.pi
    h, k = dh, dk
    hk = h * k
    bvn = 0.0
    if ar < 0.925:
        hs = (h * h + k * k) / 2.0
        asr = math.asin(r) / 2.0
        for i in range(x.size):
            for sgn in (-1.0, 1.0):
                sn = math.sin(asr * (1.0 + sgn * x[i]))
                bvn += w[i] * math.exp((sn * hk - hs) / (1.0 - sn * sn))
        return bvn * asr / tp + ncdf(-h) * ncdf(-k)
    if r < 0.0:
        k = -k
        hk = -hk
    if ar < 1.0:
        as_ = 1.0 - r * r
        a = math.sqrt(as_)
        bs = (h - k) ** 2
        c = (4.0 - hk) / 8.0
        d = (12.0 - hk) / 80.0
        asr = -(bs / as_ + hk) / 2.0
        if asr > -100.0:
            bvn = a * math.exp(asr) * (1.0 - c * (bs - as_) * (1.0 - d * bs) / 3.0 + c * d * as_ * as_)
        if hk > -100.0:
            b = math.sqrt(bs)
            sp = math.sqrt(tp) * ncdf(-b / a)
            bvn -= math.exp(-hk / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0)
        a /= 2.0
        acc = 0.0
        for i in range(x.size):
            for sgn in (-1.0, 1.0):
                xs = (a * (1.0 + sgn * x[i])) ** 2
                asr2 = -(bs / xs + hk) / 2.0
                if asr2 > -100.0:
                    sp2 = 1.0 + c * xs * (1.0 + 5.0 * d * xs)
                    rs = math.sqrt(1.0 - xs)
                    ep = math.exp(-(hk / 2.0) * xs / (1.0 + rs) ** 2) / rs
                    acc += w[i] * math.exp(asr2) * (sp2 - ep)
        bvn = (a * acc - bvn) / tp
    if r > 0.0:
        bvn += ncdf(-max(h, k))
    elif h >= k:
        bvn = -bvn
    else:
        lo = ncdf(k) - ncdf(h) if h < 0.0 else ncdf(-h) - ncdf(-k)
        bvn = lo - bvn
    return min(1.0, max(0.0, bvn))


@jit
def bvn_cdf(a: float, b: float, r: float) -> float:
    """P(X <= a, Y <= b), correlation r."""
    return _bvn_upper(-a, -b, r)



@jit
def _phi(s: float, t: float, gamma: float, h: float, i: float, r: float, b: float, v: float) -> float:
    lam = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v * v) * t
    d = -(math.log(s / h) + (b + (gamma - 0.5) * v * v) * t) / (v * math.sqrt(t))
    kappa = 2.0 * b / (v * v) + 2.0 * gamma - 1.0
    return math.exp(lam) * s**gamma * (ncdf(d) - (i / s) ** kappa * ncdf(d - 2.0 * math.log(i / s) / (v * math.sqrt(t))))


@jit
def _psi(s: float, t2: float, gamma: float, h: float, i2: float, i1: float, t1: float, r: float, b: float,
         v: float) -> float:
    vt1, vt2 = v * math.sqrt(t1), v * math.sqrt(t2)
    bg1 = (b + (gamma - 0.5) * v * v) * t1
    bg2 = (b + (gamma - 0.5) * v * v) * t2
    e1 = (math.log(s / i1) + bg1) / vt1
    e2 = (math.log(i2 * i2 / (s * i1)) + bg1) / vt1
    e3 = (math.log(s / i1) - bg1) / vt1
    e4 = (math.log(i2 * i2 / (s * i1)) - bg1) / vt1
    f1 = (math.log(s / h) + bg2) / vt2
    f2 = (math.log(i2 * i2 / (s * h)) + bg2) / vt2
    f3 = (math.log(i1 * i1 / (s * h)) + bg2) / vt2
    f4 = (math.log(s * i1 * i1 / (h * i2 * i2)) + bg2) / vt2
    rho = math.sqrt(t1 / t2)
    lam = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v * v
    kappa = 2.0 * b / (v * v) + 2.0 * gamma - 1.0
    return math.exp(lam * t2) * s**gamma * (
        bvn_cdf(-e1, -f1, rho)
        - (i2 / s) ** kappa * bvn_cdf(-e2, -f2, rho)
        - (i1 / s) ** kappa * bvn_cdf(-e3, -f3, -rho)
        + (i1 / i2) ** kappa * bvn_cdf(-e4, -f4, -rho)
    )


@jit
def _bs2002_call(s: float, k: float, t: float, r: float, b: float, v: float) -> float:
    euro = bs1(s, k, t, r, r - b, v, True)
    if b >= r - 1e-9 or v <= 0.0 or t <= 0.0:  # no dividend yield on the (transformed) call: never exercise early
        return max(euro, s - k)
    t1 = 0.5 * (math.sqrt(5.0) - 1.0) * t
    beta = (0.5 - b / (v * v)) + math.sqrt((b / (v * v) - 0.5) ** 2 + 2.0 * r / (v * v))
    if beta - 1.0 < 1e-9:  # carry and rate ~ 0: early exercise is worth nothing
        return max(euro, s - k)
    b_inf = beta / (beta - 1.0) * k
    b0 = max(k, r / (r - b) * k)
    if b * t + 2.0 * v * math.sqrt(t) <= 0.0:
        # h(T) >= 0 puts the trigger below its own floor B0 and the formula collapses to about the European value
        # (puts with (r - q) sqrt(T) > 2 vol: S = K = 100, T = 1, r = 6 %, vol = 2 % gave 0.00074 for 0.1224)
        return np.nan
    ht1 = -(b * t1 + 2.0 * v * math.sqrt(t1)) * k * k / ((b_inf - b0) * b0)
    ht2 = -(b * t + 2.0 * v * math.sqrt(t)) * k * k / ((b_inf - b0) * b0)
    i1 = b0 + (b_inf - b0) * (1.0 - math.exp(ht1))
    i2 = b0 + (b_inf - b0) * (1.0 - math.exp(ht2))
    if s >= i2:
        return max(s - k, euro)
    a1 = (i1 - k) * i1 ** (-beta)
    a2 = (i2 - k) * i2 ** (-beta)
    val = (a2 * s**beta - a2 * _phi(s, t1, beta, i2, i2, r, b, v)
           + _phi(s, t1, 1.0, i2, i2, r, b, v) - _phi(s, t1, 1.0, i1, i2, r, b, v)
           - k * _phi(s, t1, 0.0, i2, i2, r, b, v) + k * _phi(s, t1, 0.0, i1, i2, r, b, v)
           + a1 * _phi(s, t1, beta, i1, i2, r, b, v) - a1 * _psi(s, t, beta, i1, i2, i1, t1, r, b, v)
           + _psi(s, t, 1.0, i1, i2, i1, t1, r, b, v) - _psi(s, t, 1.0, k, i2, i1, t1, r, b, v)
           - k * _psi(s, t, 0.0, i1, i2, i1, t1, r, b, v) + k * _psi(s, t, 0.0, k, i2, i1, t1, r, b, v))
    return max(val, euro, s - k)


@jit
def bs2002_1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return np.nan
    if t == 0.0 or v == 0.0:
        return zero_vol_american1(s, k, t, r, q, call)
    b = r - q
    val = _bs2002_call(s, k, t, r, b, v) if call else _bs2002_call(k, s, t, r - b, -b, v)
    return val if math.isfinite(val) else _fallback(s, k, t, r, q, v, call)


@jit
def _baw_raw(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    """Barone-Adesi-Whaley quadratic approximation; critical price by Newton to 1e-12 relative."""
    if not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) or math.isnan(r) or math.isnan(q):
        return np.nan
    euro = bs1(s, k, t, r, q, v, call)
    intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
    b = r - q
    if t == 0.0 or v == 0.0:
        return zero_vol_american1(s, k, t, r, q, call)
    # calls: never exercised early without a dividend (q <= 0); puts: never while cash earns nothing (r <= 0 <= q).
    # A call with r <= 0 < q is exercised early: M / K = 2r / (v^2 (1 - e^{-rt})) tends to 2 / (v^2 t) as r -> 0.
    if (call and b >= r - 1e-9) or (not call and r * t < 1e-12):
        return max(euro, intrinsic)
    sd = v * math.sqrt(t)
    n = 2.0 * b / (v * v)
    rt = r * t
    m_over_k = 2.0 / (v * v * t) * (rt / -math.expm1(-rt) if abs(rt) > 1e-300 else 1.0)
    m = 2.0 * r / (v * v)
    carry = math.exp((b - r) * t)
    if call:
        q2 = (-(n - 1.0) + math.sqrt((n - 1.0) ** 2 + 4.0 * m_over_k)) / 2.0
        q2inf = (-(n - 1.0) + math.sqrt((n - 1.0) ** 2 + 4.0 * m)) / 2.0
        s_inf = k / (1.0 - 1.0 / q2inf)
        h2 = -(b * t + 2.0 * sd) * k / (s_inf - k)
        si = k + (s_inf - k) * (1.0 - math.exp(h2))
        for _ in range(200):
            d1 = (math.log(si / k) + (b + 0.5 * v * v) * t) / sd
            rhs = bs1(si, k, t, r, q, v, True) + (1.0 - carry * ncdf(d1)) * si / q2
            bi = carry * ncdf(d1) * (1.0 - 1.0 / q2) + (1.0 - carry * npdf(d1) / sd) / q2
            if abs(si - k - rhs) / k < 1e-13:
                break
            si = (k + rhs - bi * si) / (1.0 - bi)
        if s >= si:
            return max(intrinsic, euro)
        d1 = (math.log(si / k) + (b + 0.5 * v * v) * t) / sd
        a2 = si / q2 * (1.0 - carry * ncdf(d1))
        return max(euro + a2 * (s / si) ** q2, intrinsic)
    q1 = (-(n - 1.0) - math.sqrt((n - 1.0) ** 2 + 4.0 * m_over_k)) / 2.0
    q1inf = (-(n - 1.0) - math.sqrt((n - 1.0) ** 2 + 4.0 * m)) / 2.0
    s_inf = k / (1.0 - 1.0 / q1inf)
    h1 = (b * t - 2.0 * sd) * k / (k - s_inf)
    si = s_inf + (k - s_inf) * math.exp(h1)
    for _ in range(200):
        d1 = (math.log(si / k) + (b + 0.5 * v * v) * t) / sd
        rhs = bs1(si, k, t, r, q, v, False) - (1.0 - carry * ncdf(-d1)) * si / q1
        bi = -carry * ncdf(-d1) * (1.0 - 1.0 / q1) - (1.0 + carry * npdf(-d1) / sd) / q1
        if abs(k - si - rhs) / k < 1e-13:
            break
        si = (k - rhs + bi * si) / (1.0 + bi)
    if s <= si:
        return max(intrinsic, euro)
    d1 = (math.log(si / k) + (b + 0.5 * v * v) * t) / sd
    a1 = -si / q1 * (1.0 - carry * ncdf(-d1))
    return max(euro + a1 * (s / si) ** q1, intrinsic)


@jit
def _fallback(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    """Where a closed form overflows (tiny vol against large carry: beta ~ 2r/v^2 in the thousands) or leaves its
    domain (BS2002 with b T + 2 vol sqrt(T) <= 0), use the fixed-point engine, valid at any vol."""
    return max(american1(s, k, t, r, q, v, call), bs1(s, k, t, r, q, v, call))


@jit
def baw1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    val = _baw_raw(s, k, t, r, q, v, call)
    return val if math.isfinite(val) or not (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0) else _fallback(
        s, k, t, r, q, v, call)


@pjit
def bs2002_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = bs2002_1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@jit
def bs2002_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = bs2002_1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@pjit
def baw_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = baw1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@jit
def baw_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = baw1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@pjit
def binomial_vec(s, k, t, r, q, v, c, steps, american, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = binomial1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], steps, american)


@jit
def binomial_vec_serial(s, k, t, r, q, v, c, steps, american, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = binomial1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], steps, american)


# bs1, ncdf, bvn_cdf, the tree and the fixed-point engine are compiled into these kernels: their cache must go stale
# when those files change too.
cache_depends_on(globals(), _kernels.__file__, _tree_kernels.__file__, _qdplus_kernels.__file__, _alo_kernels.__file__,
                 _alo_scheme.__file__, _normal.__file__, _alo_boundary.__file__,
                 _alo_seed.__file__, _alo_seed.TABLE_FILE)
