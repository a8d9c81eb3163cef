"""Where numba may write its on-disk cache, decided before numba is imported.

numba caches compiled kernels next to the source (`__pycache__`), else in the user cache dir; when neither is
writable (a read-only install and a read-only or missing `$HOME`), every command dies with "cannot cache function".
Then `NUMBA_CACHE_DIR` is pointed at a per-user folder in the temp dir. An explicit `NUMBA_CACHE_DIR` is kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path


def writable(path: Path) -> bool:
    """True when `path` exists writable, or could be created under its nearest existing ancestor."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


def numba_cache_fallback(env: MutableMapping[str, str] | None = None, package: Path | None = None) -> str | None:
    """Set `NUMBA_CACHE_DIR` when numba's own two places are not writable; returns the folder chosen, if any."""
    env = os.environ if env is None else env
    if env.get("NUMBA_CACHE_DIR"):
        return None
    package = package or Path(__file__).resolve().parent
    home = env.get("HOME") or "~"
    user_cache = Path(env.get("XDG_CACHE_HOME") or Path(home).expanduser() / ".cache") / "numba"
    if writable(package / "pricing" / "__pycache__") or writable(user_cache):
        return None
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    fallback = Path(tempfile.gettempdir()) / f"putwheel-numba-cache-{uid}"
    env["NUMBA_CACHE_DIR"] = str(fallback)
    return str(fallback)
