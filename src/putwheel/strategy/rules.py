"""Position-management rules (take profit, roll, assignment, covered calls) as one frozen pydantic model."""

from __future__ import annotations

from pydantic import Field, model_validator

from putwheel.domain.frozen import Frozen


class ManageRules(Frozen):
    """Defaults are the common professional Wheel: 50 % profit take, roll tested puts for a credit, 30-45 DTE."""

    take_profit_pct: float = Field(0.50, gt=0, le=1, description="close when this share of max profit is captured")
    roll_delta: float = Field(0.50, gt=0, le=1, description="|delta| at or above this means the short is tested")
    roll_when_itm: bool = True
    roll_at_dte: int = Field(7, ge=0, description="decide (roll, expire, assign) once DTE is at or below this")
    roll_dte_min: int = Field(30, ge=1)
    roll_dte_max: int = Field(45, ge=1)
    roll_require_credit: bool = Field(True, description="only roll for a net credit (the seed's discipline)")
    roll_min_credit: float = Field(0.0, ge=0, description="per share")
    roll_calls: bool = Field(False, description="roll tested covered calls up and out instead of letting shares go")
    accept_assignment: bool = Field(True, description="take assignment on a tested put in the money (off: buy it back); "
                                                    "a covered call in the money is always let go: the Wheel's exit")
    cc_dte_min: int = Field(30, ge=1)
    cc_dte_max: int = Field(45, ge=1)
    cc_max_delta: float = Field(0.35, gt=0, le=1)
    cc_min_strike_over_basis: float = Field(0.0, ge=-0.5, le=1, description="0 = strike at or above cost basis")
    expire_worthless_below: float = Field(0.05, ge=0, description="near expiry and OTM with ask below this: let expire")
    early_assignment_extrinsic: float = Field(0.05, ge=0, description="short ITM with time value below this is at risk")
    commission: float = Field(0.65, ge=0, le=100, description="per contract and side; counted when keeping, closing "
                                                              "and rolling are compared")
    equity_risk_premium: float = Field(0.0, ge=-0.2, le=0.3)
    fill: str = Field("mid", pattern="^(mid|natural)$", description="price rolls at mid or at the natural bid/ask")
    slippage: float = Field(0.0, ge=0, le=1, description="with fill mid: share of the half-spread given up on each "
                                                       "fill (0 = mid, 1 = the natural bid/ask)")

    @property
    def fill_slippage(self) -> float:
        """The share of the half-spread paid on every fill: 1 for natural fills, else `slippage`."""
        return 1.0 if self.fill == "natural" else self.slippage

    @model_validator(mode="after")
    def _consistent(self) -> ManageRules:
        if self.roll_dte_min > self.roll_dte_max:
            raise ValueError(f"roll_dte_min {self.roll_dte_min} is above roll_dte_max {self.roll_dte_max}")
        if self.cc_dte_min > self.cc_dte_max:
            raise ValueError(f"cc_dte_min {self.cc_dte_min} is above cc_dte_max {self.cc_dte_max}")
        return self
