"""numba's cache folder: kept when numba can write its own, a temp-dir fallback when neither place is writable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from putwheel._cachedir import numba_cache_fallback, writable


def _blocked(tmp_path: Path) -> Path:
    # A path under a regular file cannot be created by anyone (root included), unlike a chmod-ed folder.
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    return blocker / "below"


def test_cachedir_writable(tmp_path):
    assert writable(tmp_path / "new" / "deeper")
    assert not writable(_blocked(tmp_path))


def test_cachedir_kept_when_numba_can_write(tmp_path):
    env = {"HOME": str(_blocked(tmp_path))}
    assert numba_cache_fallback(env, package=tmp_path / "pkg") is None and "NUMBA_CACHE_DIR" not in env
    env = {"HOME": str(tmp_path)}
    assert numba_cache_fallback(env, package=_blocked(tmp_path)) is None


def test_cachedir_fallback_when_package_and_home_are_read_only(tmp_path):
    env = {"HOME": str(_blocked(tmp_path))}
    chosen = numba_cache_fallback(env, package=_blocked(tmp_path))
    assert chosen is not None and env["NUMBA_CACHE_DIR"] == chosen and writable(Path(chosen))


def test_cachedir_explicit_setting_wins(tmp_path):
    env = {"NUMBA_CACHE_DIR": "/somewhere", "HOME": str(_blocked(tmp_path))}
    assert numba_cache_fallback(env, package=_blocked(tmp_path)) is None and env["NUMBA_CACHE_DIR"] == "/somewhere"


def test_cachedir_import_sets_it_before_numba(tmp_path):
    src = Path(__file__).resolve().parents[1] / "src"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(src), HOME=str(_blocked(tmp_path)), XDG_CACHE_HOME=str(_blocked(tmp_path)))
    code = "import os, putwheel; print(os.environ.get('NUMBA_CACHE_DIR', ''))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    package_writable = writable(src / "putwheel" / "pricing" / "__pycache__")
    assert (out.strip() == "") is package_writable  # only when numba's own places are shut is a fallback chosen
