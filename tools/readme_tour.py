"""Re-run every `$ putwheel ...` line of README.md's code blocks and paste its real output under it.

    python tools/readme_tour.py                 # rewrites README.md in place (COLUMNS=100, a fresh ledger per block)
    python tools/readme_tour.py docs/plan.md    # the same for other pages (README.md and docs/plan.md are kept so)
    python tools/readme_tour.py --check         # exit 1 if any command's output differs from the page

Each command runs in bash from the repository root with `putwheel` = `python -m putwheel` (this checkout), a fresh
SQLite ledger per code block shared by that block's commands (PUTWHEEL_DB) and COLUMNS=100. The output replaces the
lines up to the next `$ ` line or the end of the block; a non-zero exit adds `(exit code N)`. Trailing blanks are stripped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
WIDTH = "100"


def run(command: str, env: dict[str, str]) -> list[str]:
    script = f'putwheel() {{ "{sys.executable}" -m putwheel "$@"; }}\n{command}'
    res = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line.rstrip() for line in (res.stdout + res.stderr).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return [*lines, *([f"(exit code {res.returncode})"] if res.returncode else [])]


def tour(text: str, env: dict[str, str], tmp: str) -> str:
    out: list[str] = []
    lines = text.splitlines()
    fence, in_block, i, blocks = False, False, 0, 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if line.startswith("```"):
            fence = not fence
            in_block = fence and line == "```"  # a plain block (```bash and ```python are left alone)
            if in_block:   # each block is its own story: a fresh ledger
                blocks += 1
                env = {**env, "PUTWHEEL_DB": f"sqlite:///{tmp}/tour-{blocks}.sqlite"}
            continue
        if in_block and line.startswith("$ ") and "putwheel" in line:
            print(line, file=sys.stderr)
            out.extend(run(line[2:], env))
            while i < len(lines) and not lines[i].startswith(("$ ", "```")):
                i += 1  # the old output
    return "\n".join(out) + "\n"


def main() -> int:
    pages = [ROOT / a for a in sys.argv[1:] if not a.startswith("--")] or [README]
    changed = 0
    for page in pages:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "COLUMNS": WIDTH, "PYTHONPATH": str(ROOT / "src"), "TERM": "dumb", "NO_COLOR": "1"}
            old = page.read_text(encoding="utf-8")
            new = tour(old, env, tmp)
        changed += new != old
        if "--check" not in sys.argv:
            page.write_text(new, encoding="utf-8")
    return int(changed > 0) if "--check" in sys.argv else 0


if __name__ == "__main__":
    raise SystemExit(main())
