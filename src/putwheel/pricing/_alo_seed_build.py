"""Builds `_alo_seed`'s table: the short FP-B scheme run to convergence from its QD+ seed at every grid point.

    PYTHONPATH=src python -m putwheel.pricing._alo_seed_build   # writes src/putwheel/pricing/_alo_seed_table.npy

Deterministic (no data, no randomness): at (a, b, s) the scheme runs with t = s, r = a, q = b, vol = 1 (the same
discrete system as any contract with those groups, `_alo_seed`). A point whose sweeps have not settled to 1e-13 in
ln B after CONVERGE sweeps is NaN (the seed then falls back to QD+ around it).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from putwheel.pricing._alo_boundary import boundary
from putwheel.pricing._alo_scheme import FPB_SHORT, N_NODES_S, WS_SIZE, WS_WORK
from putwheel.pricing._alo_seed import _FRAC, LA0, LA1, LS0, LS1, NA, NSG, NW, TABLE_FILE, WK, WM

CONVERGE = 40


@nb.njit(cache=False)
def _point(a: float, bq: float, s: float, out: np.ndarray, ws: np.ndarray) -> None:
    xb = min(1.0, a / bq) if bq > 0.0 else 1.0
    n = out.size
    boundary(s, a, bq, 1.0, xb, FPB_SHORT, CONVERGE, ws, False)
    prev = ws[WS_WORK:WS_WORK + n].copy()
    boundary(s, a, bq, 1.0, xb, FPB_SHORT, CONVERGE + 1, ws, False)
    for i in range(n):
        bi = ws[WS_WORK + i]
        if not (bi > 0.0 and abs(math.log(bi / prev[i])) < 1e-13):
            out[i] = np.nan
        else:
            out[i] = -math.log(bi / xb) / math.sqrt(s * _FRAC[i])


def build() -> np.ndarray:
    tab = np.empty((NA, NW, NSG, N_NODES_S))
    ws = np.empty(WS_SIZE)
    for ia, la in enumerate(np.linspace(LA0, LA1, NA)):
        a = math.exp(la)
        for iw, u in enumerate(np.linspace(-1.0, WM / WK, NW)):
            w = 0.5 + 0.5 * math.copysign(u * u, u)
            bq = a * w / (1.0 - w)
            for js, ls in enumerate(np.linspace(LS0, LS1, NSG)):
                _point(a, bq, math.exp(ls), tab[ia, iw, js], ws)
    return tab


if __name__ == "__main__":
    table = build()
    np.save(TABLE_FILE, table.astype(np.float32))
    print(f"{TABLE_FILE}: {table.shape}, {np.isnan(table).any(axis=-1).sum()} of {table[..., 0].size} points NaN")
