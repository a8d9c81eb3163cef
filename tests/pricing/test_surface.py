"""The index smile (`pricing.surface.smile_vol1`): the linear skew as its special case, continuity, the clip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from putwheel.pricing.surface import skew_vol1, smile_vol, smile_vol1


def test_smile_with_equal_slopes_and_no_curvature_is_the_linear_skew_from_the_forward() -> None:
    for k in (60.0, 90.0, 99.5, 100.0, 104.0, 130.0):
        assert smile_vol1(0.2, -1.0, -1.0, 0.0, 101.0, k, 0.1, 0.6) == pytest.approx(
            skew_vol1(0.2, 1.0, 101.0, k, 0.1, 0.6), abs=1e-15)


def test_smile_is_atm_at_the_forward_continuous_and_uses_each_sides_slope() -> None:
    atm, fwd = 0.2, 100.0
    assert smile_vol1(atm, -1.0, -0.5, 3.0, fwd, fwd, 0.0, 9.0) == atm
    below, above = smile_vol1(atm, -1.0, -0.5, 3.0, fwd, fwd * (1 - 1e-9), 0.0, 9.0), \
        smile_vol1(atm, -1.0, -0.5, 3.0, fwd, fwd * (1 + 1e-9), 0.0, 9.0)
    assert below == pytest.approx(atm, abs=1e-8) and above == pytest.approx(atm, abs=1e-8)
    x = math.log(90.0 / fwd)
    assert smile_vol1(atm, -1.0, -0.5, 3.0, fwd, 90.0, 0.0, 9.0) == pytest.approx(atm - x + 3.0 * x * x)
    x = math.log(110.0 / fwd)
    assert smile_vol1(atm, -1.0, -0.5, 3.0, fwd, 110.0, 0.0, 9.0) == pytest.approx(atm - 0.5 * x + 3.0 * x * x)


def test_smile_is_clipped_and_vectorised() -> None:
    k = np.array([10.0, 100.0, 200.0])
    got = smile_vol(np.full(3, 0.2), -1.0, -1.0, 0.0, np.full(3, 100.0), k, 0.1, 0.6)
    assert got == pytest.approx([0.6, 0.2, 0.1])
