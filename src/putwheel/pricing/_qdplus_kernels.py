"""Li's QD+ critical prices (M. Li, "Analytical approximations for the critical stock prices of American options",
2010): the seed of the fixed-point engine's boundary (`_alo_kernels`). Put, strike 1, r > 0.

Stages: the QD+ exercise condition as a residual in y = ln(spot), with its exact derivative; per node Newton steps
from the linear extrapolation of the two shorter maturities' roots (about 2.1 residuals a node on the wheel domain;
the secant it replaced took 3.3); a bracketed Illinois solve where Newton strays.
"""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _kernels, _normal
from putwheel.pricing._kernels import cache_depends_on, illinois1, jit
from putwheel.pricing._normal import ncdf, ncdf_given, ncdf_pdf

NEWTON_STOP = 1e-3  # Newton's last step in ln x (a seed, the sweeps refine it: 3e-3 gave 0.046 cent, 1e-2 0.33)
_Consts = tuple[float, float, float, float, float, float, float, float, float, float, float]


@jit
def _qdplus_consts(tau: float, r: float, q: float, v: float) -> _Consts:
    """The parts of Li's exercise condition that depend on the maturity only (computed once per node, not per x):
    1 / (vol sqrt(tau)), vol sqrt(tau), (r - q) tau, e^{-q tau}, e^{-r tau}, e^{(r - q) tau}, lambda, and the
    residual's c0 = a (b - theta c / premium) folded into a, b, c."""
    h = -math.expm1(-r * tau)
    alpha = 2.0 * r / (v * v)
    beta = 2.0 * (r - q) / (v * v)
    disc = math.sqrt((beta - 1.0) ** 2 + 4.0 * alpha / h)
    lam = 0.5 * (-(beta - 1.0) - disc)
    lam_p = alpha / (h * h * disc)
    sq = math.sqrt(tau)
    sd = v * sq
    dq = math.exp(-q * tau)
    dr = 1.0 - h
    den = 2.0 * lam + beta - 1.0
    return (1.0 / sd, sd, (r - q) * tau, dq, dr, dq / dr, lam, -(1.0 - h) * alpha / den, 1.0 / h + lam_p / den,
            1.0 / (r * (1.0 - h)), 0.5 * dq * v / sq)


@jit
def _qdplus_parts(y: float, r: float, q: float, c: _Consts) -> tuple[float, float, float, float, float, float, float]:
    """What Li's exercise condition and its derivative share at spot x = e^y (strike 1), maturity constants c:
    x, d+, N(-d+), phi(d+), x e^{-q tau}, the early-exercise premium 1 - x - European put, and theta. One exp for x
    and one for phi(d+): phi(d-) is phi(d+) x e^{(r - q) tau}."""
    inv_sd, sd, drift, dq, dr, fwd, _lam, _ca, _cb, _cc, half_dq_v_sqt = c
    x = math.exp(y)
    dp = (y + drift) * inv_sd + 0.5 * sd
    dm = dp - sd
    n_p, pdf_p = ncdf_pdf(-dp)
    n_m = ncdf_given(-dm, pdf_p * x * fwd) if pdf_p > 1e-280 else ncdf(-dm)
    xdq = x * dq
    euro = dr * n_m - xdq * n_p
    prem = 1.0 - x - euro
    theta = r * dr * n_m - q * xdq * n_p - half_dq_v_sqt * x * pdf_p
    return x, dp, n_p, pdf_p, xdq, prem, theta


@jit
def _qdplus_res_y(y: float, r: float, q: float, c: _Consts) -> float:
    """Li's QD+ exercise condition at spot x = e^y (strike 1), maturity constants c; its root is the QD+ critical
    price (taking y = ln x spares the solver's exp/log round trip)."""
    lam, ca, cb, cc = c[6], c[7], c[8], c[9]
    x, _dp, n_p, _pdf, xdq, prem, theta = _qdplus_parts(y, r, q, c)
    c0 = ca * (cb - theta * cc / prem) if prem > 1e-14 else 0.0
    return x - xdq * n_p + (lam + c0) * prem


@jit
def _qdplus_res_dy(y: float, r: float, q: float, c: _Consts) -> tuple[float, float]:
    """`_qdplus_res_y` and its derivative in y (for Newton steps; no transcendental beyond the residual's own)."""
    inv_sd, lam, ca, cb, cc, half_dq_v_sqt = c[0], c[6], c[7], c[8], c[9], c[10]
    x, dp, n_p, pdf_p, xdq, prem, theta = _qdplus_parts(y, r, q, c)
    # d/dy: d n_p = -phi(dp) / sd, e^{-r tau} phi(dm) = x e^{-q tau} phi(dp) (so d euro = -x e^{-q tau} n_p)
    g = xdq * pdf_p * inv_sd
    d_prem = xdq * n_p - x
    d_theta = -r * g - q * xdq * n_p + q * g - half_dq_v_sqt * x * pdf_p * (1.0 - dp * inv_sd)
    d_own = x - xdq * n_p + g  # d/dy of x - x e^{-q tau} n_p
    if prem > 1e-14:
        c0 = ca * (cb - theta * cc / prem)
        d_c0 = -ca * cc * (d_theta * prem - theta * d_prem) / (prem * prem)
        return x - xdq * n_p + (lam + c0) * prem, d_own + d_c0 * prem + (lam + c0) * d_prem
    return x - xdq * n_p + lam * prem, d_own + lam * d_prem


