"""The one position model: fills, lots, positions and Wheel cycles. Import from here.

`lots` holds `Fill`, `Lot` and the one-instrument `Position` (FIFO or average cost, the assignment rule);
`cycle` holds `WheelCycle`, `WheelBook` and `build_cycles` (basis, net credit, rolls). Pure: no pandas, no I/O.
"""

from putwheel.domain.cycle import (
    MIN_ANNUALIZED_DAYS,
    Phase,
    Roll,
    WheelBook,
    WheelCycle,
    annualize,
    build_cycles,
    joins,
    transfer_target,
)
from putwheel.domain.lots import CostMethod, Fill, FillId, FillKind, Instrument, Lot, Position, Stock, is_option, split

__all__ = [
    "MIN_ANNUALIZED_DAYS", "CostMethod", "Fill", "FillId", "FillKind", "Instrument", "Lot", "Phase", "Position",
    "Roll", "Stock", "WheelBook", "WheelCycle", "annualize", "build_cycles", "is_option", "joins", "split",
    "transfer_target",
]
