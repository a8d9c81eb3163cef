"""Scalar numba kernels for the American engine: Andersen-Lake-Offengeld (2016) fixed-point exercise boundary.

Stages for one put (calls go through McDonald-Schroder symmetry, C(S, K, r, q) = P(K, S, q, r)), strike scaled to 1:
1. regimes: expired, zero vol (deterministic optimal stopping), r <= 0 (European, or a tree in the double-boundary
   case q < r < 0), otherwise the boundary method below;
2. initial boundary at Chebyshev-Lobatto nodes in z = sqrt(tau): up to half a year, the short scheme's own converged
   boundary, tabled over its dimensionless groups r / vol^2, q / vol^2, vol^2 tau and interpolated (`_alo_seed`),
   then ONE sweep; elsewhere (and outside the table) Li's QD+ exercise condition (`_qdplus_kernels`);
3. Jacobi sweeps of the fixed-point system, FP-B (the first NEWTON of them Jacobi-Newton steps), or FP-A where vol
   is small against |r - q| (`_alo_boundary`); the boundary is the Chebyshev interpolant of H = ln(B / X)^2,
   X = min(1, r / q); three schemes (FP-B up to half a year, FP-B beyond, FP-A), all tables module constants
   (`_alo_scheme`), no allocation per contract;
4. premium: the early-exercise integral over the boundary by the same rule in sqrt(T - u), split at its kink in
   the FP-A regime; delta and gamma are the exact S-derivatives of the same quadrature (the boundary does not
   depend on S), theta comes from the PDE.

Reference: L. Andersen, M. Lake, D. Offengeld, "High-performance American option pricing", J. Comp. Finance 20(1),
2016; M. Li, "Analytical approximations for the critical stock prices of American options", 2010 (QD+).
"""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _alo_boundary, _alo_scheme, _alo_seed, _kernels, _normal, _qdplus_kernels, _tree_kernels
from putwheel.pricing._alo_boundary import boundary, log_boundary
from putwheel.pricing._alo_scheme import (
    _LOB_A,
    _PR_A,
    _PR_B,
    _PR_S,
    _PR_W,
    _PR_WZ,
    _PR_X,
    _PR_Z,
    _PRS_WZ,
    _PRS_Z,
    FP_ITER,
    FP_ITER_A,
    FP_ITER_LONG,
    FP_SHORT,
    FPA,
    FPA_BELOW,
    FPB_LONG,
    FPB_SHORT,
    N_NODES_A,
    P_PRICE,
    WS_COEF,
    WS_CORE,
    WS_G,
    WS_SIZE,
)
from putwheel.pricing._kernels import (
    INV_SQRT2,
    INV_SQRT2PI,
    bs1,
    cache_depends_on,
    greeks1,
    jit,
    npdf,
)
from putwheel.pricing._normal import HALF_SQRT2PI, erfc_scaled, ncdf
from putwheel.pricing._tree_kernels import binomial1, zero_vol_put


@jit
def _premium_point(x: float, lx: float, r: float, q: float, v: float, xb: float, z: float, wz: float, lbu: float,
                   greeks: bool) -> tuple[float, float, float]:
    """One quadrature point (u = z^2 from now, weight wz in z) of the premium and of its x-derivatives."""
    w = z * z
    sw = v * z
    ep = (lx - lbu + (r - q) * w) / sw + 0.5 * sw
    em = ep - sw
    if em * INV_SQRT2 > 0.46875:  # both N(-em) and N(-ep) in Cody's tails: their exps from one, by the identity
        pm = INV_SQRT2PI * math.exp(-r * w - 0.5 * em * em)  # e^{-rw} phi(em)
        bu = xb * math.exp(lbu)  # x e^{-qw} phi(ep) = bu e^{-rw} phi(em)
        rn = HALF_SQRT2PI * pm * erfc_scaled(em * INV_SQRT2)  # e^{-rw} N(-em)
        xqn = HALF_SQRT2PI * bu * pm * erfc_scaled(ep * INV_SQRT2) if q != 0.0 else 0.0  # x e^{-qw} N(-ep)
    else:
        er = math.exp(-r * w)
        rn = er * ncdf(-em)
        xqn = x * math.exp(-q * w) * ncdf(-ep) if q != 0.0 else 0.0
        pm = er * npdf(em) if greeks else 0.0
        bu = xb * math.exp(lbu) if greeks else 0.0
    val = (r * rn - q * xqn) * 2.0 * z * wz
    if not greeks:
        return val, 0.0, 0.0
    # d/dx: the phi terms combine through x e^{-qw} phi(ep) = bu e^{-rw} phi(em)
    drift = r - q * bu
    dlt = (-pm * drift * 2.0 / (x * v) - q * xqn / x * 2.0 * z) * wz
    gam = pm * 2.0 / (x * x * v) * (drift * (1.0 + em / sw) + q * bu) * wz
    return val, dlt, gam


