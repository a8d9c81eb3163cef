"""The American engine's scheme: node counts, quadrature rules and their tables, the workspace layout.

Module constants, built once at import with NumPy; the compiled kernels in `_alo_kernels` read them as frozen
globals (so both files key the kernels' on-disk cache, `cache_depends_on`). Tuned against QuantLib's QdFp engine at
high precision in bench/american.py (ADR 0008).
"""

from __future__ import annotations

import numpy as np

# Scheme, tuned in bench/american.py against QuantLib's QdFp engine at high precision (max error, cents, on 10,000
# wheel-domain contracts / 2,000 wide-domain ones; see the report of issue 13 for the sweep). The sweep counts depend
# on the maturity and on vol against carry only, never on the iterate, so the price is a smooth function of vol and
# rates (finite-difference vega and rho, the implied-vol solve) -- up to the short scheme's tabled seed (`_alo_seed`,
# 1 sweep after it): piecewise multilinear, so the price is continuous with kinks of ~the scheme's error at its cell
# faces, and steps of < 1e-7 of the strike at the table's edges (measured), where the QD+ seed takes over.
N_NODES_S = 6  # FP-B up to FP_SHORT years: Chebyshev intervals (N + 1 collocation points, tau = 0 included);
L_FP_S = 4  # sine-rule Gauss-Legendre points per fixed-point integral: 0.0225 cent at 3 sweeps (5: 0.0232; 3: 0.11,
# and 0.12 with the Newton steps; 5 nodes: 0.053, 0.22 with them)
FP_ITER = 2  # FP-B sweeps after the QD+ start up to FP_SHORT years: 0.022 cent with NEWTON = 2 (naive sweeps: 0.031;
# 1 Newton sweep: 0.22; 1 naive: 0.89). After the tabled seed, `_alo_seed.FP_ITER_SEEDED` = 1: 0.026 cent
FP_SHORT = 0.5
NEWTON = 2  # the first NEWTON sweeps are Jacobi-Newton steps on the node terms (QuantLib's QdFp takes one): 1: 0.024
N_NODES = 8  # FP-B beyond FP_SHORT (7 nodes: 0.52 cent on the wide set)
L_FP = 8  # 0.08 cent (6 points: 0.15, and 0.6 % off on a 152-year put in QuantLib's random set; 5: 0.75 cent)
FP_ITER_LONG = 6  # beyond FP_SHORT (3 sweeps left 8e-3 at 5 years, vol 125 %; with the Newton steps 3 and 4 sweeps
# gave 0.15 / 0.18 cent wide max, mean 0.0067 / 0.0057, against 0.17 / 0.0056 at 6)
FPA_BELOW = 2.5  # vol < FPA_BELOW |r - q|: FP-B diverges (seen below ~2), use FP-A with a finer scheme
N_NODES_A = 16  # FP-A converges linearly (its Jacobian is 1 on the diagonal) and its Phi kernels are steeper
L_FP_A = 32
FP_ITER_A = 8
P_PRICE_S = 12  # sine-rule Gauss-Legendre points in the premium integral up to FP_SHORT years (10: 0.034 cent;
# 0.048 with the Newton steps)
P_PRICE = 32  # beyond (16 left 0.4 cent at vol 10,000 %, QuantLib's extreme-vol edge case; 12: 1.9 cents wide)


def _sine_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre in phi over [0, pi / 2] for an integral over z in [0, Z]: z = Z sin(phi), dz = Z cos(phi) dphi.

    Returns z / Z and the weights / Z. Every integral here runs over z = sqrt(time to the kernel's singular end),
    which removes that end's 1 / sqrt singularity; the boundary has its own square-root behaviour at the other end
    (B ~ X - c sqrt(tau) as tau -> 0), at z = Z. There sqrt(Z^2 - z^2) = Z cos(phi) is smooth in phi, so the rule
    converges exponentially where plain Gauss-Legendre in z converged algebraically."""
    x, w = np.polynomial.legendre.leggauss(n)
    phi = 0.25 * np.pi * (1.0 + x)
    return np.sin(phi), 0.25 * np.pi * np.cos(phi) * w


_FP_Z, _FP_WZ = _sine_rule(L_FP)
_FPS_Z, _FPS_WZ = _sine_rule(L_FP_S)
_FPA_Z, _FPA_WZ = _sine_rule(L_FP_A)
_PR_Z, _PR_WZ = _sine_rule(P_PRICE)
_PRS_Z, _PRS_WZ = _sine_rule(P_PRICE_S)
_PR_X, _PR_W = np.polynomial.legendre.leggauss(P_PRICE)  # the split premium's pieces (plain, in z)


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


def _tables(n: int, zf: np.ndarray, pz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, and the interpolation matrices onto the quadrature points of the sweep and of the premium.

    In xi = 2 sqrt(u / T) - 1 every quadrature point is a fixed fraction of its node whatever T is: the point u =
    tau_i - tau_i zf_j^2 (z = sqrt(tau_i - u) = sqrt(tau_i) zf_j) sits at xi = (1 + xi_i) sqrt(1 - zf_j^2) - 1. So
    interpolating the boundary is one constant matrix product per sweep, with no Chebyshev series at run time."""
    xi = _lobatto_nodes(n)
    frac = np.sqrt(1.0 - zf**2)
    sweep = _interpolation(n, (1.0 + xi[:n, None]) * frac[None, :] - 1.0)
    prem = _interpolation(n, 2.0 * np.sqrt(1.0 - pz**2) - 1.0)
    return xi, sweep, prem


_XI_B, _SW_B, _PR_B = _tables(N_NODES, _FP_Z, _PR_Z)
_XI_S, _SW_S, _PR_S = _tables(N_NODES_S, _FPS_Z, _PRS_Z)
_XI_A, _SW_A, _PR_A = _tables(N_NODES_A, _FPA_Z, _PR_Z)
_LOB_A = np.ascontiguousarray(_lobatto_matrix(N_NODES_A))  # FP-A node values -> Chebyshev coefficients

# One float64 workspace per contract loop, reused by every contract (no allocation per contract): [0:4] put_core's
# output, [4:10] the European Greeks, [10:27] the split premium's Chebyshev coefficients, then `_alo_boundary`'s
# arrays: b, next b, H (n + 1 each), NODE_ROWS rows of n per node (discounts, vol sqrt(tau) and more), e^{-qw} per
# point (n l) and, FP-B only, PRE_ROWS rows of n l (the sweep's iterate-free parts per point).
NODE_ROWS, PRE_ROWS = 5, 6
WS_CORE, WS_G, WS_COEF, WS_WORK = 0, 4, 10, 10 + N_NODES_A + 1
WS_SIZE = WS_WORK + max(3 * (n + 1) + NODE_ROWS * n + c * n * nl
                        for n, nl, c in ((N_NODES_S, L_FP_S, 1 + PRE_ROWS), (N_NODES, L_FP, 1 + PRE_ROWS),
                                         (N_NODES_A, L_FP_A, 1)))
FPB_SHORT, FPB_LONG, FPA = 0, 1, 2  # the three schemes
