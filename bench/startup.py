"""Start-up benchmark: wall time and peak memory of `python -m putwheel ...` per command, next to `python -c pass`.

Each command runs in a fresh subprocess (warm disk and numba caches: one untimed run first), `--repeat` times; the
median wall time, the median CPU time (user + system: what the command costs when the other core-sharers make
the wall clock noisy) and the peak RSS are printed, with the wall ratio to a bare interpreter. Targets (issue 12):
`--help` <= 0.3 s and `quote` <= 1 s on the 2-core dev machine.

    PYTHONPATH=src python bench/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUOTE = ["quote", "SPY", "450", "put", "--expiry", "2025-02-21", "--spot", "460", "--as-of", "2025-01-17", "--vol", "0.18"]


def commands(db: str) -> list[tuple[str, list[str]]]:
    pw = [sys.executable, "-m", "putwheel"]
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("putwheel --help", [*pw, "--help"]),
        ("putwheel --version", [*pw, "--version"]),
        ("putwheel trade sell-put --help", [*pw, "trade", "sell-put", "--help"]),
        ("putwheel quote SPY 450 put ...", [*pw, *QUOTE]),
        ("putwheel trade deposit 1000", [*pw, "trade", "deposit", "1000", "--date", "2025-01-02", "--db", db]),
        ("putwheel positions", [*pw, "positions", "--db", db]),
    ]


def run_once(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        rows = []
        for label, argv in commands(db):
            run_once(argv)  # warm: disk cache, numba cache, the ledger file created
            samples = [run_once(argv) for _ in range(args.repeat)]
            rows.append((label, statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
                         max(s[2] for s in samples)))
    base = rows[0][1]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{'command':34} {'wall s':>7} {'x pass':>7} {'cpu s':>7} {'peak MB':>8}   (median of {args.repeat}, "
          f"{os.cpu_count()} cores, load {load:.1f})")
    for label, wall, cpu, rss in rows:
        print(f"{label:34} {wall:7.2f} {wall / base:7.1f} {cpu:7.2f} {rss:8.0f}")


if __name__ == "__main__":
    main()
