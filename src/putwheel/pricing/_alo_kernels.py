"""Scalar numba kernels for the American engine: Andersen-Lake-Offengeld (2016) fixed-point exercise boundary.

Stages for one put (calls go through McDonald-Schroder symmetry, C(S, K, r, q) = P(K, S, q, r)), strike scaled to 1:
1. regimes: expired, zero vol (deterministic optimal stopping), r <= 0 (European, or a tree in the double-boundary
   case q < r < 0), otherwise the boundary method below;
2. initial boundary at Chebyshev-Lobatto nodes in z = sqrt(tau): Li's QD+ (2005) exercise condition, solved by a
   bracketed secant;
3. `FP_ITER` Jacobi sweeps of the fixed-point system FP-B (value matching differentiated in S, ALO eq. 34), each
   integral by Gauss-Legendre in sqrt(tau - u) (which removes the 1/sqrt(tau - u) kernel singularity); between
   sweeps the boundary is interpolated as a Chebyshev series of H = ln(B / X)^2, X = min(1, r / q);
4. premium: the early-exercise integral over the boundary by Gauss-Legendre in sqrt(T - u); delta and gamma are the
   exact S-derivatives of the same quadrature (the boundary does not depend on S), theta comes from the PDE.

Reference: L. Andersen, M. Lake, D. Offengeld, "High-performance American option pricing", J. Comp. Finance 20(1),
2016; M. Li, "Analytical approximations for the critical stock prices of American options", 2010 (QD+).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from putwheel.pricing import _kernels, _tree_kernels
from putwheel.pricing._kernels import (
    INV_SQRT2PI,
    IV_ABOVE_BOUND,
    IV_BELOW_INTRINSIC,
    IV_EXPIRED,
    IV_INVALID,
    IV_NO_TIME_VALUE,
    IV_OK,
    bs1,
    cache_depends_on,
    greeks1,
    iv1,
    jit,
    ncdf,
    npdf,
    pjit,
)
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
def _qdplus_residual(x: float, tau: float, r: float, q: float, v: float) -> float:
    """Li's QD+ exercise condition at spot x (strike 1); its root is the QD+ critical price."""
    h = -math.expm1(-r * tau)
    alpha = 2.0 * r / (v * v)
    beta = 2.0 * (r - q) / (v * v)
    disc = math.sqrt((beta - 1.0) ** 2 + 4.0 * alpha / h)
    lam = 0.5 * (-(beta - 1.0) - disc)
    lam_p = alpha / (h * h * disc)
    sd = v * math.sqrt(tau)
    dp = (math.log(x) + (r - q) * tau) / sd + 0.5 * sd
    dm = dp - sd
    dq, dr = math.exp(-q * tau), math.exp(-r * tau)
    euro = dr * ncdf(-dm) - x * dq * ncdf(-dp)
    prem = 1.0 - x - euro
    theta = r * dr * ncdf(-dm) - q * x * dq * ncdf(-dp) - 0.5 * x * dq * npdf(dp) * v / math.sqrt(tau)
    c0 = 0.0
    if prem > 1e-14:
        c0 = -(1.0 - h) * alpha / (2.0 * lam + beta - 1.0) * (
            1.0 / h - theta / (r * (1.0 - h) * prem) + lam_p / (2.0 * lam + beta - 1.0))
    return x * (1.0 - dq * ncdf(-dp)) + (lam + c0) * prem