@jit
def _premium(x: float, t: float, r: float, q: float, v: float, xb: float, pr_e: np.ndarray, h: np.ndarray,
             greeks: bool, pz: np.ndarray, pw: np.ndarray) -> tuple[float, float, float]:
    """Early-exercise premium and (greeks) its first two x-derivatives (strike 1)."""
    sqt = math.sqrt(t)
    lx = math.log(x / xb)
    val = 0.0
    dlt = 0.0
    gam = 0.0
    for j in range(pz.size):
        a, b, c = _premium_point(x, lx, r, q, v, xb, sqt * pz[j], sqt * pw[j],
                                 log_boundary(pr_e[j], h), greeks)
        val += a
        dlt += b
        gam += c
    return val, dlt, gam


@jit
def _premium_split(x: float, t: float, r: float, q: float, v: float, xb: float, u0: float, h: np.ndarray,
                   greeks: bool, coef: np.ndarray) -> tuple[float, float, float]:
    """The premium integral split at u0 (FP-A regime, q > r): small vol against carry makes its integrand kinked there.

    The spot's forward x e^{(r - q) u} reaches the boundary (about X) at u0 = ln(x / X) / (q - r): before it the
    integrand is ~0, after it r e^{-ru} - q x e^{-qu}, which is 0 at u0 itself. A kink smoothed over only
    vol sqrt(u0) / (q - r): one Gauss-Legendre rule over [0, T] missed 2 cents on a 40-year put at vol 5 %
    (q = 50 %); one rule on each side is exact to the scheme. The boundary is the Chebyshev interpolant of h,
    evaluated at each point (Clenshaw), since the points are no longer fixed fractions of T."""
    n = h.size - 1
    for m in range(n + 1):
        acc = 0.0
        for i in range(n + 1):
            acc += _LOB_A[m, i] * h[i]
        coef[m] = acc
    val = 0.0
    dlt = 0.0
    gam = 0.0
    lx = math.log(x / xb)
    ends = (0.0, math.sqrt(u0), math.sqrt(t))
    for piece in range(2):
        za, zb = ends[piece], ends[piece + 1]
        for j in range(P_PRICE):
            z = za + 0.5 * (zb - za) * (1.0 + _PR_X[j])
            xi = 2.0 * math.sqrt(max(1.0 - z * z / t, 0.0)) - 1.0
            b1 = 0.0
            b2 = 0.0
            for m in range(n, 0, -1):  # Clenshaw: sum c_m T_m(xi) (the end terms' halving is in _LOB_A)
                b1, b2 = 2.0 * xi * b1 - b2 + coef[m], b1
            hh = xi * b1 - b2 + coef[0]
            lbu = -math.sqrt(hh) if hh > 0.0 else 0.0
            a, b, c = _premium_point(x, lx, r, q, v, xb, z, 0.5 * (zb - za) * _PR_W[j], lbu, greeks)
            val += a
            dlt += b
            gam += c
    return val, dlt, gam


