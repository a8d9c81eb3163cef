"""Backtests: model-priced and real-chain put-writing and the Wheel, driven by the same strategy rules as live trading."""
