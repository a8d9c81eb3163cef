"""putwheel: cash-secured puts and the Wheel, planned, sized, tracked, managed and backtested.

Layers (imports only point downward, checked by import-linter in the test suite)::

    domain <- pricing <- data <- screener <- strategy <- {backtest | ledger} <- reports <- config <- api <- cli
"""

__version__ = "0.1.0"

from putwheel._cachedir import numba_cache_fallback as _numba_cache_fallback

_numba_cache_fallback()  # before any module imports numba: a read-only install and $HOME still run
