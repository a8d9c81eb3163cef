"""The one implied-vol skew every modelled price uses: ATM vol moved along ln-moneyness, kept within bounds.

``vol(K) = clip(atm + slope x ln(ref / K), lo, hi)``. With `ref` the spot and a positive slope (single-stock
chains, `data.modelled.ChainModel.skew`: a 10 % OTM put ~3 vol points richer) it is the modelled chain's quote vol;
with `ref` the forward and the index skew (`backtest.inputs.IVModel.skew`, d sigma / d ln(K/F) = -1.0, so slope
+1.0) it is the PUT reproduction's strike vol. One formula, so the chain, the Wheel engine's marks and the PUT
backtest cannot drift apart.
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


_skew_vol = nb.vectorize(["float64(float64, float64, float64, float64, float64, float64)"],  # type: ignore[no-untyped-call]
                         cache=True)(skew_vol1.py_func)


def skew_vol(atm: np.ndarray, slope: float, ref: np.ndarray, k: np.ndarray, lo: np.ndarray | float,
             hi: np.ndarray | float) -> np.ndarray:
    """`skew_vol1` over arrays (broadcast)."""
    return np.asarray(_skew_vol(atm, slope, ref, k, lo, hi), dtype=float)
