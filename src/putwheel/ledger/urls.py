"""Ledger URLs: which database (`--db`, `$PUTWHEEL_DB`, the default file), its password, and printing it safely.

Stages: resolve (explicit, env, default; a bare path is a SQLite file) -> parse (the user info ends at the *last*
'@', so a password may hold '@', ':' or '/') -> add a password kept outside the URL (`$PUTWHEEL_DB_PASSWORD`, the
OS keyring if `keyring` is installed; else libpq's `$PGPASSWORD` / `~/.pgpass`) -> every message shows the URL
through `mask_url` and driver text through `scrub`, so a password is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import platformdirs
from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from putwheel.domain.errors import InputError

ENV_DB = "PUTWHEEL_DB"
ENV_PASSWORD = "PUTWHEEL_DB_PASSWORD"
KEYRING_SERVICE = "putwheel"


def default_url() -> str:
    """A SQLite file in the user's data directory (created on first use)."""
    path = Path(platformdirs.user_data_dir("putwheel", appauthor=False)) / "ledger.sqlite"
    return f"sqlite:///{path}"


def resolve_url(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Explicit argument, else `$PUTWHEEL_DB`, else the default file. A bare path means a SQLite file."""
    env = os.environ if env is None else env
    if url is not None and not url.strip():
        raise InputError("--db is empty", hint=f"give a SQLite path or a database URL, or drop --db to use ${ENV_DB} "
                                               "or the default ledger")
    chosen = url or env.get(ENV_DB) or default_url()
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).expanduser()}"
    return chosen


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, however the password is spelled ('@' and '/' included)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")  # the last '@' ends the user info: over-masking is safe, leaking is not
    user, has_password, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"


def _password_in(url: str) -> str | None:
    rest = url.partition("://")[2]
    userinfo = rest.rpartition("@")[0]
    return userinfo.partition(":")[2] or None


def scrub(message: str, url: str) -> str:
    """One line of a driver's error text, with the URL and its password masked wherever they appear."""
    first = (message.strip().splitlines() or [""])[0]
    secret = _password_in(url)
    first = first.replace(url, mask_url(url))
    if secret:
        for form in {secret, unquote(secret)}:
            first = first.replace(form, "***")
    return first


def driver_message(exc: BaseException, url: str) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return scrub(str(orig), url)


def _keyring_password(user: str, host: str) -> str | None:
    try:
        import keyring  # optional: `pip install keyring`
    except ImportError:
        return None
    try:
        found: str | None = keyring.get_password(KEYRING_SERVICE, f"{user}@{host}")
    except Exception:  # no usable keyring backend on this machine: fall through to libpq
        return None
    return found


def _server_url(url: str) -> URL:
    """Parse a server URL splitting the user info at the *last* '@', so a password with '@', ':' or '/' works."""
    scheme, _, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    u = make_url(f"{scheme}://{hostpart}")
    if not at:
        return u
    user, has_password, secret = userinfo.partition(":")
    return u.set(username=unquote(user), password=unquote(secret) if has_password else None)


def with_password(url: str, env: Mapping[str, str]) -> URL | str:
    """A server URL without a password gets $PUTWHEEL_DB_PASSWORD or the keyring's; libpq then tries ~/.pgpass."""
    if url.startswith("sqlite"):
        return url
    try:
        u = _server_url(url)
    except ArgumentError:
        return url
    if u.password is not None:
        return u
    secret = env.get(ENV_PASSWORD) or (_keyring_password(u.username, u.host or "localhost") if u.username else None)
    return u.set(password=secret) if secret else u


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for :memory: and other databases)."""
    if not url.startswith("sqlite"):
        return None
    try:
        u = make_url(url)
    except ArgumentError:
        return None
    db = u.database or ""
    if db in ("", ":memory:") or (u.query.get("uri") and "mode=memory" in url):
        return None
    return Path(db.removeprefix("file:") if u.query.get("uri") else db).expanduser()


__all__ = [
    "ENV_DB",
    "ENV_PASSWORD",
    "KEYRING_SERVICE",
    "default_url",
    "driver_message",
    "mask_url",
    "resolve_url",
    "scrub",
    "sqlite_path",
    "with_password",
]
