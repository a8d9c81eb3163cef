"""The one implied-vol skew every modelled price uses: ATM vol moved along ln-moneyness, kept within bounds.

``vol(K) = clip(atm + slope x ln(ref / K), lo, hi)``. With `ref` the spot and a positive slope (single-stock
chains, `data.modelled.ChainModel.skew`: a 10 % OTM put ~3 vol points richer) it is the modelled chain's quote vol;
with `ref` the forward and the index skew (`backtest.inputs.IVModel.skew`, d sigma / d ln(K/F) = -1.0, so slope
+1.0) it is the PUT reproduction's strike vol. One formula, so the chain, the Wheel engine's marks and the PUT
backtest cannot drift apart.

The Cboe index family (`backtest.indexes`, and `backtest putwrite`, which reproduces PUT) prices on a smile from the
forward instead, `smile_vol1`: ``vol(K) = clip(atm + s x + c x^2, lo, hi)``, ``x = ln(K / F)``, with the put-side
slope `s_put` for x < 0 and the call-side slope `s_call` for x >= 0 (continuous at the forward). With
s_put = s_call = -slope and c = 0 it is `skew_vol1` from the forward.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from putwheel.pricing._kernels import jit


@jit
def skew_vol1(atm: float, slope: float, ref: float, k: float, lo: float, hi: float) -> float:
    """Vol at strike `k`: atm + slope x ln(ref / k), within [lo, hi]."""
    return min(max(atm + slope * math.log(ref / k), lo), hi)


@jit
def smile_vol1(atm: float, s_put: float, s_call: float, curv: float, fwd: float, k: float, lo: float,
               hi: float) -> float:
    """Vol at strike `k` on the index smile: atm + s x + curv x^2, x = ln(k / fwd), s = s_put below the forward and
    s_call at or above it, within [lo, hi]."""
    x = math.log(k / fwd)
    s = s_put if x < 0.0 else s_call
    return min(max(atm + (s + curv * x) * x, lo), hi)


_skew_vol = nb.vectorize(["float64(float64, float64, float64, float64, float64, float64)"],  # type: ignore[no-untyped-call]
                         cache=True)(skew_vol1.py_func)


_smile_vol = nb.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64, float64)"],  # type: ignore[no-untyped-call]
                          cache=True)(smile_vol1.py_func)


def smile_vol(atm: np.ndarray, s_put: float, s_call: float, curv: float, fwd: np.ndarray, k: np.ndarray,
              lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """`smile_vol1` over arrays (broadcast)."""
    return np.asarray(_smile_vol(atm, s_put, s_call, curv, fwd, k, lo, hi), dtype=float)
