"""The `putwheel` typer app: each area registers its commands here; bodies stay thin (parse, one api call, render)."""

from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperOption

from putwheel import __version__


def _flag_without_type(display: object) -> object:
    """A flag (--json, --wide, --stagger/--no-stagger) needs no `<bool>` tag in --help: only options taking a value
    show their type."""
    def display_type_rich(self: TyperOption, ctx: object) -> str | None:
        return None if self.is_flag else display(self, ctx)  # type: ignore[operator]
    return display_type_rich


TyperOption.display_type_rich = _flag_without_type(TyperOption.display_type_rich)  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="putwheel",
    help="Cash-secured puts and the Wheel: price, plan, track, manage and backtest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(f"putwheel {__version__}")
        raise typer.Exit(0)


def _register() -> None:
    # One line per command module in this sorted list; each module adds its commands to `app` on import.
    from putwheel.cli import (
        backtest,  # noqa: F401
        data,  # noqa: F401
        ledger,  # noqa: F401
        manage,  # noqa: F401
        plan,  # noqa: F401
        quote,  # noqa: F401
        run,  # noqa: F401
        sweep,  # noqa: F401
    )


_register()


# A command that prices one contract runs numba's kernels interpreted: for a single contract that is faster than
# loading their compiled caches, whose first load imports numba's typing registries and scipy.linalg
# (`python bench/startup.py`: `putwheel quote` 1.58 s -> 0.91 s wall, identical output, tests/cli/test_startup.py).
# Only in a process started for that command (the console script / `python -m putwheel`), never in one that goes on
# to price arrays; an explicit NUMBA_DISABLE_JIT is left alone.
INTERPRETED = frozenset({"quote"})


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in INTERPRETED:
        os.environ.setdefault("NUMBA_DISABLE_JIT", "1")
    app()
