"""`putwheel.toml`: account, watchlist, rules and quality thresholds as one frozen, validated `PlanConfig`.

Unknown keys are refused with the key path named (`rules.dte_mn: unknown key`), contradictory rules with both
values (`dte_min 50 is above dte_max 45`). Passed explicitly to `api` functions; there are no global settings.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from putwheel.domain.contract import Right
from putwheel.domain.errors import ConfigError
from putwheel.domain.frozen import Frozen
from putwheel.domain.holding import OpenPosition, option_position, share_lot
from putwheel.screener.rules import PutRules, QualityThresholds, WatchItem

MAX_CASH = 1e10  # the same ceiling as one ledger entry (ledger.events.MAX_AMOUNT)


class HeldPosition(Frozen):
    """A position held before the ledger knows it: reserves collateral and counts toward caps and correlation."""

    symbol: str
    kind: Literal["short_put", "shares"] = "short_put"
    strike: float | None = Field(None, gt=0)
    contracts: int = Field(1, ge=1)
    expiry: date | None = Field(None, description="short put: its expiry (unknown: counted until the plan date)")
    shares: int = Field(0, ge=0)
    price: float | None = Field(None, gt=0, description="shares: market price, for exposure")
    sector: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> HeldPosition:
        if self.kind == "short_put" and self.strike is None:
            raise ValueError(f"held short put on {self.symbol} needs a strike")
        if self.kind == "shares" and (self.shares <= 0 or self.price is None):
            raise ValueError(f"held shares of {self.symbol} need shares > 0 and a price")
        return self

    def position(self, as_of: date, account: str = "config") -> OpenPosition:
        """This entry as the one open-position type: a short put reserves its collateral; shares count at `price`,
        which stands in for the basis (the config knows no basis). Only the caps and the correlation check read it."""
        if self.kind == "short_put":
            expiry = max(self.expiry or as_of, as_of)
            return option_position(self.symbol, Right.PUT, Decimal(str(self.strike)), expiry, -self.contracts,
                                   Decimal(0), as_of, account=account)
        return share_lot(self.symbol, self.shares, Decimal(str(self.price)), as_of, account=account)


class Account(Frozen):
    free_cash: float = Field(100_000.0, ge=0, lt=MAX_CASH, allow_inf_nan=False,
                             description="cash not already securing a put (below 10 billion, the ledger's limit)")
    positions: tuple[HeldPosition, ...] = ()
    ledger: bool = Field(False, description="take free cash and positions from the ledger instead of this section")
    ledger_db: str | None = Field(None, description="ledger database URL or path; default $PUTWHEEL_DB, then the "
                                                    "user data dir")
    ledger_account: str = "main"


class Source(Frozen):
    """Where chains and history come from: the embedded offline demo, a chain file, or a live provider."""

    chains: str = Field("embedded", description="'embedded', 'file:PATH', 'cboe' or 'yfinance'")
    as_of: date | None = Field(None, description="YYYY-MM-DD; default: the source's quote date")
    rate: float | None = Field(None, ge=-0.05, le=0.5, description="risk-free rate; default: shared T-bill history")


class Execution(Frozen):
    """`putwheel run`: the broker, how limits walk, the caps a live broker needs, and where alerts go."""

    broker: str = Field("paper", description="'paper' (fills against the snapshot), 'alpaca' or 'ibkr'")
    price_steps: int = Field(3, ge=0, le=50, description="moves from mid to the natural price before the deadline")
    step_seconds: float = Field(60.0, ge=0, le=3600, allow_inf_nan=False, description="seconds between moves")
    roll_min_credit: float = Field(0.0, ge=0, allow_inf_nan=False, description="per share; a roll never goes below")
    max_order_notional: float | None = Field(None, gt=0, lt=MAX_CASH, allow_inf_nan=False,
                                             description="a put's collateral, else premium x 100 x contracts")
    max_orders_per_run: int | None = Field(None, ge=1, le=1000)
    max_collateral_pct: float | None = Field(None, gt=0, le=1, allow_inf_nan=False,
                                             description="of the ledger's cash that puts may lock in all")
    alerts: tuple[str, ...] = Field((), description="apprise URLs (mailto://, slack://, tgram://, json://...)")
    commission: float = Field(0.65, ge=0, le=100, allow_inf_nan=False, description="paper broker, per contract")
    paper_slippage: float = Field(1.0, ge=0, le=1, allow_inf_nan=False,
                                  description="paper broker: share of the half-spread paid, 0 = mid, 1 = natural")

    def missing_limits(self) -> list[str]:
        return [k for k in ("max_order_notional", "max_orders_per_run", "max_collateral_pct") if getattr(self, k) is None]


DEFAULT_WATCHLIST = (
    WatchItem(symbol="XSP"), WatchItem(symbol="DJX"), WatchItem(symbol="AAPL"),
    WatchItem(symbol="MSFT"), WatchItem(symbol="GOOG"),
)


class PlanConfig(Frozen):
    account: Account = Account()
    watchlist: tuple[WatchItem, ...] = Field(DEFAULT_WATCHLIST, min_length=1, description="at least one name")
    rules: PutRules = PutRules()
    quality: QualityThresholds = QualityThresholds()
    source: Source = Source()
    execution: Execution = Execution()

    @model_validator(mode="after")
    def _unique_symbols(self) -> PlanConfig:
        seen: set[str] = set()
        for item in self.watchlist:
            sym = item.symbol.upper()
            if sym in seen:
                raise ValueError(f"watchlist lists {sym} twice")
            seen.add(sym)
        return self


def _explain(exc: ValidationError, where: str) -> ConfigError:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        msg = f"{path}: unknown key"
        hint = "check the spelling against docs/plan.md and examples/putwheel.toml"
    else:
        msg = f"{path}: {first['msg'].removeprefix('Value error, ')}"
        hint = f"{len(exc.errors())} problem(s) in all" if len(exc.errors()) > 1 else None
    return ConfigError(msg, where=where, hint=hint)


def parse_config(data: dict[str, object], where: str = "config") -> PlanConfig:
    try:
        return PlanConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, where) from None


def load_config(path: Path | None) -> PlanConfig:
    """Read `putwheel.toml` (or defaults when `path` is None): a bad file is a ConfigError naming file and key."""
    if path is None:
        return PlanConfig()
    if not path.is_file():
        raise ConfigError(f"config file {path} not found", hint="create it (see README: putwheel.toml) or drop --config")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path)) from None
    return parse_config(data, where=str(path))
