"""Reports: DataFrames and figures built from backtest results or the ledger. Never prints."""
