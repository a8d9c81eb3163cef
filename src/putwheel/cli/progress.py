"""One progress bar for every command that can take more than a couple of seconds: what it is doing, how far, how long.

The api never draws: its functions take `progress(stage, fraction)` (or `progress(done, total)` for grids) and this
module turns those calls into a rich bar on stderr. The bar is transient (gone when the command prints its result) and
draws nothing when stderr is not a terminal, so pipes and `--json` stay clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # rich.progress (~10 ms) is imported when a bar is drawn, not at every command's start-up
    from rich.progress import Progress, TaskID


class Bar:
    """Callbacks for the api: `bar.stage(text, fraction)` and `bar.count(done, total)`."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def stage(self, text: str, fraction: float) -> None:
        self._progress.update(self._task, description=text, completed=fraction, total=1.0)

    def count(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def describe(self, text: str) -> None:
        self._progress.update(self._task, description=text)


@contextmanager
def progress_bar(what: str, *, disable: bool = False, counted: bool = False) -> Iterator[Bar]:
    """A bar that starts as `what` (e.g. "loading the backtest engine"); `counted` shows done/total (sweeps)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), *([MofNCompleteColumn()] if counted else []),
               TimeElapsedColumn()]
    err = Console(stderr=True)
    with Progress(*columns, console=err, transient=True, disable=disable or not err.is_terminal) as progress:
        yield Bar(progress, progress.add_task(what, total=None))
