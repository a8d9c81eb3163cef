"""putwheel: cash-secured puts and the Wheel, planned, sized, tracked, managed and backtested.

Layers (imports only point downward, checked by import-linter in the test suite)::

    domain <- pricing <- data <- screener <- strategy <- {backtest | ledger} <- reports <- config <- api <- cli
"""

__version__ = "0.1.0"
