"""The published figures the seed quotes, kept in one place so reports and tests compare against the same numbers.

Source: Oleg Bondarenko (2019), "Historical Performance of Put-Writing Strategies", Cboe, Table 1: monthly
returns 30 Jun 1986 - 31 Dec 2018, Cboe S&P 500 PutWrite index (PUT) and S&P 500 total return (SPTR).
Fractions, not percent.
"""

from __future__ import annotations

from datetime import date
from typing import Final

PUBLISHED_START: Final = date(1986, 6, 30)
PUBLISHED_END: Final = date(2018, 12, 31)
PUBLISHED_SOURCE: Final = "Bondarenko (2019), Cboe; monthly returns 1986-06-30..2018-12-31"

PUBLISHED: Final[dict[str, dict[str, float]]] = {
    "PUT": {"cagr": 0.0954, "vol": 0.0995, "sharpe": 0.65, "max_drawdown": -0.327},
    "SPTR": {"cagr": 0.0980, "vol": 0.1493, "sharpe": 0.49, "max_drawdown": -0.509},
}

# The reproduction test's tolerances (issue #6): |dCAGR| <= 0.5 pp, |dvol| <= 0.75 pp, Sharpe 0.1, max DD 5 pp.
TOLERANCE: Final[dict[str, float]] = {"cagr": 0.005, "vol": 0.0075, "sharpe": 0.10, "max_drawdown": 0.05}
