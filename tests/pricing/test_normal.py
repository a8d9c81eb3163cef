"""The American engine's normal CDF (Cody's rational erfc, `_normal`) against mpmath at 40 digits."""

from __future__ import annotations

import math

import mpmath
import numpy as np

from putwheel.pricing._normal import ncdf, ncdf_given, ncdf_pdf

mpmath.mp.dps = 40
# every interval of Cody's approximations and their joins (|x| / sqrt(2) = 0.46875 and 4), the deep lower tail the
# engine's premiums reach, and the upper end where N rounds to 1
XS = np.concatenate([np.linspace(-38.0, 8.5, 2001), np.random.default_rng(7).normal(0.0, 2.0, 1000),
                     [0.0, -0.0, 0.66291, 0.66292, -0.66292, 5.65685, 5.65686, -5.65685, -5.65686, 8.29, 8.31]])


def _exact(x: float) -> tuple[float, float]:
    return float(mpmath.ncdf(mpmath.mpf(x))), float(mpmath.npdf(mpmath.mpf(x)))


def test_cdf_and_density_to_a_few_ulps_relative_over_the_whole_range():
    worst_cdf = worst_pdf = 0.0
    for x in XS:
        cdf, pdf = _exact(float(x))
        got, got_pdf = ncdf_pdf(float(x))
        assert got == ncdf(float(x)) or x > 8.3  # N rounds to 1 there either way
        worst_cdf = max(worst_cdf, abs(got - cdf) / cdf)
        worst_pdf = max(worst_pdf, abs(got_pdf - pdf) / pdf)
        assert abs(ncdf_given(float(x), pdf) - cdf) <= 2e-15 * cdf
    assert worst_cdf < 2e-15  # measured 6.8e-16; libm's erfc(-x / sqrt(2)) reached 2e-13 at x = -37
    assert worst_pdf < 1e-15


def test_limits_and_nan():
    assert ncdf(math.inf) == 1.0 and ncdf(-math.inf) == 0.0 and math.isnan(ncdf(math.nan))
    assert ncdf_pdf(math.inf) == (1.0, 0.0) and ncdf_pdf(-math.inf) == (0.0, 0.0)
    assert ncdf(-40.0) == 0.0 and ncdf(0.0) == 0.5