@jit
def _qdplus_boundary(tau: float, r: float, q: float, v: float, hi: float, step: float) -> float:
    """Critical price below `hi` (X, or the root at a shorter maturity: the put boundary falls with tau): bracket
    downwards in steps of `step` (doubling) in ln x, then Illinois regula falsi to 1e-9 (it only seeds the iteration)."""
    f_hi = _qdplus_residual(hi, tau, r, q, v)
    if not f_hi > 0.0:
        return hi
    lo = hi
    f_lo = f_hi
    for _ in range(200):
        lo = hi * math.exp(-step)
        f_lo = _qdplus_residual(lo, tau, r, q, v)
        if f_lo < 0.0:
            break
        hi, f_hi = lo, f_lo
        step *= 2.0
    if not f_lo < 0.0:
        return lo
    a, b = math.log(lo), math.log(hi)
    fa, fb = f_lo, f_hi
    side = 0
    for _ in range(60):
        m = (a * fb - b * fa) / (fb - fa)
        fm = _qdplus_residual(math.exp(m), tau, r, q, v)
        if fm == 0.0 or b - a < 1e-9:
            return math.exp(m)
        if fm < 0.0:
            a, fa = m, fm
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = m, fm
            if side == 1:
                fa *= 0.5
            side = 1
    return math.exp(0.5 * (a + b))


@jit
def _qdplus_secant(tau: float, r: float, q: float, v: float, y0: float, y1: float, y_hi: float) -> float:
    """Secant steps in y = ln x from two guesses (the roots at the two shorter maturities); NaN when it strays."""
    f0 = _qdplus_residual(math.exp(y0), tau, r, q, v)
    for _ in range(12):
        f1 = _qdplus_residual(math.exp(y1), tau, r, q, v)
        if f1 == f0 or not math.isfinite(f1):
            return np.nan
        y2 = y1 - f1 * (y1 - y0) / (f1 - f0)
        if not y2 < y_hi:
            return np.nan
        if abs(y2 - y1) < 1e-9:
            return math.exp(y2)
        y0, f0, y1 = y1, f1, y2
    return np.nan


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
        out[i] = min(num / den, xb)


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
    b[n] = xb
    for i in range(n - 1, -1, -1):  # shortest maturity first; each root brackets the next
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        hi = b[i + 1] * (1.0 - 1e-12)
        x = np.nan
        if i < n - 2:  # extrapolate ln B linearly in sqrt(tau) from the two previous roots, then secant steps
            y1, y2 = math.log(b[i + 1]), math.log(b[i + 2])
            z0, z1, z2 = xi[i], xi[i + 1], xi[i + 2]
            guess = y1 + (y1 - y2) * (z0 - z1) / (z1 - z2)
            x = _qdplus_secant(tau, r, q, v, y1, min(guess, math.log(hi)), math.log(b[i + 1]))
        b[i] = x if math.isfinite(x) else _qdplus_boundary(tau, r, q, v, hi, 0.1 * v * math.sqrt(tau) + 1e-6)
    _node_values(b, xb, h)
    for _ in range(iters):
        _fp_sweep(t, r, q, v, xb, xi, sw_e, b, h, eqw, nxt, fpa)
        b[:] = nxt
        _node_values(b, xb, h)
    return b[0], h


@jit
def _premium(x: float, t: float, r: float, q: float, v: float, xb: float, pr_e: np.ndarray,
             h: np.ndarray) -> tuple[float, float, float]:
    """Early-exercise premium and its first two x-derivatives (strike 1)."""
    sqt = math.sqrt(t)
    lx = math.log(x / xb)
    val = 0.0
    dlt = 0.0
    gam = 0.0
    for j in range(P_PRICE):
        z = 0.5 * sqt * (1.0 + _PR_X[j])
        wz = 0.5 * sqt * _PR_W[j]
        w = z * z
        lbu = _log_boundary(pr_e[j], h)
        bu = xb * math.exp(lbu)
        sw = v * z
        ep = (lx - lbu + (r - q) * w) / sw + 0.5 * sw
        em = ep - sw
        er, eq = math.exp(-r * w), math.exp(-q * w)
        val += (r * er * ncdf(-em) - q * x * eq * ncdf(-ep)) * 2.0 * z * wz
        # d/dx: the phi terms combine through x e^{-qw} phi(ep) = bu e^{-rw} phi(em)
        pm = er * npdf(em)
        drift = r - q * bu
        dlt += (-pm * drift * 2.0 / (x * v) - q * eq * ncdf(-ep) * 2.0 * z) * wz
        gam += pm * 2.0 / (x * x * v) * (drift * (1.0 + em / sw) + q * bu) * wz
    return val, dlt, gam


