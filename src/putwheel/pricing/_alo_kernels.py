"""Scalar numba kernels for the American engine: Andersen-Lake-Offengeld (2016) fixed-point exercise boundary.

Stages for one put (calls go through McDonald-Schroder symmetry, C(S, K, r, q) = P(K, S, q, r)), strike scaled to 1:
1. regimes: expired, zero vol (deterministic optimal stopping), r <= 0 (European, or a tree in the double-boundary
   case q < r < 0), otherwise the boundary method below;
2. initial boundary at Chebyshev-Lobatto nodes in z = sqrt(tau): Li's QD+ exercise condition (`_qdplus_kernels`);
3. Jacobi sweeps of the fixed-point system, FP-B, or FP-A where vol is small against |r - q| (FP-B diverges there),
   each integral by Gauss-Legendre in sqrt(tau - u) (which removes the 1/sqrt(tau - u) kernel singularity); the
   boundary is interpolated in between as the Chebyshev interpolant of H = ln(B / X)^2, X = min(1, r / q);
4. premium: the early-exercise integral over the boundary by Gauss-Legendre in sqrt(T - u); delta and gamma are the
   exact S-derivatives of the same quadrature (the boundary does not depend on S), theta comes from the PDE.

Reference: L. Andersen, M. Lake, D. Offengeld, "High-performance American option pricing", J. Comp. Finance 20(1),
2016; M. Li, "Analytical approximations for the critical stock prices of American options", 2010 (QD+).
"""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _kernels, _qdplus_kernels, _tree_kernels
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

# Scheme, tuned in bench/american.py against QuantLib's QdFp engine at high precision. The sweep counts depend on
# the maturity and on vol against carry only, never on the iterate, so the price is a smooth function of vol and
# rates (finite-difference vega and rho, the implied-vol solve).
N_NODES = 8  # FP-B: Chebyshev intervals (N_NODES + 1 collocation points, tau = 0 included)
L_FP = 16  # FP-B: Gauss-Legendre points per fixed-point integral
FP_ITER = 3  # FP-B sweeps after the QD+ start up to FP_SHORT years (2 sweeps: 2.5e-4 max error on the wheel set)
FP_SHORT = 0.5
FP_ITER_LONG = 6  # beyond FP_SHORT (3 sweeps left 8e-3 at 5 years, vol 125 %)
FPA_BELOW = 2.5  # vol < FPA_BELOW |r - q|: FP-B diverges (seen below ~2), use FP-A with a finer scheme
N_NODES_A = 16  # FP-A converges linearly (its Jacobian is 1 on the diagonal) and its Phi kernels are steeper
L_FP_A = 32
FP_ITER_A = 8
P_PRICE = 32  # Gauss-Legendre points in the premium integral

_FP_X, _FP_W = np.polynomial.legendre.leggauss(L_FP)
_FPA_X, _FPA_W = np.polynomial.legendre.leggauss(L_FP_A)
_PR_X, _PR_W = np.polynomial.legendre.leggauss(P_PRICE)


def _lobatto_matrix(n: int) -> np.ndarray:
    """Values at the Lobatto nodes -> Chebyshev coefficients (DCT-I with halved end terms folded in)."""
    half = np.ones(n + 1)
    half[0] = half[-1] = 0.5
    kk, ii = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    return (2.0 / n) * half[None, :] * half[:, None] * np.cos(np.pi * kk * ii / n)


def _lobatto_nodes(n: int) -> np.ndarray:
    return np.cos(np.pi * np.arange(n + 1) / n)  # xi_0 = 1 (tau = T) ... xi_n = -1 (tau = 0)


def _interpolation(n: int, abscissae: np.ndarray) -> np.ndarray:
    """Values at the n + 1 Lobatto nodes -> values of their Chebyshev interpolant at `abscissae` (any shape)."""
    theta = np.arccos(np.clip(abscissae, -1.0, 1.0))[..., None]
    return np.ascontiguousarray(np.cos(theta * np.arange(n + 1)) @ _lobatto_matrix(n))


