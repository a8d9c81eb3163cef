"""The American engine's exercise boundary: Andersen-Lake-Offengeld fixed-point sweeps from the QD+ seed.

Put, strike 1, r > 0 (the regimes around it are `_alo_kernels.put_core`'s). The boundary lives at Chebyshev-Lobatto
nodes in z = sqrt(tau), as H = ln(B / X)^2, X = min(1, r / q), interpolated in between (`log_boundary`, constant
matrices from `_alo_scheme`). Seed: for the short FP-B scheme inside its table (`_alo_seed`), the scheme's own
converged nodes interpolated in r / vol^2, q / vol^2, vol^2 t (then FP_ITER_SEEDED = 1 sweep); otherwise Li's QD+
exercise condition at every node (`_qdplus_kernels`); then Jacobi sweeps
of the fixed-point system, FP-B, or FP-A where vol is small against |r - q| (FP-B diverges there). Each integral runs
over z = sqrt(tau - u) (removing the kernel's 1 / sqrt(tau - u)) by Gauss-Legendre in phi, z = sqrt(tau) sin(phi)
(smoothing the boundary's own sqrt(u) at the other end, `_alo_scheme._sine_rule`). No allocation per contract: every
array is a slice of the caller's workspace.
"""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _alo_scheme, _alo_seed, _kernels, _normal, _qdplus_kernels
from putwheel.pricing._alo_scheme import (
    _FP_WZ,
    _FP_Z,
    _FPA_WZ,
    _FPA_Z,
    _FPS_WZ,
    _FPS_Z,
    _SW_A,
    _SW_B,
    _SW_S,
    _XI_A,
    _XI_B,
    _XI_S,
    FPA,
    FPB_SHORT,
    NEWTON,
    NODE_ROWS,
    PRE_ROWS,
    WS_WORK,
)
from putwheel.pricing._alo_seed import FP_ITER_SEEDED, seed_nodes
from putwheel.pricing._kernels import INV_SQRT2PI, cache_depends_on, jit
from putwheel.pricing._normal import ncdf, ncdf_given, ncdf_pdf
from putwheel.pricing._qdplus_kernels import qdplus_nodes


@jit
def log_boundary(e: np.ndarray, h: np.ndarray) -> float:
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
def _fpb_sweep(t: float, r: float, q: float, v: float, xb: float, xi: np.ndarray, sw_e: np.ndarray, b: np.ndarray,
               h: np.ndarray, eqw: np.ndarray, node: np.ndarray, out: np.ndarray, pre: np.ndarray,
               newton: bool) -> None:
    """One Jacobi sweep of FP-B at every node but tau = 0 (out[n] = X); B(u) interpolated from h = H(nodes).

    Value matching B = N / D (strike 1) differentiated in S (smooth pasting), with the identity x e^{-q tau}
    phi(d+) = e^{-r tau} phi(d-) added to both sides: converges in 2-4 sweeps, but grows unstable once vol is small
    against |r - q| (its kernels scale as 1 / vol^2 against 1 / vol for FP-A). newton: a Jacobi-Newton step on the
    node terms' derivatives in bt, as QuantLib's QdFp (ALO section 5.3); the integrands' own dependence on bt is
    left out, since the other nodes move with it (with it the step was 1.5 cents worse, not better).

    eqw[p] = e^{-q w} 2 z wz at point p = i l + j; node[i] = e^{-r tau_i}, node[n + i] = e^{-q tau_i}, then
    vol sqrt(tau_i), its inverse and (ln X + (r - q) tau_i) / (vol sqrt(tau_i)) + vol sqrt(tau_i) / 2; pre = the
    iterate-free parts of each point (m = n l): 1 / (vol z), (r - q) w / (vol z) + vol z / 2, vol z, -r w,
    2 phi(0) wz / vol, e^{qw} vol / (2 wz). All the same in every sweep, computed once per contract by `boundary`.
    Per point one exp for the r-kernel e^{-rw} phi(d-), one for bu / bt; phi(d+) follows from the identity."""
    n = b.size - 1
    out[n] = xb
    nl = sw_e.shape[1]
    m = n * nl
    for i in range(n):
        bt = b[i]
        lbt = -math.sqrt(h[i])  # ln(bt / X), bt <= X
        sd, isd = node[2 * n + i], node[3 * n + i]
        dp = lbt * isd + node[4 * n + i]
        dm = dp - sd
        cdf, pdf = ncdf_pdf(dp)
        eq = node[n + i]
        pn = eq * pdf * isd  # e^{-q tau} phi(dp) / sd
        num = pn * bt  # e^{-r tau} phi(dm) / sd, by the identity
        den = pn + eq * cdf
        nd = -num * dm * isd  # d/d ln(bt) of the node terms of N and D
        dd = pn * (1.0 - dp * isd)
        for j in range(nl):
            lbu = log_boundary(sw_e[i, j], h)
            p = i * nl + j
            ep = (lbt - lbu) * pre[p] + pre[m + p]
            em = ep - pre[2 * m + p]
            kr = math.exp(pre[3 * m + p] - 0.5 * em * em) * pre[4 * m + p]  # e^{-rw} phi(em) 2 wz / vol
            num += r * kr
            if q != 0.0:
                kq = kr * math.exp(lbu - lbt)  # e^{-qw} phi(ep) 2 wz / vol
                pdf = kq * pre[5 * m + p]  # phi(ep); e^{qw} may overflow on long maturities: then N(ep) directly
                cdf = ncdf_given(ep, pdf) if pdf < 0.4 else ncdf(ep)
                den += q * (kq + eqw[p] * cdf)
        f = num / den
        if newton:
            fd = (nd / den - dd * num / (den * den)) / bt  # df / d bt
            f = bt - (f - bt) / (fd - 1.0)
        out[i] = max(min(f, xb), 1e-300 * xb)  # an underflowed boundary would make H infinite


