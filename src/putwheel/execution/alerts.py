"""Alerts: fills, assignments, failed rolls, orders unfilled at the deadline, missing data -> apprise URLs.

One message per run (a title and one line per alert); nothing is sent without URLs. A notifier that fails is
reported back as text (the run itself has already been recorded), never raised. URLs may hold tokens: they are
never printed.
"""

from __future__ import annotations

from collections.abc import Sequence

TITLES = {"fill": "filled", "assignment": "assigned", "expiration": "expired", "roll_failed": "roll failed",
          "unfilled": "unfilled at deadline", "missing_data": "missing market data", "rejected": "rejected",
          "refused": "not sent", "difference": "broker and ledger differ"}


def message(alerts: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"[{TITLES.get(kind, kind)}] {text}" for kind, text in alerts)


def notify(urls: Sequence[str], title: str, alerts: Sequence[tuple[str, str]]) -> str | None:
    """Send the run's alerts to every URL; None when sent (or nothing to send), else what went wrong."""
    if not urls or not alerts:
        return None
    try:
        import apprise
    except ImportError:
        return "alerts are configured but apprise is not installed (pip install apprise)"
    ap = apprise.Apprise()
    bad = sum(1 for url in urls if not ap.add(url))
    if bad:
        return f"{bad} alert URL(s) in the config are not apprise URLs; check execution.alerts"
    if not ap.notify(title=title, body=message(alerts)):
        return "an alert could not be delivered (the notifier refused or was unreachable)"
    return None
