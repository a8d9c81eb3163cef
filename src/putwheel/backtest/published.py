"""Published figures for the Cboe S&P 500 benchmark family, kept in one place so reports and tests compare against
the same numbers. Fractions, not percent. `None` = the source does not state that figure (never guessed).

What the shared data holds (checked 2026-12, `../shared/data/SOURCES.txt`): **no index series for PUT, BXM, BXMD,
PPUT, CLL or WPUT** -- neither daily levels nor monthly returns -- only the inputs (S&P 500 OHLC and total return,
VIX, VXO, T-bill rates, dividend yield). So every comparison here is against published summary figures; the monthly
correlation and tracking error against an official series need that series (`putwheel data fetch cboe:PUT` puts
Cboe's `PUT_History.csv` in the local cache, which `putwheel backtest index PUT` then uses; see `official`).

Sources (all found through their public abstracts / Cboe-hosted summaries; page URLs as retrieved):

- Bondarenko, O. (2019), "Historical Performance of Put-Writing Strategies", Cboe / SSRN 3393940, monthly returns
  1986-06-30..2018-12-31. PUT 9.54 % CAGR, 9.95 % vol, Sharpe 0.65, max DD -32.7 %; SPTR 9.80 %, 14.93 %, 0.49,
  -50.9 % (Table 1); PPUT 6.64 % CAGR, 12.08 % vol, max DD -38.9 % (abstract, point 4).
  https://ssrn.com/abstract=3393940
- Bondarenko, O. (2016), "An Analysis of Index Option Writing with Monthly and Weekly Rollover", Cboe, last 10
  years = 2006-01..2015-12: WPUT 5.61 % CAGR, 9.85 % vol, Sharpe 0.50, max DD -24.2 %; PUT 6.59 %, 11.51 %, 0.52,
  -32.7 %; S&P 500 7.09 %, 15.11 %, 0.46, -50.9 %.
  https://studylib.net/doc/11614988/an-analysis-of-index-option-writing-with-monthly-and-week...
- Gross premium (Bondarenko 2019 highlights; 2016 executive summary): the average premium collected per roll, as a
  share of the account, 2006-2018: 12 x 1.85 % = 22.1 %/yr (PUT), 52 x 0.71 % = 37.1 %/yr (WPUT); 2006-2015: 24.1 %
  (PUT) and 39.3 % (WPUT) a year. These are implied-vol levels in disguise -- the one published check of the vol
  rule that is not a strategy return.
- Whaley, R. E. (2002), "Return and Risk of CBOE Buy Write Monthly Index", Journal of Derivatives 10(2) 35-42,
  BXM 1988-06..2001-12. Only the abstract is public ("earning almost as much as the S&P index, with substantially
  lower risk"); its table is not in any source we could read, so no Whaley number is recorded here.
  https://jod.pm-research.com/content/10/2/35
- Feldman, B. and Roy, D. (2004), "Passive Options-based Investment Strategies: The Case of the CBOE S&P 500 Buy
  Write Index", Ibbotson Associates (Whaley's study extended, "almost 16-year history" from 1988-06): BXM 12.39 %
  CAGR vs 12.20 % for the S&P 500. Vol 10.99 % vs 16.5 % is quoted by a secondary source only
  (canadiancapitalist.com, 2011), so it is recorded with that caveat. The window's end month is not stated
  ("almost 16 years"); we take 2004-03-31 (15.8 years), an assumption.
  http://web.archive.org/web/20050526101529/http:/www.ibbotson.com/content/kc_published_research_search.asp
- Black, K. and Szado, E. (2016), "Performance Analysis of CBOE S&P 500 Options-Selling Indices", mid-1986..2015-12:
  BXMD 10.66 % CAGR, PUT 10.13 % (vols are in an exhibit we could not read).
  http://spvixviews.com/2016/02/23/new-study-by-black-and-szado-analyzes-six-options-based-benchmarks-bxm-put-bfly-bxmd-cmbo-cndr-by-matt-moran/
- Wilshire Analytics (2019), "Options-Based Benchmark Indexes: Performance, Risk and Premium Capture (June 1986 -
  Dec. 2018): An Update": PUT annualized vol 9.9 % vs 14.9 % for the S&P 500 (its exhibit 4 with the other indexes'
  figures is an image we could not read). https://docslib.org/doc/9927580/
- CLL methodology (Cboe, "CBOE S&P 500 95-110 Collar Index (CLL)"): long the S&P 500, a 3-month 95 % put bought
  on the quarterly (March-cycle) expiry, a 1-month 110 % call sold monthly, both settled at the SOQ; strikes from
  the index just before 11:00 ET. No published CLL return/vol figures were found in any source we could read.
  https://studylib.net/doc/11632064/cboe-sandamp%3Bp-500-95-110-collar-index--cll-
"""

from __future__ import annotations

from dataclasses import dataclass
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
# Issue #16's targets for the family: CAGR, vol as above; monthly correlation with the official index.
MIN_MONTHLY_CORR: Final = 0.98


@dataclass(frozen=True)
class PublishedFigures:
    """One source's figures for one index over one window; None where the source states no number."""

    index: str
    source: str
    start: date
    end: date
    cagr: float | None
    vol: float | None
    sharpe: float | None = None
    max_drawdown: float | None = None
    caveat: str = ""


FAMILY: Final[dict[str, tuple[PublishedFigures, ...]]] = {
    "PUT": (
        PublishedFigures("PUT", "Bondarenko (2019), Table 1", PUBLISHED_START, PUBLISHED_END, 0.0954, 0.0995, 0.65,
                         -0.327),
        PublishedFigures("PUT", "Bondarenko (2016), last 10 years", date(2005, 12, 30), date(2015, 12, 31), 0.0659,
                         0.1151, 0.52, -0.327),
    ),
    "PPUT": (
        PublishedFigures("PPUT", "Bondarenko (2019), abstract", PUBLISHED_START, PUBLISHED_END, 0.0664, 0.1208, None,
                         -0.389),
    ),
    "WPUT": (
        PublishedFigures("WPUT", "Bondarenko (2016), last 10 years", date(2005, 12, 30), date(2015, 12, 31), 0.0561,
                         0.0985, 0.50, -0.242),
    ),
    "BXM": (
        PublishedFigures("BXM", "Feldman & Roy (2004), Ibbotson", date(1988, 6, 1), date(2004, 3, 31), 0.1239, 0.1099,
                         caveat="vol from a secondary source; window end assumed (\"almost 16 years\" from 1988-06)"),
    ),
    "BXMD": (
        PublishedFigures("BXMD", "Black & Szado (2016)", PUBLISHED_START, date(2015, 12, 31), 0.1066, None),
    ),
    "CLL": (),
}


@dataclass(frozen=True)
class PublishedPremium:
    """Average gross premium per roll as a share of the account (premium / strike for a cash-secured put)."""

    index: str
    source: str
    start: date
    end: date
    per_roll: float


PREMIUMS: Final[dict[str, tuple[PublishedPremium, ...]]] = {
    "PUT": (PublishedPremium("PUT", "Bondarenko (2016)", date(2006, 1, 1), date(2015, 12, 31), 0.241 / 12),
            PublishedPremium("PUT", "Bondarenko (2019)", date(2006, 1, 1), date(2018, 12, 31), 0.0185)),
    "WPUT": (PublishedPremium("WPUT", "Bondarenko (2016)", date(2006, 1, 1), date(2015, 12, 31), 0.393 / 52),
             PublishedPremium("WPUT", "Bondarenko (2019)", date(2006, 1, 1), date(2018, 12, 31), 0.0071)),
}
