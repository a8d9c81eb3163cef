"""The American engine run by the Python interpreter (NUMBA_DISABLE_JIT=1, as `putwheel quote` does for one contract):
NumPy bounds-checks every workspace write there, which compiled numba does not, and the numbers must be the compiled
ones. Found a workspace slice one row short (FP-B's per-point table): compiled code wrote past it silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from putwheel.pricing import american_price

SRC = Path(__file__).resolve().parents[2] / "src"
# one contract per scheme: short FP-B (<= 0.5 y), long FP-B, FP-A (q > r); puts and calls
CASES = [(455.0, 450.0, 46 / 365, 0.04, 0.0, 0.18, False), (100.0, 110.0, 2.0, 0.05, 0.01, 0.35, False),
         (100.0, 100.0, 1.0, 0.01, 0.05, 0.25, False), (100.0, 95.0, 0.3, 0.02, 0.06, 0.3, True)]


def test_interpreted_engine_stays_inside_its_workspace_and_matches_compiled():
    code = ("import json, numpy as np\n"
            "from putwheel.pricing import american_price\n"
            f"cases = {CASES!r}\n"
            "a = np.array(cases, dtype=object).T\n"
            "args = [np.asarray(a[i], dtype=float) for i in range(6)] + [np.asarray(a[6], dtype=bool)]\n"
            "print(json.dumps({'price': np.asarray(american_price(*args)).tolist()}))\n")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(SRC)}
    child = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    got = json.loads(child.stdout)
    a = np.array(CASES, dtype=object).T
    args = [np.asarray(a[i], dtype=float) for i in range(6)] + [np.asarray(a[6], dtype=bool)]
    np.testing.assert_allclose(got["price"], np.asarray(american_price(*args)), rtol=0, atol=1e-12)