def _tables(n: int, qx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, and the interpolation matrices onto the quadrature points of the sweep and of the premium.

    In xi = 2 sqrt(u / T) - 1 every quadrature point is a fixed fraction of its node whatever T is: the point u =
    tau_i - tau_i ((1 + x_j) / 2)^2 sits at xi = (1 + xi_i) sqrt(1 - ((1 + x_j) / 2)^2) - 1. So interpolating the
    boundary is one constant matrix product per sweep, with no Chebyshev series evaluated at run time."""
    xi = _lobatto_nodes(n)
    frac = np.sqrt(1.0 - (0.5 * (1.0 + qx)) ** 2)
    sweep = _interpolation(n, (1.0 + xi[:n, None]) * frac[None, :] - 1.0)
    prem = _interpolation(n, 2.0 * np.sqrt(1.0 - (0.5 * (1.0 + _PR_X)) ** 2) - 1.0)
    return xi, sweep, prem


_XI_B, _SW_B, _PR_B = _tables(N_NODES, _FP_X)
_XI_A, _SW_A, _PR_A = _tables(N_NODES_A, _FPA_X)
_LOB_A = np.ascontiguousarray(_lobatto_matrix(N_NODES_A))  # FP-A node values -> Chebyshev coefficients


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
def _fp_sweep(t: float, r: float, q: float, v: float, xb: float, xi: np.ndarray, sw_e: np.ndarray, b: np.ndarray,
              h: np.ndarray, eqw: np.ndarray, out: np.ndarray, fpa: bool) -> None:
    """One Jacobi sweep of FP-B, or of FP-A (fpa), at every node but tau = 0; B(u) interpolated from h = H(nodes).

    eqw[i, j] = e^{-q w} at the quadrature points (the same in every sweep).

    Both are value matching, B = N / D (strike 1); FP-B takes the S-derivative (smooth pasting) of it and adds the
    identity x e^{-q tau} phi(d+) = e^{-r tau} phi(d-) to both sides, which converges in 2-4 sweeps but grows
    unstable once vol is small against |r - q| (its kernels scale as 1 / vol^2 against 1 / vol for FP-A)."""
    n = b.size - 1
    out[n] = xb
    qx, qw = (_FPA_X, _FPA_W) if fpa else (_FP_X, _FP_W)
    for i in range(n):
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        sq = math.sqrt(tau)
        bt = b[i]
        lbt = math.log(bt / xb)
        sd = v * sq
        dp = (math.log(bt) + (r - q) * tau) / sd + 0.5 * sd
        dm = dp - sd
        er, eq = math.exp(-r * tau), math.exp(-q * tau)
        num = er * ncdf(dm) if fpa else er * npdf(dm) / sd
        den = eq * ncdf(dp) if fpa else num / bt + eq * ncdf(dp)
        for j in range(qx.size):
            z = 0.5 * sq * (1.0 + qx[j])
            wz = 0.5 * sq * qw[j]
            w = z * z
            lbu = _log_boundary(sw_e[i, j], h)
            sw = v * z
            ep = (lbt - lbu + (r - q) * w) / sw + 0.5 * sw
            em = ep - sw
            if fpa:
                num += r * math.exp(-r * w) * 2.0 * z * ncdf(em) * wz
                den += q * eqw[i, j] * 2.0 * z * ncdf(ep) * wz
            else:
                kr = math.exp(-r * w - 0.5 * em * em) * (2.0 * INV_SQRT2PI / v) * wz  # r-kernel: e^{-rw} phi(em)
                num += r * kr
                if q != 0.0:  # e^{-qw} phi(ep) = (bu / bt) e^{-rw} phi(em)
                    den += q * (kr * math.exp(lbu - lbt) + eqw[i, j] * 2.0 * z * ncdf(ep) * wz)
        out[i] = max(min(num / den, xb), 1e-300 * xb)  # an underflowed boundary would make H infinite


@jit
def _boundary(t: float, r: float, q: float, v: float, xb: float, fpa: bool, iters: int) -> tuple[float, np.ndarray]:
    """H = ln(B / X)^2 at the collocation nodes over [0, t] (the boundary's interpolant), and B(t)."""
    xi, sw_e = (_XI_A, _SW_A) if fpa else (_XI_B, _SW_B)
    qx = _FPA_X if fpa else _FP_X
    n = xi.size - 1
    b = np.empty(n + 1)
    nxt = np.empty(n + 1)
    h = np.empty(n + 1)
    eqw = np.ones((n, qx.size))
    if q != 0.0:
        for i in range(n):
            for j in range(qx.size):
                eqw[i, j] = math.exp(-q * t * (0.25 * (1.0 + xi[i]) * (1.0 + qx[j])) ** 2)
    qdplus_nodes(t, r, q, v, xb, xi, b)
    _node_values(b, xb, h)
    for _ in range(iters):
        _fp_sweep(t, r, q, v, xb, xi, sw_e, b, h, eqw, nxt, fpa)
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
             greeks: bool) -> tuple[float, float, float]:
    """Early-exercise premium and (greeks) its first two x-derivatives (strike 1)."""
    sqt = math.sqrt(t)
    lx = math.log(x / xb)
    val = 0.0
    dlt = 0.0
    gam = 0.0
    for j in range(P_PRICE):
        a, b, c = _premium_point(x, lx, r, q, v, xb, 0.5 * sqt * (1.0 + _PR_X[j]), 0.5 * sqt * _PR_W[j],
                                 _log_boundary(pr_e[j], h), greeks)
        val += a
        dlt += b
        gam += c
    return val, dlt, gam


@jit
def _premium_split(x: float, t: float, r: float, q: float, v: float, xb: float, u0: float, h: np.ndarray,
                   greeks: bool) -> tuple[float, float, float]:
    """The premium integral split at u0 (FP-A regime, q > r): small vol against carry makes its integrand kinked there.

    The spot's forward x e^{(r - q) u} reaches the boundary (about X) at u0 = ln(x / X) / (q - r): before it the
    integrand is ~0, after it r e^{-ru} - q x e^{-qu}, which is 0 at u0 itself. A kink smoothed over only
    vol sqrt(u0) / (q - r): one Gauss-Legendre rule over [0, T] missed 2 cents on a 40-year put at vol 5 %
    (q = 50 %); one rule on each side is exact to the scheme. The boundary is the Chebyshev interpolant of h,
    evaluated at each point (Clenshaw), since the points are no longer fixed fractions of T."""
    n = h.size - 1
    coef = np.zeros(n + 1)
    for m in range(n + 1):
        for i in range(n + 1):
            coef[m] += _LOB_A[m, i] * h[i]
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
def put_core(x: float, t: float, r: float, q: float, v: float, out: np.ndarray, greeks: bool) -> None:
    """out[:4] = value, delta, gamma, theta (dV/dt per year) of the American put, spot x, strike 1; inputs valid."""
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
            g = np.empty(6)
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
    bt, hb = _boundary(t, r, q, v, xb, fpa, FP_ITER_A if fpa else (FP_ITER if t <= FP_SHORT else FP_ITER_LONG))
    if x <= bt:
        out[0], out[1], out[2], out[3] = 1.0 - x, -1.0, 0.0, 0.0
        return
    u0 = math.log(x / xb) / (q - r) if fpa and q > r else 0.0
    if 0.0 < u0 < t:
        prem, dp, gp = _premium_split(x, t, r, q, v, xb, u0, hb, greeks)
    else:
        prem, dp, gp = _premium(x, t, r, q, v, xb, _PR_A if fpa else _PR_B, hb, greeks)
    if not greeks:
        out[0] = max(bs1(x, 1.0, t, r, q, v, False) + max(prem, 0.0), 1.0 - x)
        return
    g = np.empty(6)
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
def american1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    """American price (the scalar the compiled loops call); NaN for invalid inputs.

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
    out = np.empty(4)
    if call:  # C(S, K, r, q) = P(K, S, q, r)
        put_core(k / s, t, q, r, v, out, False)
        return max(out[0] * s, 0.0)
    put_core(s / k, t, r, q, v, out, False)
    return max(out[0] * k, 0.0)


@jit
def american_greeks1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, out: np.ndarray) -> None:
    """out[:] = price, delta, gamma, theta (per calendar day), vega (per 1.00), rho (per 1.00), as greeks1.

    Delta and gamma are exact derivatives of the engine's quadrature, theta follows from the Black-Scholes PDE,
    vega and rho are central differences of the full engine (boundary recomputed)."""
    if not valid_inputs(s, k, t, r, q, v):
        for j in range(6):
            out[j] = np.nan
        return
    core = np.empty(4)
    if call:
        put_core(k / s, t, q, r, v, core, True)
        pv = core[0] * s  # put on (spot K, strike S): delta_C = dP/dK' = (P - K dP/dS') / S by homogeneity
        out[0] = max(pv, 0.0)
        out[1] = (pv - k * core[1]) / s
        out[2] = core[2] * k * k / (s * s * s)
        out[3] = core[3] * s / 365.0  # same function of time to expiry
    else:
        put_core(s / k, t, r, q, v, core, True)
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
        out[4] = (american1(s, k, t, r, q, v + hv, call) - american1(s, k, t, r, q, v - hv, call)) / (2 * hv)
    else:
        out[4] = (american1(s, k, t, r, q, 1e-6, call) - out[0]) / 1e-6
    hr = 1e-5
    out[5] = (american1(s, k, t, r + hr, q, v, call) - american1(s, k, t, r - hr, q, v, call)) / (2 * hr)


cache_depends_on(globals(), _kernels.__file__, _tree_kernels.__file__, _qdplus_kernels.__file__)
