"""Rich tables that stay readable from 100 to 160 columns, and CSV of node rows.

Ids and names are what a reader copies into the next command, so they never wrap or get cut: their columns are
`no_wrap` and as wide as their longest value. Prose (tips, messages, the summary's values) takes the width that is
left and wraps. CSV goes to stdout with the same ids and names, for a spreadsheet or `grep`.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

__all__ = ["KEEP", "PROSE", "OPTIONAL", "new_table", "fitted_table", "summary_table", "write_csv"]

KEEP = "keep"          # ids, names, numbers, states: never wrapped
PROSE = "prose"        # wraps to the width left
OPTIONAL = "optional"  # a KEEP column left out when the terminal is too narrow for it
PROSE_MIN = 16         # the narrowest a prose column gets


def new_table(title: str | None, columns: Sequence[tuple[str, str]]) -> Table:
    """A table of `(header, KEEP | OPTIONAL | PROSE)` columns; KEEP columns never wrap, PROSE ones share the rest."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for header, kind in columns:
        if kind == PROSE:
            table.add_column(header, ratio=1, overflow="fold", min_width=PROSE_MIN)
        else:
            table.add_column(header, no_wrap=True, overflow="fold")
    return table


def fitted_table(title: str | None, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str | Text]],
                 width: int, prose_width: int = PROSE_MIN) -> Table:
    """`new_table` holding `rows`, without the OPTIONAL columns (rightmost first) that would leave the PROSE
    columns less than `prose_width` each within `width`: an id is never cut, a less useful column goes instead.

    >>> cols = [("id", KEEP), ("state", OPTIONAL), ("tip", PROSE)]
    >>> [c.header for c in fitted_table(None, cols, [["700000000101", "NORMAL", "a long tip"]], 44).columns]
    ['id', 'state', 'tip']
    >>> [c.header for c in fitted_table(None, cols, [["700000000101", "NORMAL", "a long tip"]], 40).columns]
    ['id', 'tip']
    """
    keep = list(range(len(columns)))

    def needed(kept: list[int]) -> int:
        cells = 0
        for i in kept:
            header, kind = columns[i]
            cells += prose_width if kind == PROSE else max([cell_len(header), *(_width(r[i]) for r in rows)])
        return cells + 3 * (len(kept) - 1) + 2   # a column's padding and divider; the two edges

    for i in reversed(range(len(columns))):
        if needed(keep) <= width:
            break
        if columns[i][1] == OPTIONAL:
            keep.remove(i)
    table = new_table(title, [columns[i] for i in keep])
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


def _width(cell: str | Text) -> int:
    """Cells a value needs on one line: its longest line (a cell may hold one item per line)."""
    text = cell.plain if isinstance(cell, Text) else cell
    return max(cell_len(line) for line in text.split("\n"))


def summary_table(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    """Label → value rows; the labels stay on one line, the values wrap."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", no_wrap=True, style="bold")
    table.add_column("value", ratio=1, overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """`rows` as CSV on stdout (a header line, then one line per row; None as an empty cell)."""
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