@jit
def _fpa_sweep(t: float, r: float, q: float, v: float, xb: float, xi: np.ndarray, sw_e: np.ndarray, zf: np.ndarray,
               wf: np.ndarray, h: np.ndarray, eqw: np.ndarray, node: np.ndarray, out: np.ndarray) -> None:
    """One Jacobi sweep of FP-A (value matching, B = N / D, strike 1), used where vol < FPA_BELOW |r - q|; eqw[p] =
    e^{-q w} at the points, node as `_fpb_sweep`."""
    n = h.size - 1
    out[n] = xb
    nl = zf.size
    lxb = math.log(xb)
    for i in range(n):
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        sq = math.sqrt(tau)
        lbt = -math.sqrt(h[i])
        sd = v * sq
        dp = (lbt + lxb + (r - q) * tau) / sd + 0.5 * sd
        num = node[i] * ncdf(dp - sd)
        den = node[n + i] * ncdf(dp)
        for j in range(nl):
            lbu = log_boundary(sw_e[i, j], h)
            z = sq * zf[j]
            wz = sq * wf[j]
            w = z * z
            sw = v * z
            ep = (lbt - lbu + (r - q) * w) / sw + 0.5 * sw
            num += r * math.exp(-r * w) * 2.0 * z * ncdf(ep - sw) * wz
            den += q * eqw[i * nl + j] * 2.0 * z * ncdf(ep) * wz
        out[i] = max(min(num / den, xb), 1e-300 * xb)


@jit
def boundary(t: float, r: float, q: float, v: float, xb: float, scheme: int, iters: int,
             ws: np.ndarray, table: bool) -> tuple[float, np.ndarray]:
    """H = ln(B / X)^2 at the collocation nodes over [0, t] (the boundary's interpolant, a view into the workspace
    ws, at least WS_SIZE long), and B(t). No allocation: every array is a slice of ws. table: seed the short FP-B
    scheme from `_alo_seed` where it covers the contract, with FP_ITER_SEEDED sweeps in place of iters (False: QD+
    and iters sweeps always, as the table's builder runs it)."""
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
    node = ws[WS_WORK + 3 * n + 3:WS_WORK + 3 * n + 3 + NODE_ROWS * n]
    m = n * nl
    e0 = WS_WORK + 3 * n + 3 + NODE_ROWS * n
    eqw = ws[e0:e0 + m]
    pre = ws[e0 + m:e0 + (m if scheme == FPA else (1 + PRE_ROWS) * m)]  # FP-B only
    lxb = math.log(xb)
    for i in range(n):
        tau = t * 0.25 * (1.0 + xi[i]) ** 2
        node[i] = math.exp(-r * tau)
        node[n + i] = math.exp(-q * tau)
        sq = math.sqrt(tau)
        sd = v * sq
        node[2 * n + i] = sd
        node[3 * n + i] = 1.0 / sd
        node[4 * n + i] = (lxb + (r - q) * tau) / sd + 0.5 * sd
        for j in range(nl):
            w = tau * zf[j] * zf[j]
            eqw[i * nl + j] = math.exp(-q * w) if q != 0.0 else 1.0
            if scheme != FPA:  # FP-B: the iterate-free parts of each point, once per contract
                p = i * nl + j
                z = sq * zf[j]
                wz = sq * wf[j]
                sw = v * z
                pre[p] = 1.0 / sw
                pre[m + p] = (r - q) * w * pre[p] + 0.5 * sw
                pre[2 * m + p] = sw
                pre[3 * m + p] = -r * w
                pre[4 * m + p] = (2.0 * INV_SQRT2PI / v) * wz
                pre[5 * m + p] = v / (2.0 * wz * eqw[p]) if eqw[p] > 1e-290 else math.inf  # e^{qw} vol / (2 wz)
                eqw[p] *= 2.0 * z * wz
    if table and scheme == FPB_SHORT and seed_nodes(t, r, q, v, xb, b, h):
        iters = FP_ITER_SEEDED
    else:
        qdplus_nodes(t, r, q, v, xb, xi, b, h)
    for it in range(iters):
        if scheme == FPA:
            _fpa_sweep(t, r, q, v, xb, xi, sw_e, zf, wf, h, eqw, node, nxt)
        else:
            _fpb_sweep(t, r, q, v, xb, xi, sw_e, b, h, eqw, node, nxt, pre, it < NEWTON)
        b[:] = nxt
        _node_values(b, xb, h)
    return b[0], h


cache_depends_on(globals(), _alo_scheme.__file__, _alo_seed.__file__, _alo_seed.TABLE_FILE, _kernels.__file__, _normal.__file__,
                 _qdplus_kernels.__file__)
