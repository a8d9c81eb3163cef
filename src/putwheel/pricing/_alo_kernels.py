"""Scalar numba kernels for the American engine: Andersen-Lake-Offengeld (2016) fixed-point exercise boundary.

Stages for one put (calls go through McDonald-Schroder symmetry, C(S, K, r, q) = P(K, S, q, r)), strike scaled to 1:
1. regimes: expired, zero vol (deterministic optimal stopping), r <= 0 (European, or a tree in the double-boundary
   case q < r < 0), otherwise the boundary method below;
2. initial boundary at Chebyshev-Lobatto nodes in z = sqrt(tau): Li's QD+ exercise condition (`_qdplus_kernels`);
3. Jacobi sweeps of the fixed-point system, FP-B, or FP-A where vol is small against |r - q| (FP-B diverges there),
   each integral over z = sqrt(tau - u) (which removes the 1/sqrt(tau - u) kernel singularity) by Gauss-Legendre
   in phi, z = sqrt(tau) sin(phi) (which smooths the boundary's own sqrt(u) at the other end, `_sine_rule`); the
   boundary is interpolated in between as the Chebyshev interpolant of H = ln(B / X)^2, X = min(1, r / q); three
   schemes (FP-B up to half a year, FP-B beyond, FP-A), all tables module constants, no allocation per contract;
4. premium: the early-exercise integral over the boundary by the same rule in sqrt(T - u), split at its kink in
   the FP-A regime; delta and gamma are the exact S-derivatives of the same quadrature (the boundary does not
   depend on S), theta comes from the PDE.

Reference: L. Andersen, M. Lake, D. Offengeld, "High-performance American option pricing", J. Comp. Finance 20(1),
2016; M. Li, "Analytical approximations for the critical stock prices of American options", 2010 (QD+).
"""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _alo_scheme, _kernels, _qdplus_kernels, _tree_kernels
from putwheel.pricing._alo_scheme import (
    _FP_WZ,
    _FP_Z,
    _FPA_WZ,
    _FPA_Z,
    _FPS_WZ,
    _FPS_Z,
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
    _SW_A,
    _SW_B,
    _SW_S,
    _XI_A,
    _XI_B,
    _XI_S,
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
    WS_WORK,
)
from putwheel.pricing._kernels import (
    INV_SQRT2PI,
    bs1,
    cache_depends_on,
    greeks1,
    jit,
    ncdf,
    npdf,
)
from putwheel.pricing._qdplus_kernels import qdplus_nodes
from putwheel.pricing._tree_kernels import binomial1, zero_vol_put


@jit
def _log_boundary(e: np.ndarray, h: np.ndarray) -> float:
    """ln(B / X) = -sqrt(H) at one quadrature point: H interpolated from its node values h by the row e."""
    acc = 0.0
    for m in range(h.size):
        acc += e[m] * h[m]
    return -math.sqrt(acc) if acc > 0.0 else 0.0


@jit
def _node_values(b: np.ndarray, xb: float, h: np.ndarray) -> None:
    for i in range(b.size):
        lb = math.log(b[i] / xb) if b[i] < xb else 0.0
        h[i] = lb * lb


@jit
def _fp_sweep(t: float, r: float, q: float, v: float, xb: float, xi: np.ndarray, sw_e: np.ndarray, zf: np.ndarray,
              wf: np.ndarray, b: np.ndarray, h: np.ndarray, eqw: np.ndarray, node: np.ndarray, out: np.ndarray,
              fpa: bool, pre: np.ndarray) -> None:
    """One Jacobi sweep of FP-B, or of FP-A (fpa), at every node but tau = 0; B(u) interpolated from h = H(nodes).

    eqw[i * l + j] = e^{-q w} at the quadrature points (FP-B: times 2 z wz), node[i] = e^{-r tau_i}, node[n + i] =
    e^{-q tau_i}; FP-B's pre = the iterate-free parts of each point (m = n l): 1 / (vol z), (r - q) w / (vol z) + vol z / 2,
    vol z, -r w, 2 phi(0) wz / vol. All the same in every sweep, computed once per contract by `_boundary`.

    Both are value matching, B = N / D (strike 1); FP-B takes the S-derivative (smooth pasting) of it and adds the
    identity x e^{-q tau} phi(d+) = e^{-r tau} phi(d-) to both sides, which converges in 2-4 sweeps but grows
    unstable once vol is small against |r - q| (its kernels scale as 1 / vol^2 against 1 / vol for FP-A)."""
    n = b.size - 1
    out[n] = xb
    nl = zf.size
    m = n * nl
    lxb = math.log(xb)
    for i in range(n):
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        sq = math.sqrt(tau)
        bt = b[i]
        lbt = -math.sqrt(h[i])  # ln(bt / X), bt <= X
        sd = v * sq
        dp = (lbt + lxb + (r - q) * tau) / sd + 0.5 * sd
        dm = dp - sd
        er, eq = node[i], node[n + i]
        num = er * ncdf(dm) if fpa else er * npdf(dm) / sd
        den = eq * ncdf(dp) if fpa else num / bt + eq * ncdf(dp)
        for j in range(nl):
            lbu = _log_boundary(sw_e[i, j], h)
            if not fpa:
                p = i * nl + j
                ep = (lbt - lbu) * pre[p] + pre[m + p]
                em = ep - pre[2 * m + p]
                kr = math.exp(pre[3 * m + p] - 0.5 * em * em) * pre[4 * m + p]
                num += r * kr
                if q != 0.0:
                    den += q * (kr * math.exp(lbu - lbt) + eqw[p] * ncdf(ep))
                continue
            z = sq * zf[j]
            wz = sq * wf[j]
            w = z * z
            sw = v * z
            ep = (lbt - lbu + (r - q) * w) / sw + 0.5 * sw
            em = ep - sw
            if fpa:
                num += r * math.exp(-r * w) * 2.0 * z * ncdf(em) * wz
                den += q * eqw[i * nl + j] * 2.0 * z * ncdf(ep) * wz
            else:
                kr = math.exp(-r * w - 0.5 * em * em) * (2.0 * INV_SQRT2PI / v) * wz  # r-kernel: e^{-rw} phi(em)
                num += r * kr
                if q != 0.0:  # e^{-qw} phi(ep) = (bu / bt) e^{-rw} phi(em)
                    den += q * (kr * math.exp(lbu - lbt) + eqw[i * nl + j] * 2.0 * z * ncdf(ep) * wz)
        out[i] = max(min(num / den, xb), 1e-300 * xb)  # an underflowed boundary would make H infinite


