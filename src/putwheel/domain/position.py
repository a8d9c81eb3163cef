"""The one position model: fills, lots, positions and Wheel cycles. Import from here.

`lots` holds `Fill`, `Lot` and the one-instrument `Position` (FIFO or average cost, the assignment rule);
`cycle` holds `WheelCycle` (basis, net credit, rolls), `book` holds `WheelBook` and `build_cycles`. Pure: no pandas, no I/O.
"""

from putwheel.domain.book import WheelBook, build_cycles, joins, transfer_target
from putwheel.domain.cycle import MIN_ANNUALIZED_DAYS, Phase, Roll, WheelCycle, annualize
from putwheel.domain.fills import Fill, FillId, FillKind, Instrument, Stock, is_option
from putwheel.domain.lots import CostMethod, Lot, Position, split

__all__ = [
    "MIN_ANNUALIZED_DAYS", "CostMethod", "Fill", "FillId", "FillKind", "Instrument", "Lot", "Phase", "Position",
    "Roll", "Stock", "WheelBook", "WheelCycle", "annualize", "build_cycles", "is_option", "joins", "split",
    "transfer_target",
]
