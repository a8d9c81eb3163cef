"""A tabled seed of the short FP-B boundary: the converged 6-node scheme, interpolated in its dimensionless groups.

Put, strike 1. With s = vol^2 tau the pricing PDE reads V_s = x^2 V_xx / 2 + (a - b) x V_x - a V, a = r / vol^2,
b = q / vol^2, and the FP-B system (`_alo_boundary`, every kernel a function of r w, q w and vol z only) is the same
discrete system for (t, r, q, vol) and (vol^2 t, a, b, 1). So its converged node values are a function of three
numbers, tabled by `_alo_seed_build` (checked in as TABLE_FILE, rebuilt by `python -m putwheel.pricing._alo_seed_build`)
over ln a, w = b / (a + b) (graded towards w = 1/2, r = q, where the kink of X = min(1, a / b) is a grid line) and
ln s. Stored per node: y_i = -ln(B_i / X) / sqrt(s_i), s_i = vol^2 tau_i (slowly varying: ln(B / X) ~ -vol sqrt(tau)
k), as float32: numba freezes the table into every cached kernel that inlines the engine, and refuses to cache any
of them once a global array passes 1 MB (this one is 888 KB). Trilinear interpolation; seed median 1.6e-4 in ln B
on the wheel domain (QD+ 4.9e-3), so one sweep follows instead of two. Outside the grid, or next to a cell where the
build did not converge, `seed_nodes` says so and the caller seeds with QD+.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from putwheel.pricing import _alo_scheme, _kernels
from putwheel.pricing._alo_scheme import _XI_S, N_NODES_S
from putwheel.pricing._kernels import cache_depends_on, jit

FP_ITER_SEEDED = 1  # FP-B sweeps after the tabled seed (2 after QD+)
LA0, LA1, NA = math.log(1e-3), math.log(8.0), 25  # ln a
WK, WM = 20, 19  # w = b / (a + b) = 1/2 + sign(u) u^2 / 2 on u = -1 ... WM / WK in steps 1 / WK: dense at the
NW = WK + WM + 1  # kink of X = min(1, a / b) at w = 1/2 (a grid line), where y grows like sqrt(ln(1 / |a - b|))
LS0, LS1, NSG = math.log(1e-5), math.log(5.0), 37  # ln s
TABLE_FILE = str(Path(__file__).with_name("_alo_seed_table.npy"))
_FRAC = np.ascontiguousarray(0.25 * (1.0 + _XI_S[:N_NODES_S]) ** 2)  # tau_i / t


def _load() -> np.ndarray:
    try:
        tab = np.load(TABLE_FILE)
    except OSError:  # not built yet (the builder runs without it): every contract seeds with QD+
        return np.full((NA, NW, NSG, N_NODES_S), np.nan, dtype=np.float32)
    if tab.shape != (NA, NW, NSG, N_NODES_S):
        return np.full((NA, NW, NSG, N_NODES_S), np.nan, dtype=np.float32)
    return np.ascontiguousarray(tab, dtype=np.float32)


_TABLE = _load()


@jit
def _cell(u: float, lo: float, hi: float, n: int) -> tuple[int, float]:
    f = (u - lo) / (hi - lo) * (n - 1)
    if not (0.0 <= f <= n - 1):
        return -1, 0.0
    i = min(int(f), n - 2)
    return i, f - i


@jit
def seed_nodes(t: float, r: float, q: float, v: float, xb: float, b: np.ndarray, h: np.ndarray) -> bool:
    """b, h at the short scheme's nodes (as `qdplus_nodes`) from the table; False (b, h untouched) outside it."""
    v2 = v * v
    a = r / v2
    bq = q / v2
    s = v2 * t
    ia, fa = _cell(math.log(a), LA0, LA1, NA)
    dw = 2.0 * bq / (a + bq) - 1.0
    iw, fw = _cell(math.copysign(math.sqrt(abs(dw)), dw), -1.0, WM / WK, NW)
    js, fs = _cell(math.log(s), LS0, LS1, NSG)
    if ia < 0 or iw < 0 or js < 0:
        return False
    n = b.size - 1
    for i in range(n):
        y = 0.0
        for da in range(2):
            ga = fa if da else 1.0 - fa
            for dw in range(2):
                gw = ga * (fw if dw else 1.0 - fw)
                # float(): float32 entries, float64 arithmetic (NumPy 2 would keep float32 when interpreted)
                y += gw * ((1.0 - fs) * float(_TABLE[ia + da, iw + dw, js, i])
                           + fs * float(_TABLE[ia + da, iw + dw, js + 1, i]))
        if not math.isfinite(y):
            return False
        h[i] = y * y * s * _FRAC[i]
    b[n] = xb
    h[n] = 0.0
    for i in range(n):
        b[i] = xb * math.exp(-math.sqrt(h[i]))
    return True


cache_depends_on(globals(), _alo_scheme.__file__, _kernels.__file__, TABLE_FILE)