@jit
def put_core(x: float, t: float, r: float, q: float, v: float, out: np.ndarray, greeks: bool, ws: np.ndarray) -> None:
    """out[:4] = value, delta, gamma, theta (dV/dt per year) of the American put, spot x, strike 1; inputs valid.

    ws: the workspace (WS_SIZE floats; out may be its first four)."""
    if t <= 0.0:
        out[0], out[1], out[2], out[3] = max(1.0 - x, 0.0), -1.0 if x < 1.0 else 0.0, 0.0, 0.0
        return
    if v <= 0.0:
        val, dlt, th = zero_vol_put(x, t, r, q)
        out[0], out[1], out[2], out[3] = val, dlt, 0.0, th
        return
    if q < 0.0 and r >= 0.0 and r * t < 1e-12:
        # the stock drifts up: waiting costs the put even with no interest on the strike (r = 0 is one boundary, the
        # limit of r -> 0+, not the two-boundary case); the method needs r t >~ 1e-13, and r t = 1e-12 moves the
        # price by ~1e-12 of the strike (was: European, 1.079 against 3.033 at r = 1e-14, q = -50 %)
        r = 1e-12 / t
    if r <= 0.0 or r * t < 1e-13:
        # the early-exercise premium is at most the interest on the strike, 1 - e^{-rt}: below 1e-13 it is noise
        # when q >= 0 (and the boundary iteration underflows); r <= 0 with q >= r: carrying the strike never pays
        if q >= r or r > 0.0:
            g = ws[WS_G:WS_G + 6]
            greeks1(x, 1.0, t, r, q, v, False, g)
            out[0], out[1], out[2], out[3] = max(g[0], 1.0 - x), g[1], g[2], g[3] * 365.0
        else:  # q < r <= 0: two exercise boundaries, outside the fixed-point method; a 2,000-step tree
            # (the tree's discretization can dip below the European value, which the American price never does)
            val = max(binomial1(x, 1.0, t, r, q, v, False, 2000, True), bs1(x, 1.0, t, r, q, v, False))
            h = 1e-3 * x
            up = binomial1(x + h, 1.0, t, r, q, v, False, 2000, True)
            dn = binomial1(x - h, 1.0, t, r, q, v, False, 2000, True)
            out[0], out[1], out[2] = val, (up - dn) / (2.0 * h), (up - 2.0 * val + dn) / (h * h)
            out[3] = r * val - (r - q) * x * out[1] - 0.5 * v * v * x * x * out[2]
        return
    xb = min(1.0, r / q) if q > 0.0 else 1.0
    fpa = v < FPA_BELOW * abs(r - q)
    scheme = FPA if fpa else (FPB_SHORT if t <= FP_SHORT else FPB_LONG)
    bt, hb = boundary(t, r, q, v, xb, scheme, FP_ITER_A if fpa else (FP_ITER if t <= FP_SHORT else FP_ITER_LONG), ws,
                      True)
    if x <= bt:
        out[0], out[1], out[2], out[3] = 1.0 - x, -1.0, 0.0, 0.0
        return
    u0 = math.log(x / xb) / (q - r) if fpa and q > r else 0.0
    if 0.0 < u0 < t:
        prem, dp, gp = _premium_split(x, t, r, q, v, xb, u0, hb, greeks, ws[WS_COEF:WS_COEF + N_NODES_A + 1])
    elif scheme == FPB_SHORT:
        prem, dp, gp = _premium(x, t, r, q, v, xb, _PR_S, hb, greeks, _PRS_Z, _PRS_WZ)
    else:
        prem, dp, gp = _premium(x, t, r, q, v, xb, _PR_A if fpa else _PR_B, hb, greeks, _PR_Z, _PR_WZ)
    if not greeks:
        out[0] = max(bs1(x, 1.0, t, r, q, v, False) + max(prem, 0.0), 1.0 - x)
        return
    g = ws[WS_G:WS_G + 6]
    greeks1(x, 1.0, t, r, q, v, False, g)
    # the premium's integrand is positive (rK > qS below the boundary); quadrature can leave -1e-9 far out of the money
    val = max(g[0] + max(prem, 0.0), 1.0 - x)
    dlt = g[1] + dp
    gam = g[2] + gp
    out[0], out[1], out[2] = val, dlt, gam
    out[3] = r * val - (r - q) * x * dlt - 0.5 * v * v * x * x * gam


@jit
def valid_inputs(s: float, k: float, t: float, r: float, q: float, v: float) -> bool:
    return (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0 and math.isfinite(s) and math.isfinite(k)
            and math.isfinite(t) and math.isfinite(v) and math.isfinite(r) and math.isfinite(q))


