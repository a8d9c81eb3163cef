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
OS_ERROR_EXIT = 6  # the file system refused (exit codes 2-5 are the PutwheelError classes)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print `error: <what/where> (<how to fix>)` in red and exit with the error's code (an `OSError`: 6)."""
    try:
        yield
    except PutwheelError as exc:
        err_console.print(f"[bold red]error:[/] {escape(exc.render())}", soft_wrap=True)  # "[rules]" is text, not markup
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:  # a path the user gave cannot be read or written (a folder, no permission, disk full)
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[bold red]error:[/] {escape(where + (exc.strerror or str(exc)))} "
                          "(check the path and its permissions)", soft_wrap=True)
        raise typer.Exit(OS_ERROR_EXIT) from None


def run(fn: Callable[[], T]) -> T:
    with user_errors():
        return fn()
