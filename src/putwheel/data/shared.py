"""Where the project's shared real-data folder lives: one setting, `PUTWHEEL_SHARED` (default `../shared`).

Real market history and recorded provider payloads are never copied into the project; code and tests reach
them only through `shared_root()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "PUTWHEEL_SHARED"


def shared_root(env: Mapping[str, str] | None = None) -> Path | None:
    """The shared folder if it exists: `$PUTWHEEL_SHARED`, else `../shared` from the cwd or from the checkout."""
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        path = Path(env[ENV_VAR]).expanduser()
        return path if path.is_dir() else None
    for candidate in (Path.cwd().parent / "shared", Path(__file__).resolve().parents[3].parent / "shared"):
        if candidate.is_dir():
            return candidate
    return None