@jit
def american1_ws(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, ws: np.ndarray) -> float:
    """American price (the scalar the compiled loops call) with a caller's workspace (WS_SIZE floats); NaN for
    invalid inputs.

    A zero spot or strike (with the rest valid) has its exact limit, as in QuantLib's QD+ edge cases: the asset or
    the strike is then a sure amount, received now or at expiry, whichever is worth more."""
    if not valid_inputs(s, k, t, r, q, v):
        if (s == 0.0 or k == 0.0) and valid_inputs(max(s, 1.0), max(k, 1.0), t, r, q, v) and s >= 0.0 and k >= 0.0:
            if s == 0.0 and k == 0.0:
                return 0.0
            if call:
                return 0.0 if s == 0.0 else s * max(1.0, math.exp(-q * t))
            return 0.0 if k == 0.0 else k * max(1.0, math.exp(-r * t))
        return np.nan
    out = ws[WS_CORE:WS_CORE + 4]
    if call:  # C(S, K, r, q) = P(K, S, q, r)
        put_core(k / s, t, q, r, v, out, False, ws)
        return max(out[0] * s, 0.0)
    put_core(s / k, t, r, q, v, out, False, ws)
    return max(out[0] * k, 0.0)


@jit
def american1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    """American price of one contract (allocates its workspace; loops use `american1_ws`)."""
    return american1_ws(s, k, t, r, q, v, call, np.empty(WS_SIZE))


@jit
def american_greeks1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, out: np.ndarray,
                     ws: np.ndarray) -> None:
    """out[:] = price, delta, gamma, theta (per calendar day), vega (per 1.00), rho (per 1.00), as greeks1.

    Delta and gamma are exact derivatives of the engine's quadrature, theta follows from the Black-Scholes PDE,
    vega and rho are central differences of the full engine (boundary recomputed). ws: WS_SIZE floats."""
    if not valid_inputs(s, k, t, r, q, v):
        for j in range(6):
            out[j] = np.nan
        return
    core = ws[WS_CORE:WS_CORE + 4]
    if call:
        put_core(k / s, t, q, r, v, core, True, ws)
        pv = core[0] * s  # put on (spot K, strike S): delta_C = dP/dK' = (P - K dP/dS') / S by homogeneity
        out[0] = max(pv, 0.0)
        out[1] = (pv - k * core[1]) / s
        out[2] = core[2] * k * k / (s * s * s)
        out[3] = core[3] * s / 365.0  # same function of time to expiry
    else:
        put_core(s / k, t, r, q, v, core, True, ws)
        out[0] = max(core[0] * k, 0.0)
        out[1] = core[1]
        out[2] = core[2] / k
        out[3] = core[3] * k / 365.0
    if t <= 0.0:
        out[4] = 0.0
        out[5] = 0.0
        return
    hv = min(1e-4 * max(v, 0.01), 0.5 * v)
    if hv > 0.0:
        out[4] = (american1_ws(s, k, t, r, q, v + hv, call, ws) - american1_ws(s, k, t, r, q, v - hv, call, ws)) / (2 * hv)
    else:
        out[4] = (american1_ws(s, k, t, r, q, 1e-6, call, ws) - out[0]) / 1e-6
    hr = 1e-5
    out[5] = (american1_ws(s, k, t, r + hr, q, v, call, ws) - american1_ws(s, k, t, r - hr, q, v, call, ws)) / (2 * hr)


@jit
def american_delta1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, ws: np.ndarray) -> float:
    """The engine's delta alone (one boundary solve: price and delta come from the same premium quadrature)."""
    if not valid_inputs(s, k, t, r, q, v):
        return np.nan
    core = ws[WS_CORE:WS_CORE + 4]
    if call:
        put_core(k / s, t, q, r, v, core, True, ws)
        return (core[0] * s - k * core[1]) / s
    put_core(s / k, t, r, q, v, core, True, ws)
    return core[1]


cache_depends_on(globals(), _alo_boundary.__file__, _alo_seed.__file__, _alo_seed.TABLE_FILE, _alo_scheme.__file__,
                 _kernels.__file__, _normal.__file__,
                 _tree_kernels.__file__, _qdplus_kernels.__file__)
