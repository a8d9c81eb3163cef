"""One HTTP GET with retry and exponential backoff, shared by the live providers (Cboe, FRED, Cboe index CSVs).

Network failures become `DataError("no network / provider unreachable")` so the CLI prints one line and the
local cache stays usable; 429 and 5xx are retried with backoff; other statuses go back to the caller, which
knows what they mean for its provider (Cboe's 403 = unknown symbol).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from putwheel.domain.errors import DataError

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) putwheel/0.1 (+https://pypi.org/project/putwheel/)"
RETRY_STATUS = {429, 500, 502, 503, 504}
CONNECT_TIMEOUT_S = 5.0  # no TCP connection in 5 s: the host is unreachable; the read timeout is `timeout`


def get_with_retry(url: str, provider: str, *, session: Any = None, retries: int = 3, backoff: float = 0.5,
                   timeout: float = 20.0, sleep: Callable[[float], None] = time.sleep) -> Any:
    """GET `url`; retry connection errors, 429 and 5xx `retries` times, waiting backoff × 2^attempt."""
    http = session if session is not None else requests.Session()
    last_problem = ""
    for attempt in range(retries + 1):
        try:
            resp = http.get(url, headers={"User-Agent": USER_AGENT}, timeout=(CONNECT_TIMEOUT_S, timeout))
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            last_problem = _short(exc)
            if last_problem == "DNS lookup failed" or isinstance(exc, requests.ConnectTimeout):
                break  # no network, or nothing answers: waiting will not help, say so now (rate limits are retried)
        else:
            if resp.status_code not in RETRY_STATUS:
                return resp
            last_problem = f"HTTP {resp.status_code}"
        if attempt < retries:
            sleep(backoff * 2**attempt)
    tries = f"after {attempt + 1} tries " if attempt else ""
    raise DataError(f"no network / provider unreachable {tries}({last_problem})",
                    where=f"{provider} {url}", hint="check the connection; cached data still works offline")


def _short(exc: BaseException) -> str:
    """The useful part of a requests/urllib3 error chain, in a few words."""
    text = str(exc)
    for needle, words in (("resolve", "DNS lookup failed"), ("Name or service not known", "DNS lookup failed"),
                          ("timed out", "timed out"), ("Connection refused", "connection refused"),
                          ("reset", "connection reset"), ("SSL", "TLS handshake failed")):
        if needle in text:
            return words
    return type(exc).__name__