@jit
def _boundary(t: float, r: float, q: float, v: float, xb: float, scheme: int, iters: int,
              ws: np.ndarray) -> tuple[float, np.ndarray]:
    """H = ln(B / X)^2 at the collocation nodes over [0, t] (the boundary's interpolant, a view into the workspace
    ws, at least WS_SIZE long), and B(t). No allocation: every array is a slice of ws."""
    if scheme == FPA:
        xi, sw_e, zf, wf = _XI_A, _SW_A, _FPA_Z, _FPA_WZ
    elif scheme == FPB_SHORT:
        xi, sw_e, zf, wf = _XI_S, _SW_S, _FPS_Z, _FPS_WZ
    else:
        xi, sw_e, zf, wf = _XI_B, _SW_B, _FP_Z, _FP_WZ
    n = xi.size - 1
    nl = zf.size
    b = ws[WS_WORK:WS_WORK + n + 1]
    nxt = ws[WS_WORK + n + 1:WS_WORK + 2 * n + 2]
    h = ws[WS_WORK + 2 * n + 2:WS_WORK + 3 * n + 3]
    node = ws[WS_WORK + 3 * n + 3:WS_WORK + 5 * n + 3]
    eqw = ws[WS_WORK + 5 * n + 3:WS_WORK + 5 * n + 3 + n * nl]
    m = n * nl
    pre = ws[WS_WORK + 5 * n + 3 + m:WS_WORK + 5 * n + 3 + (m if scheme == FPA else 6 * m)]  # FP-B only: 5 rows of m
    for i in range(n):
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        node[i] = math.exp(-r * tau)
        node[n + i] = math.exp(-q * tau)
        sq = math.sqrt(tau)
        for j in range(nl):
            eqw[i * nl + j] = math.exp(-q * tau * zf[j] * zf[j]) if q != 0.0 else 1.0
            if scheme != FPA:  # FP-B: the iterate-free parts of each point, once per contract
                p = i * nl + j
                z = sq * zf[j]
                wz = sq * wf[j]
                sw = v * z
                pre[p] = 1.0 / sw
                pre[m + p] = (r - q) * z * z / sw + 0.5 * sw
                pre[2 * m + p] = sw
                pre[3 * m + p] = -r * z * z
                pre[4 * m + p] = (2.0 * INV_SQRT2PI / v) * wz
                eqw[p] *= 2.0 * z * wz
    qdplus_nodes(t, r, q, v, xb, xi, b)
    _node_values(b, xb, h)
    for _ in range(iters):
        _fp_sweep(t, r, q, v, xb, xi, sw_e, zf, wf, b, h, eqw, node, nxt, scheme == FPA, pre)
        b[:] = nxt
        _node_values(b, xb, h)
    return b[0], h


@jit
def _premium_point(x: float, lx: float, r: float, q: float, v: float, xb: float, z: float, wz: float, lbu: float,
                   greeks: bool) -> tuple[float, float, float]:
    """One quadrature point (u = z^2 from now, weight wz in z) of the premium and of its x-derivatives."""
    w = z * z
    sw = v * z
    ep = (lx - lbu + (r - q) * w) / sw + 0.5 * sw
    em = ep - sw
    er = math.exp(-r * w)
    eq = math.exp(-q * w) if q != 0.0 else 1.0
    nq = ncdf(-ep) if q != 0.0 else 0.0
    val = (r * er * ncdf(-em) - q * x * eq * nq) * 2.0 * z * wz
    if not greeks:
        return val, 0.0, 0.0
    bu = xb * math.exp(lbu)
    # d/dx: the phi terms combine through x e^{-qw} phi(ep) = bu e^{-rw} phi(em)
    pm = er * npdf(em)
    drift = r - q * bu
    dlt = (-pm * drift * 2.0 / (x * v) - q * eq * nq * 2.0 * z) * wz
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
                                 _log_boundary(pr_e[j], h), greeks)
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
    bt, hb = _boundary(t, r, q, v, xb, scheme, FP_ITER_A if fpa else (FP_ITER if t <= FP_SHORT else FP_ITER_LONG), ws)
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


cache_depends_on(globals(), _alo_scheme.__file__, _kernels.__file__, _tree_kernels.__file__, _qdplus_kernels.__file__)
