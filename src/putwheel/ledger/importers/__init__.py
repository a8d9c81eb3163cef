"""Broker export importers: file text in, `Parsed(events, issues)` out. They never write to the database."""
