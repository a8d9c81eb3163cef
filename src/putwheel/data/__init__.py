"""Market data: one validated chain schema, providers (Cboe, yfinance, files), history series, the embedded default data."""
