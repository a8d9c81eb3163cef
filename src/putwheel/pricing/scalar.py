"""Scalar compiled pricing functions for other compiled loops (the array Wheel engine, the modelled chain).

The vectorized public functions (`bs_price`, `bs_greeks`, `american_price`, `bjerksund_stensland_price`) run these
same scalars per contract, so a kernel that calls them gets bit-identical numbers to the pandas paths.
`american1` is the default American price (the fixed-point engine); `bs2002_1` the Bjerksund-Stensland alternative.
"""

from putwheel.pricing import (
    _alo_boundary,
    _alo_kernels,
    _alo_scheme,
    _alo_seed,
    _american_kernels,
    _kernels,
    _normal,
    _qdplus_kernels,
    _tree_kernels,
    surface,
)
from putwheel.pricing._alo_kernels import american1, american_greeks1
from putwheel.pricing._american_kernels import bs2002_1
from putwheel.pricing._kernels import bs1, cache_depends_on, greeks1, jit

# A module that compiles these into its own cached kernels must key its cache on these files too:
# `cache_depends_on(globals(), *SOURCES)` at its end (numba checks only the caller's own file).
SOURCES = (_kernels.__file__, _tree_kernels.__file__, _qdplus_kernels.__file__, _alo_kernels.__file__,
           _alo_scheme.__file__, _american_kernels.__file__, surface.__file__, _normal.__file__,
           _alo_boundary.__file__, _alo_seed.__file__, _alo_seed.TABLE_FILE)

__all__ = ["SOURCES", "american1", "american_greeks1", "bs1", "bs2002_1", "cache_depends_on", "greeks1", "jit"]
