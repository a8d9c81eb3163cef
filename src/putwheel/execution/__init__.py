"""Execution: turning the Wheel's decisions into broker orders and the broker's fills back into ledger events.

`execution/` sits above the ledger and the engine (it persists orders and replays fills) and below `api/`. Broker
adapters live in `execution/brokers/`, each behind `putwheel.domain.orders.LiveBroker`.
"""