@jit
def put_core(x: float, t: float, r: float, q: float, v: float, out: np.ndarray) -> None:
    """out[:4] = value, delta, gamma, theta (dV/dt per year) of the American put, spot x, strike 1; inputs valid."""
    if t <= 0.0:
        out[0], out[1], out[2], out[3] = max(1.0 - x, 0.0), -1.0 if x < 1.0 else 0.0, 0.0, 0.0
        return
    if v <= 0.0:
        val, dlt, th = zero_vol_put(x, t, r, q)
        out[0], out[1], out[2], out[3] = val, dlt, 0.0, th
        return
    if r <= 0.0:
        if q >= r:  # carrying the strike in cash never pays: early exercise is never optimal
            g = np.empty(6)
            greeks1(x, 1.0, t, r, q, v, False, g)
            out[0], out[1], out[2], out[3] = g[0], g[1], g[2], g[3] * 365.0
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
    g = np.empty(6)
    greeks1(x, 1.0, t, r, q, v, False, g)
    prem, dp, gp = _premium(x, t, r, q, v, xb, _PR_A if fpa else _PR_B, hb)
    # the premium's integrand is positive (rK > qS below the boundary); quadrature can leave -1e-9 far out of the money
    val = max(g[0] + max(prem, 0.0), 1.0 - x)
    dlt = g[1] + dp
    gam = g[2] + gp
    out[0], out[1], out[2] = val, dlt, gam
    out[3] = r * val - (r - q) * x * dlt - 0.5 * v * v * x * x * gam


@jit
def _valid(s: float, k: float, t: float, r: float, q: float, v: float) -> bool:
    return (s > 0.0 and k > 0.0 and t >= 0.0 and v >= 0.0 and math.isfinite(s) and math.isfinite(k)
            and math.isfinite(t) and math.isfinite(v) and math.isfinite(r) and math.isfinite(q))


@jit
def american1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool) -> float:
    """American price (the scalar the compiled loops call); NaN for invalid inputs."""
    if not _valid(s, k, t, r, q, v):
        return np.nan
    out = np.empty(4)
    if call:  # C(S, K, r, q) = P(K, S, q, r)
        put_core(k / s, t, q, r, v, out)
        return max(out[0] * s, 0.0)
    put_core(s / k, t, r, q, v, out)
    return max(out[0] * k, 0.0)


@jit
def american_greeks1(s: float, k: float, t: float, r: float, q: float, v: float, call: bool, out: np.ndarray) -> None:
    """out[:] = price, delta, gamma, theta (per calendar day), vega (per 1.00), rho (per 1.00), as greeks1.

    Delta and gamma are exact derivatives of the engine's quadrature, theta follows from the Black-Scholes PDE,
    vega and rho are central differences of the full engine (boundary recomputed)."""
    if not _valid(s, k, t, r, q, v):
        for j in range(6):
            out[j] = np.nan
        return
    core = np.empty(4)
    if call:
        put_core(k / s, t, q, r, v, core)
        pv = core[0] * s  # put on (spot K, strike S): delta_C = dP/dK' = (P - K dP/dS') / S by homogeneity
        out[0] = max(pv, 0.0)
        out[1] = (pv - k * core[1]) / s
        out[2] = core[2] * k * k / (s * s * s)
        out[3] = core[3] * s / 365.0  # same function of time to expiry
    else:
        put_core(s / k, t, r, q, v, core)
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


