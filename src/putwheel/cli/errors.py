"""One place that turns a `PutwheelError` into a one-line message and an exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from putwheel.domain.errors import PutwheelError

err_console = Console(stderr=True, highlight=False)

T = TypeVar("T")


@contextmanager
def user_errors() -> Iterator[None]:
    """Print `error: <what/where> (<how to fix>)` in red and exit with the error's code."""
    try:
        yield
    except PutwheelError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.render())}", soft_wrap=True)  # "[rules]" is text, not markup
        raise typer.Exit(exc.exit_code) from None


def run(fn: Callable[[], T]) -> T:
    with user_errors():
        return fn()
