"""Every rich table the CLI prints fits the terminal: one rule, here (`fit_table`), for every command.

Stages: measure each column (cells and the longest header word) -> drop `--wide`-only columns, then the
lowest-priority ones, until the minimum widths fit -> shrink text columns (an ellipsis, one line per row) -> build the
`rich.Table`. Numbers are `no_wrap` and are never shrunk: a column is dropped instead (the caption names it and says
`--wide`). With `wide=True` every column is shown at its full width, wider than the terminal if need be.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd

Cell = str | Text  # a str is rich markup (escape user text with rich.markup.escape)


@dataclass(frozen=True)
class Col:
    """One column: `priority` 0 is always shown, higher numbers are dropped first when the terminal is narrow;
    `wide` columns appear only with `--wide`; a `text` column may be shortened with an ellipsis, a number never."""

    header: str
    text: bool = False
    priority: int = 0
    wide: bool = False
    justify: Literal["left", "right", "center"] | None = None
    style: str | None = None
    min_width: int = 8


def num(header: str, priority: int = 0, *, wide: bool = False, style: str | None = None) -> Col:
    return Col(header, text=False, priority=priority, wide=wide, style=style)


def text(header: str, priority: int = 0, *, wide: bool = False, style: str | None = None, min_width: int = 8) -> Col:
    return Col(header, text=True, priority=priority, wide=wide, style=style, min_width=min_width)


WIDE = typer.Option(False, "--wide", help="Show every column, even wider than the terminal.")


def console() -> Console:
    """A console per command: the terminal width ($COLUMNS) is read when drawing, not at import."""
    return Console(highlight=False)


def show(*renderables: object, out: Console | None = None) -> None:
    """Print tables (never cropped: a `--wide` table may be wider than the terminal) and markup lines."""
    c = out or console()
    for r in renderables:
        c.print(r, crop=False)


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text.from_markup(cell)


def _len(t: Text) -> int:
    return max((Text(line).cell_len for line in t.plain.split("\n")), default=0)


def _longest_word(header: str) -> int:
    return max((len(w) for w in header.split()), default=1)


EDGE = 1  # a vertical line per column plus one (the default box), and one space of padding each side
PAD = 2


def _overhead(n: int) -> int:
    return n * (PAD + EDGE) + EDGE


def plan_widths(cols: Sequence[Col], rows: Sequence[Sequence[Text]], width: int,
                wide: bool = False) -> tuple[list[int], dict[int, int]]:
    """Which columns to show (indices) and each one's content width, for a table `width` cells wide at most."""
    natural = [max([_longest_word(c.header), *(_len(r[i]) for r in rows)]) for i, c in enumerate(cols)]
    least = [min(natural[i], max(c.min_width, _longest_word(c.header))) if c.text else natural[i]
             for i, c in enumerate(cols)]
    shown = [i for i, c in enumerate(cols) if wide or not c.wide]
    if wide:
        return shown, {i: natural[i] for i in shown}
    while sum(least[i] for i in shown) + _overhead(len(shown)) > width:
        droppable = [i for i in shown if cols[i].priority > 0]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (cols[i].priority, i)))
    widths = {i: natural[i] for i in shown}
    excess = sum(widths.values()) + _overhead(len(shown)) - width
    while excess > 0:  # shorten the widest text column that can still give, one cell at a time
        give = [i for i in shown if cols[i].text and widths[i] > least[i]]
        if not give:
            break
        widest = max(give, key=lambda i: widths[i] - least[i])
        widths[widest] -= 1
        excess -= 1
    for i in sorted(shown, key=lambda i: len(cols[i].header) - widths[i]):  # room left: headers on one line
        grow = len(cols[i].header) - widths[i]
        if 0 < grow <= -excess:
            widths[i] += grow
            excess += grow
    for i in shown:  # still room: a long header on fewer lines, where a little more width saves a line
        lines = _lines(cols[i].header, widths[i])
        for w in range(widths[i] + 1, min(len(cols[i].header), widths[i] - excess) + 1):
            if _lines(cols[i].header, w) < lines:
                excess += w - widths[i]
                widths[i] = w
                lines = _lines(cols[i].header, w)
    return shown, widths


def _lines(header: str, width: int) -> int:
    return len(textwrap.wrap(header, width, break_long_words=False))


def fit_table(title: str | None, cols: Sequence[Col], rows: Iterable[Sequence[Cell]], *, wide: bool = False,
              width: int | None = None, caption: str | None = None, show_header: bool = True,
              section_ends: Sequence[int] = ()) -> Table:
    """A `rich.Table` of `rows` (cells as markup or Text) that fits `width` (default: the terminal's); a line is drawn
    under each row index in `section_ends`."""
    cells = [[_text(c) for c in row] for row in rows]
    for row in cells:
        if len(row) != len(cols):
            raise ValueError(f"row of {len(row)} cells for {len(cols)} columns")
    limit = width or console().width
    shown, widths = plan_widths(cols, cells, limit, wide)
    hidden = [c.header for i, c in enumerate(cols) if i not in shown and not c.wide]
    notes = [caption] if caption else []
    if hidden:
        notes.append(f"not shown at this width: {', '.join(hidden)} (--wide shows every column)")
    total = sum(widths.values()) + _overhead(len(shown))
    t = Table(title=title, title_justify="left", show_header=show_header, caption="; ".join(notes) or None,
              caption_justify="left", width=total if total > limit else None)
    for i in shown:
        c = cols[i]
        header = "\n".join(textwrap.wrap(c.header, widths[i], break_long_words=False)) or c.header
        t.add_column(header, justify=c.justify or ("left" if c.text else "right"), style=c.style, no_wrap=True,
                     overflow="ellipsis" if c.text else "crop", min_width=None if c.text else widths[i],
                     max_width=widths[i])
    for n, row in enumerate(cells):
        t.add_row(*(row[i] for i in shown), end_section=n in section_ends)
    return t


def csv_text(frame: pd.DataFrame, places: dict[str, int] | None = None, default: int = 4) -> str:
    """`frame` as CSV with every float column rounded to its precision (`places`, else `default` decimals), so a
    price prints 0.94, never 0.9400000000000001."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            out[col] = out[col].round((places or {}).get(str(col), default))
    return str(out.to_csv(index=False))


def labelled(rows: Iterable[tuple[Cell, Cell]], indent: int = 2) -> Table:
    """Lines of `label text`, the text wrapped at the terminal's width under itself (a hanging indent)."""
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(no_wrap=True)
    grid.add_column()
    for label, body in rows:
        grid.add_row(Text(" " * indent) + _text(label), _text(body))
    return grid