@jit
def _iv_bracket(price: float, s: float, k: float, t: float, r: float, q: float, call: bool) -> tuple[float, float,
                                                                                                  float, float, int]:
    """(lo, f_lo, hi, f_hi, code) with f = american1 - price, f_lo < 0 <= f_hi.

    The American price is at least the European one at the same vol, so the European implied vol of the premium is an
    upper end; the lower end is one Newton step below it on European vega (the early-exercise premium over vega)."""
    e_iv, e_code = iv1(price, s, k, t, r, q, call)
    if e_code == IV_OK and e_iv > 1e-4:
        hi = e_iv
        f_hi = american1(s, k, t, r, q, hi, call) - price
        if f_hi >= 0.0:
            g = np.empty(6)
            lo = hi
            for _ in range(60):
                greeks1(s, k, t, r, q, lo, call, g)
                nxt = lo - 1.05 * f_hi / g[4] if g[4] > 0.0 else 0.5 * lo
                lo = nxt if 0.25 * lo < nxt < lo else 0.5 * lo
                lo = max(lo, 1e-4)
                f_lo = american1(s, k, t, r, q, lo, call) - price
                if f_lo < 0.0:
                    return lo, f_lo, hi, f_hi, IV_OK
                if lo <= 1e-4:
                    return np.nan, np.nan, np.nan, np.nan, IV_NO_TIME_VALUE
                hi, f_hi = lo, f_lo
    lo, hi = 1e-4, 1.0  # no European vol (premium above the European bound): search from the ends
    f_lo = american1(s, k, t, r, q, lo, call) - price
    if f_lo >= 0.0:
        return np.nan, np.nan, np.nan, np.nan, IV_NO_TIME_VALUE
    f_hi = american1(s, k, t, r, q, hi, call) - price
    while f_hi < 0.0:
        lo, f_lo = hi, f_hi
        hi *= 2.0
        if hi > 64.0:
            return np.nan, np.nan, np.nan, np.nan, IV_ABOVE_BOUND
        f_hi = american1(s, k, t, r, q, hi, call) - price
    return lo, f_lo, hi, f_hi, IV_OK


@jit
def american_iv1(price: float, s: float, k: float, t: float, r: float, q: float, call: bool) -> tuple[float, int]:
    """Vol at which the engine's price equals `price`: Illinois regula falsi inside `_iv_bracket`, to 1e-13 relative."""
    if not (math.isfinite(price) and math.isfinite(t) and _valid(s, k, max(t, 0.0), r, q, 0.0)) or price < 0.0:
        return np.nan, IV_INVALID
    if t <= 0.0:
        return np.nan, IV_EXPIRED
    intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
    if price >= (s if call else k):
        return np.nan, IV_ABOVE_BOUND
    if price < intrinsic - 1e-12 * max(price, 1.0):
        return np.nan, IV_BELOW_INTRINSIC
    lo, f_lo, hi, f_hi, code = _iv_bracket(price, s, k, t, r, q, call)
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
        fx = american1(s, k, t, r, q, x, call) - price
        if fx == 0.0 or hi - lo <= 1e-13 * x:
            return x, IV_OK
        if fx < 0.0:
            lo, f_lo = x, fx
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = x, fx
            if side == 1:
                f_lo *= 0.5
            side = 1
    return 0.5 * (lo + hi), IV_OK


@pjit
def american_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        out[i] = american1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@jit
def american_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        out[i] = american1(s[i], k[i], t[i], r[i], q[i], v[i], c[i])


@pjit
def american_greeks_vec(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(s.size):
        american_greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], out[:, i])


@jit
def american_greeks_vec_serial(s, k, t, r, q, v, c, out):  # type: ignore[no-untyped-def]
    for i in range(s.size):
        american_greeks1(s[i], k[i], t[i], r[i], q[i], v[i], c[i], out[:, i])


@pjit
def american_iv_vec(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    for i in nb.prange(out.size):
        iv, code = american_iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i])
        out[i] = iv
        reason[i] = code


@jit
def american_iv_vec_serial(p, s, k, t, r, q, c, out, reason):  # type: ignore[no-untyped-def]
    for i in range(out.size):
        iv, code = american_iv1(p[i], s[i], k[i], t[i], r[i], q[i], c[i])
        out[i] = iv
        reason[i] = code


cache_depends_on(globals(), _kernels.__file__, _tree_kernels.__file__)
