"""A price is never negative: not by round-off far out of the money, not from a kernel that lost its floor.

Regression for a far-OTM put that came back -3e-323 (two denormal N(.) terms rounding below zero) from a bs1 without
its floor: the American kernels' numba cache still held the old bs1, and once loaded it also bound the European kernel
to it by symbol name (see `_kernels.cache_depends_on`). The public wrappers now floor every price at +0.0 themselves.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from putwheel.pricing import _alo_boundary as bnd
from putwheel.pricing import _alo_kernels as alo
from putwheel.pricing import _alo_loops as loops
from putwheel.pricing import _alo_scheme as scheme
from putwheel.pricing import _alo_seed as seed
from putwheel.pricing import _american_kernels as ak
from putwheel.pricing import _kernels as kern
from putwheel.pricing import _normal as nrm
from putwheel.pricing import _qdplus_kernels as qdp
from putwheel.pricing import _tree_kernels as tree
from putwheel.pricing import baw_price, binomial_price, bjerksund_stensland_price, bs_greeks, bs_price
from putwheel.pricing._arrays import PARALLEL_MIN

FAR_OTM_PUT = (10.0, 5.25390625, 0.11232876712328767, 0.0, 0.0, 0.05, False)  # found by hypothesis


def _prices(s, k, t, r, q, v, call, steps=50):
    return {
        "bs_price": bs_price(s, k, t, r, q, v, call),
        "bs_greeks.price": bs_greeks(s, k, t, r, q, v, call).price,
        "bjerksund_stensland_price": bjerksund_stensland_price(s, k, t, r, q, v, call),
        "baw_price": baw_price(s, k, t, r, q, v, call),
        "binomial_price": binomial_price(s, k, t, r, q, v, call, steps=steps),
    }


def _assert_plus_zero_or_more(name, p):
    p = np.asarray(p)
    assert not np.isnan(p).any(), name
    bad = (p < 0.0) | np.signbit(p)
    assert not bad.any(), f"{name}: {p[bad][:5]!r}"


def test_the_far_otm_put_hypothesis_found_is_plus_zero():
    s, k, t, r, q, v, _ = FAR_OTM_PUT
    # the raw difference of the two terms really is below zero: the floor is doing work here
    sd = v * np.sqrt(t)
    d1 = (np.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    assert k * kern.ncdf(-(d1 - sd)) - s * kern.ncdf(-d1) < 0.0
    assert kern.bs1(*FAR_OTM_PUT) == 0.0 and not np.signbit(kern.bs1(*FAR_OTM_PUT))
    for name, p in _prices(*FAR_OTM_PUT, steps=200).items():
        assert float(p) == 0.0, name
        _assert_plus_zero_or_more(name, p)


@pytest.mark.parametrize("n_strikes", [64, PARALLEL_MIN])  # serial and parallel kernels
def test_far_otm_grid_never_negative(n_strikes):
    # puts struck 5-95 % below spot and calls 5-20x above it, low vols, short to long dated: N(.) deep in the tails
    s = 10.0
    m = np.geomspace(0.05, 0.95, n_strikes)
    t = np.array([1 / 365, 0.0274, 0.1123, 0.5, 2.0])[:, None, None]
    v = np.array([0.01, 0.05, 0.2])[:, None, None, None]
    r, q = 0.03, 0.01
    for call, strikes in ((False, s * m), (True, s / m)):
        args = (s, strikes, t, r, q, v, call)
        _assert_plus_zero_or_more(f"bs_price call={call}", bs_price(*args))
        _assert_plus_zero_or_more(f"bs_greeks.price call={call}", bs_greeks(*args).price)
        _assert_plus_zero_or_more(f"bjerksund_stensland_price call={call}", bjerksund_stensland_price(*args))
        _assert_plus_zero_or_more(f"baw_price call={call}", baw_price(*args))
        few = strikes[:: max(1, n_strikes // 16)]  # the tree is slow: a sample of the strikes
        _assert_plus_zero_or_more(f"binomial_price call={call}", binomial_price(s, few, t, r, q, v, call, steps=30))


def _writes(value):
    """A stand-in kernel with the signature `(inputs..., flags, out)` that writes `value` everywhere."""
    def kernel(*args):
        args[-1][...] = value
    return kernel


@pytest.mark.parametrize("raw", [-3e-323, -0.0, -5e-324])
def test_wrappers_floor_whatever_the_kernel_returns(monkeypatch, raw):
    # deterministic form of the bug: a kernel without its floor (the stale cached bs1) produced `raw`
    for mod, names in ((kern, ("bs_price_vec", "greeks_vec")),
                       (ak, ("bs2002_vec", "baw_vec", "binomial_vec"))):
        for name in names:
            monkeypatch.setattr(mod, name, _writes(raw))
            monkeypatch.setattr(mod, name + "_serial", _writes(raw))
    for size in (1, PARALLEL_MIN):
        s = np.full(size, 10.0)
        for name, p in _prices(s, 5.0, 0.1, 0.0, 0.0, 0.05, False).items():
            assert np.all(p == 0.0) and not np.signbit(p).any(), name
    scalar = _prices(*FAR_OTM_PUT)
    assert all(float(p) == 0.0 and not np.signbit(p) for p in scalar.values())


def test_nan_for_invalid_inputs_survives_the_floor():
    for name, p in _prices(-1.0, 5.0, 0.1, 0.0, 0.0, 0.05, False).items():
        assert np.isnan(p), name


def test_only_the_price_row_of_the_greeks_is_floored():
    g = bs_greeks(10.0, 12.0, 0.5, 0.03, 0.0, 0.3, False)
    assert float(g.delta) < 0.0 and float(g.theta) != 0.0 and float(g.rho) < 0.0


def _sha(*files):
    return hashlib.sha256(b"".join(Path(f).read_bytes() for f in files)).digest()


def test_american_kernel_cache_is_keyed_on_kernels_py_too():
    # numba keys a cache on the defining file only; the American kernels compile bs1 & co. from _kernels.py into
    # themselves, so their cache must also go stale when _kernels.py changes (if numba renames the internals this
    # relies on, this test says so instead of the guard silently doing nothing)
    both = _sha(ak.__file__, kern.__file__, tree.__file__, qdp.__file__, alo.__file__, scheme.__file__, nrm.__file__,
                bnd.__file__, seed.__file__, seed.TABLE_FILE)
    for name in ("bs2002_vec", "bs2002_vec_serial", "baw_vec_serial", "binomial_vec_serial", "bs2002_1", "_phi"):
        assert getattr(ak, name)._cache._cache_file._source_stamp == both, name
    # the fixed-point engine compiles the tree, the QD+ seed and _kernels into itself; its loops compile the engine
    # (and its scheme's tables and the seed's table file, frozen into the kernels as constants)
    assert alo.american1._cache._cache_file._source_stamp == _sha(alo.__file__, bnd.__file__, seed.__file__,
                                                                 seed.TABLE_FILE, scheme.__file__, kern.__file__,
                                                                 nrm.__file__, tree.__file__, qdp.__file__)
    assert bnd.boundary._cache._cache_file._source_stamp == _sha(bnd.__file__, scheme.__file__, seed.__file__,
                                                                seed.TABLE_FILE, kern.__file__, nrm.__file__,
                                                                qdp.__file__)
    assert seed.seed_nodes._cache._cache_file._source_stamp == _sha(seed.__file__, scheme.__file__, kern.__file__,
                                                                   seed.TABLE_FILE)
    assert qdp.qdplus_nodes._cache._cache_file._source_stamp == _sha(qdp.__file__, kern.__file__, nrm.__file__)
    assert loops.american_vec._cache._cache_file._source_stamp == _sha(
        loops.__file__, kern.__file__, tree.__file__, qdp.__file__, alo.__file__, scheme.__file__, nrm.__file__,
        bnd.__file__, seed.__file__, seed.TABLE_FILE)
    # imported kernels keep their own module's key
    assert kern.bs1._cache._cache_file._source_stamp == _sha(kern.__file__)


def test_cache_depends_on_touches_only_the_modules_own_cached_dispatchers(tmp_path):
    own, dep = tmp_path / "own.py", tmp_path / "dep.py"
    own.write_text("a = 1\n")
    dep.write_text("b = 2\n")

    def dispatcher(module):
        return SimpleNamespace(py_func=SimpleNamespace(__module__=module),
                               _cache=SimpleNamespace(_cache_file=SimpleNamespace(_source_stamp=b"old")))

    mine, imported = dispatcher("pkg.own"), dispatcher("pkg.dep")
    ns = {"__file__": str(own), "__name__": "pkg.own", "mine": mine, "imported": imported, "other": 3}
    kern.cache_depends_on(ns, str(dep))
    assert mine._cache._cache_file._source_stamp == _sha(own, dep)
    assert imported._cache._cache_file._source_stamp == b"old"
    dep.write_text("b = 3\n")
    kern.cache_depends_on(ns, str(dep))
    assert mine._cache._cache_file._source_stamp == _sha(own, dep)  # an edit to the dependency changes the key
    kern.cache_depends_on({"__name__": "x", "d": dispatcher("x")}, str(dep))  # no __file__: a no-op, no error
