"""Wheel rules as pure functions: `decide(position, market, rules, as_of) -> Decision`, shared by live trading and backtests."""
