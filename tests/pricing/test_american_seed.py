"""The tabled seed of the short FP-B boundary (`_alo_seed`): the checked-in table is what its builder gives, the seed
is close to the converged scheme on the wheel domain, and contracts outside the table say so (QD+ then seeds)."""

from __future__ import annotations

import math

import numpy as np

from putwheel.pricing import _alo_seed as seed
from putwheel.pricing import _alo_seed_build as build
from putwheel.pricing._alo_boundary import boundary
from putwheel.pricing._alo_scheme import FPB_SHORT, N_NODES_S, WS_SIZE, WS_WORK


def test_checked_in_table_is_the_builders_output_at_sampled_grid_points():
    rng = np.random.default_rng(13)
    la = np.linspace(seed.LA0, seed.LA1, seed.NA)
    us = np.linspace(-1.0, seed.WM / seed.WK, seed.NW)
    ls = np.linspace(seed.LS0, seed.LS1, seed.NSG)
    ws = np.empty(WS_SIZE)
    out = np.empty(N_NODES_S)
    checked = 0
    for _ in range(40):
        ia, iw, js = rng.integers(seed.NA), rng.integers(seed.NW), rng.integers(seed.NSG)
        a = math.exp(la[ia])
        w = 0.5 + 0.5 * math.copysign(us[iw] ** 2, us[iw])
        build._point(a, a * w / (1.0 - w), math.exp(ls[js]), out, ws)
        got = seed._TABLE[ia, iw, js].astype(float)
        assert np.array_equal(np.isnan(out), np.isnan(got)), (ia, iw, js)
        ok = ~np.isnan(out)
        checked += ok.sum()
        np.testing.assert_allclose(got[ok], out[ok], rtol=1e-6, atol=0)  # stored as float32
    assert checked > 150


def _converged_and_seeded(t, r, q, v):
    xb = min(1.0, r / q) if q > 0.0 else 1.0
    b, h = np.empty(N_NODES_S + 1), np.empty(N_NODES_S + 1)
    if not seed.seed_nodes(t, r, q, v, xb, b, h):
        return None
    ws = np.empty(WS_SIZE)
    boundary(t, r, q, v, xb, FPB_SHORT, 40, ws, False)
    return np.log(b[:-1] / ws[WS_WORK:WS_WORK + N_NODES_S])


def test_seed_is_close_to_the_converged_short_scheme_on_the_wheel_domain():
    rng = np.random.default_rng(7)
    errs = []
    for _ in range(300):
        t, v = rng.integers(5, 91) / 365.0, rng.uniform(0.1, 1.2)
        r, q = rng.uniform(0.0, 0.06), rng.uniform(0.0, 0.04)
        if rng.random() < 0.5:
            r, q = q, r  # a call is the put with the rates swapped
        if r <= 0.0 or v < 2.5 * abs(r - q):  # the engine's other regimes
            continue
        err = _converged_and_seeded(t, r, q, v)
        if err is not None:
            errs.append(float(np.abs(err).max()))
    assert len(errs) > 250
    # in ln B, on 10,000 wheel contracts: QD+ max 0.023, median 5e-3; the table max 0.012 (a / vol^2 ~ 1e-3, where the
    # premium is tiny), median 1.7e-4. One Jacobi-Newton sweep follows (after QD+ it took two)
    assert max(errs) < 0.02 and float(np.median(errs)) < 1e-3


def test_outside_the_table_the_seed_declines():
    for t, r, q, v in ((0.1, 0.09, 0.0, 0.1),  # r / vol^2 = 9 > 8
                       (0.1, 1e-6, 0.0, 0.3),  # r / vol^2 below 1e-3
                       (0.1, 0.001, 0.05, 0.3),  # q / (r + q) above the grid's w
                       (0.4, 0.05, 0.0, 4.0),  # vol^2 t = 6.4 > 5
                       (1e-6, 0.05, 0.0, 0.2)):  # vol^2 t below 1e-5
        assert _converged_and_seeded(t, r, q, v) is None, (t, r, q, v)
