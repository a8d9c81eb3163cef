"""Broker adapters behind `putwheel.domain.orders.LiveBroker` (paper, Alpaca, Interactive Brokers)."""
