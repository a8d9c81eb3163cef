"""`putwheel backtest chains`: the Cboe PUT rules on end-of-day chain files (CSV/Parquet), with its metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from putwheel.api.backtest import _finite
from putwheel.backtest.inputs import tbill_growth
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values
from putwheel.backtest.realchain import FeeModel, FillModel, RealChainConfig, RealChainResult, putwrite_from_chains
from putwheel.domain.errors import InputError


@dataclass(frozen=True)
class ChainBacktest:
    """`putwheel backtest chains`: the Cboe PUT rules on end-of-day chain files, with its metrics."""

    result: RealChainResult
    metrics: Metrics
    files: str
    symbol: str

    def as_dict(self) -> dict[str, object]:
        cycles = self.result.cycles
        out = {"files": self.files, "symbol": self.symbol, "metrics": self.metrics.as_dict(),
                "cycles": len(cycles), "expired_in_the_money": int((cycles["payoff"] > 0).sum()),
                "mean_premium_pct_of_strike": float((cycles["fill"] / cycles["strike"]).mean()),
                "final_value": float(self.result.daily["value"].iloc[-1])}
        return _finite(out)  # type: ignore[return-value]


def backtest_chains(files: str, symbol: str, start: date, end: date, slippage: float = 0.0,
                    fee_per_contract: float = 0.0, rate: float = 0.02) -> ChainBacktest:
    """Cboe PUT rules on chain files (CSV/Parquet, a glob allowed); metrics against a constant T-bill rate."""
    if fee_per_contract < 0:
        raise InputError(f"--fee {fee_per_contract} is negative", where="--fee", hint="a commission per contract, e.g. 0.65")
    cfg = RealChainConfig(fill=FillModel(slippage), fees=FeeModel(per_contract=fee_per_contract), rate=rate)
    result = putwrite_from_chains(Path(files), symbol, start, end, cfg)
    days = pd.DatetimeIndex(result.daily.index)
    tb = pd.Series(tbill_growth(np.full(len(days), rate), days), index=days)
    rf = month_end_values(tb).pct_change().dropna()
    return ChainBacktest(result=result, metrics=compute_metrics(result.daily["value"], rf), files=files,
                         symbol=symbol.upper())