@jit
def _qdplus_res(x: float, r: float, q: float, c: _Consts) -> float:
    return _qdplus_res_y(math.log(x), r, q, c)


@jit
def _qdplus_boundary(tau: float, r: float, q: float, v: float, hi: float, step: float) -> float:
    """Critical price below `hi` (X, or the root at a shorter maturity: the put boundary falls with tau): bracket
    downwards in steps of `step` (doubling) in ln x, then Illinois regula falsi to steps below 1e-7 (a seed only).

    The fallback when Newton from an extrapolated guess strays."""
    c = _qdplus_consts(tau, r, q, v)
    f_hi = _qdplus_res(hi, r, q, c)
    if not f_hi > 0.0:
        return hi
    lo = hi
    f_lo = f_hi
    for _ in range(200):
        lo = hi * math.exp(-step)
        f_lo = _qdplus_res(lo, r, q, c)
        if f_lo < 0.0:
            break
        hi, f_hi = lo, f_lo
        step *= 2.0
    if not f_lo < 0.0:
        return lo
    a, b = math.log(lo), math.log(hi)
    fa, fb = f_lo, f_hi
    side = 0
    m = b
    for _ in range(60):
        prev = m
        m = (a * fb - b * fa) / (fb - fa)
        fm = _qdplus_res_y(m, r, q, c)
        if fm == 0.0 or b - a < 1e-9 or abs(m - prev) < 1e-7:
            return math.exp(m)
        a, fa, b, fb, side = illinois1(a, fa, b, fb, m, fm, side)
    return math.exp(0.5 * (a + b))


@jit
def _qdplus_newton(tau: float, r: float, q: float, v: float, y: float, y_hi: float) -> float:
    """Newton steps in y = ln x on the residual's exact derivative from an extrapolated root y (above the root,
    where the residual is steep and convex: the steps then come down monotonically). Returns the root's ln x, NaN
    when it strays."""
    c = _qdplus_consts(tau, r, q, v)
    for _ in range(12):
        f, d = _qdplus_res_dy(y, r, q, c)
        if not (math.isfinite(f) and d > 0.0):
            return np.nan
        y2 = y - f / d
        if not y2 < y_hi:  # overshoot past the shorter maturity's root: halve the way to it
            y2 = 0.5 * (y + y_hi)
        if abs(y2 - y) < NEWTON_STOP:  # quadratic: the iterate is then good to ~NEWTON_STOP^2
            return y2
        y = y2
    return np.nan


@jit
def qdplus_nodes(t: float, r: float, q: float, v: float, xb: float, xi: np.ndarray, b: np.ndarray,
                 h: np.ndarray) -> None:
    """b[i] = QD+ critical price at tau_i = t ((1 + xi_i) / 2)^2, b[-1] = X (tau = 0); h[i] = ln(b[i] / X)^2 (the
    fixed-point sweeps' interpolated quantity, from the solve's own ln b: no log per node)."""
    n = b.size - 1
    b[n] = xb
    h[n] = 0.0
    lxb = math.log(xb)
    y1 = y2 = lxb  # ln b at the two shorter maturities
    for i in range(n - 1, -1, -1):  # shortest maturity first; each root brackets the next
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        hi = b[i + 1] * (1.0 - 1e-12)
        if i < n - 1:  # extrapolate ln B linearly in sqrt(tau) from the two shorter maturities (X at tau = 0)
            z0, z1, z2 = xi[i], xi[i + 1], xi[i + 2]
            guess = y1 + (y1 - y2) * (z0 - z1) / (z1 - z2)
        else:  # the shortest maturity: ln(B / X) = -k vol sqrt(tau), k -> 0.639 for q > r (X = r / q) and growing
            # like sqrt(ln(1 / tau)) otherwise; the fit below (ln B / (vol sqrt(tau)) of the QD+ roots at this node on
            # the wheel domain, within 0.8) times 0.75 keeps the guess above the root, where the residual is steep and
            # convex; below it is flat (a secant started there strayed on about half the contracts, each then solved
            # again by the bracketed fallback)
            sq = v * math.sqrt(tau)
            k = 0.6388 if q > r else 0.75 * min(max(0.292 * math.log(v / (r * tau)) + 1.40, 0.6388), 6.0)
            guess = lxb - k * sq
        y_hi = y1 - 1e-12  # ln(hi)
        y = _qdplus_newton(tau, r, q, v, min(guess, y_hi - 1e-9), y_hi)
        if math.isfinite(y):
            b[i] = math.exp(y)
        else:
            b[i] = _qdplus_boundary(tau, r, q, v, hi, 0.1 * v * math.sqrt(tau) + 1e-6)
            y = math.log(b[i])
        lb = min(y - lxb, 0.0)
        h[i] = lb * lb
        y1, y2 = y, y1


cache_depends_on(globals(), _kernels.__file__, _normal.__file__)
