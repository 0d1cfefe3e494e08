"""Small-cell suppression with complementary suppression, for tables whose line totals are
public.

A table is a grid of counts; the totals of its rows (and, for a cross-tabulation, of its
columns) can be read elsewhere: a question's respondents, the overall results of the other
question. Withholding the cells under ``k`` (*primary* suppression) is not enough: with one
withheld cell in a line, the total minus the shown cells gives it back. So *complementary*
cells are withheld too, until no withheld value can be derived:

- every line with a withheld cell has at least two, and their sum is above their number (the
  public knows a withheld cell is at least 1, since zeros are shown: two withheld cells summing
  to 2 would both be 1);
- no withheld cell is *pinned*: in the graph whose vertices are rows and columns and whose
  edges are the withheld cells, each lies on a cycle around which units can be traded without
  changing any total or taking a cell below what the public knows it holds (see
  :func:`pinned`). A bridge (a cell on no cycle) is pinned: the totals on one side of it add
  up to its value exactly.

Pure Python, no database; the tables are small (options x segments).
"""

from __future__ import annotations

from collections.abc import Sequence

Grid = Sequence[Sequence[int]]


def suppress_table(
    counts: Grid,
    k: int,
    *,
    column_totals: bool,
    row_bases: Sequence[int] | None = None,
    column_bases: Sequence[int] | None = None,
) -> set[tuple[int, int]]:
    """The cells (row, column) of ``counts`` to withhold so that no count under ``k`` shows
    and none can be derived from the row totals (and column totals when ``column_totals``).

    A row (or column) whose total is under ``k`` is withheld whole: its total is withheld too
    by the caller (it would name fewer than ``k`` respondents). ``row_bases`` and
    ``column_bases`` are the lines' numbers of respondents when they differ from the sums
    (a respondent choosing several options counts once).
    """
    rows, cols = len(counts), len(counts[0]) if counts else 0
    row_bases = row_bases or [sum(line) for line in counts]
    column_bases = column_bases or [sum(counts[r][c] for r in range(rows)) for c in range(cols)]
    hidden: set[tuple[int, int]] = set()
    for r in range(rows):
        for c in range(cols):
            value = counts[r][c]
            if value and (value < k or row_bases[r] < k):
                hidden.add((r, c))
    if column_totals:
        for c in range(cols):
            if column_bases[c] < k:
                hidden.update((r, c) for r in range(rows) if counts[r][c])
    # A line under k has its total withheld too: it constrains nothing.
    free_rows = {r for r in range(rows) if row_bases[r] < k}
    free_columns = (
        {c for c in range(cols) if column_bases[c] < k} if column_totals else set(range(cols))
    )
    lines = [[(r, c) for c in range(cols)] for r in range(rows) if r not in free_rows]
    lines += [[(r, c) for r in range(rows)] for c in range(cols) if c not in free_columns]
    for _ in range(rows * cols + 1):  # each round withholds one more cell, or stops
        weak = _weak_line(lines, hidden, counts)
        if weak is not None:
            # Prefer a cell whose crossing line also has a single withheld cell: one
            # complement then protects two lines (the smallest rectangle).
            is_row = len({r for r, _ in weak}) == 1
            crossing = [
                (r, c)
                for r, c in weak
                if (is_row and sum((y, c) in hidden for y in range(rows)) == 1)
                or (not is_row and sum((r, x) in hidden for x in range(cols)) == 1)
            ]
            if not _withhold_one_more(crossing, hidden, counts, zeros=False):
                _withhold_one_more(weak, hidden, counts)
            continue
        stuck = pinned(hidden, counts, free_rows, free_columns, merged_totals=column_totals)
        if not stuck:
            break
        if not any(_open_cycle(cell, hidden, counts) for cell in stuck):
            break  # the whole table is withheld
    return hidden


def _open_cycle(cell: tuple[int, int], hidden: set[tuple[int, int]], counts: Grid) -> bool:
    """Withhold one more cell to put ``cell`` on a cycle: another cell of its row, preferably
    in a column already holding withheld cells; failing that, of its column (a zero as a
    last resort). False when its row and column are withheld whole."""
    r, c = cell
    rows, cols = len(counts), len(counts[0])
    row_line = [(r, x) for x in range(cols)]
    column_line = [(y, c) for y in range(rows)]
    preferred = [x for x in row_line if any((y, x[1]) in hidden for y in range(rows))]
    return (
        _withhold_one_more(preferred, hidden, counts, zeros=False)
        or _withhold_one_more(row_line, hidden, counts, zeros=False)
        or _withhold_one_more(column_line, hidden, counts, zeros=False)
        or _withhold_one_more(row_line, hidden, counts)
        or _withhold_one_more(column_line, hidden, counts)
    )


def _weak_line(
    lines: list[list[tuple[int, int]]], hidden: set[tuple[int, int]], counts: Grid
) -> list[tuple[int, int]] | None:
    """A line whose withheld cells could be derived from its total alone."""
    for line in lines:
        withheld = [cell for cell in line if cell in hidden]
        if not withheld:
            continue
        total = sum(counts[r][c] for r, c in withheld)
        if len(withheld) == 1 or total <= len(withheld):
            if any(cell not in hidden for cell in line):
                return line
    return None


def _withhold_one_more(
    line: list[tuple[int, int]],
    hidden: set[tuple[int, int]],
    counts: Grid,
    *,
    zeros: bool = True,
) -> bool:
    """Withhold the smallest shown non-zero cell of ``line`` (a zero one as a last resort:
    its total stays the same, so it only blurs which cell holds what)."""
    shown = [cell for cell in line if cell not in hidden]
    candidates = [cell for cell in shown if counts[cell[0]][cell[1]]] or (shown if zeros else [])
    if not candidates:
        return False
    hidden.add(min(candidates, key=lambda cell: (counts[cell[0]][cell[1]], cell)))
    return True


Vertex = tuple[str, int]


def pinned(
    hidden: set[tuple[int, int]],
    counts: Grid,
    free_rows: set[int] | frozenset[int] = frozenset(),
    free_columns: set[int] | frozenset[int] = frozenset(),
    *,
    merged_totals: bool = True,
) -> list[tuple[int, int]]:
    """The withheld cells whose value the public totals fix.

    Rows and columns are vertices, withheld cells are edges. The rows whose totals are
    withheld merge into one vertex, and so do such columns: with ``merged_totals`` their sum
    is still known (the grand total minus the other lines), else (groups of one line, whose
    columns have no totals) they are one vertex where units may vanish. A cell can take
    another value when units can travel
    around a cycle through it without breaking a total: every other cell the move lowers
    must stay at or above the lowest value the public can assume (1 when no zero is
    withheld: zeros are shown; else 0). A cell that can move neither up nor down is pinned;
    a cell on no cycle at all (a bridge) always is.
    """
    lowest = 0 if any(counts[r][c] == 0 for r, c in hidden) else 1

    def ends(cell: tuple[int, int]) -> tuple[Vertex, Vertex]:
        r, c = cell
        if merged_totals:
            return ("rows", 0) if r in free_rows else ("r", r), (
                ("columns", 0) if c in free_columns else ("c", c)
            )
        return (
            ("free", 0) if r in free_rows else ("r", r),
            ("free", 0) if c in free_columns else ("c", c),
        )

    found = []
    for cell in sorted(hidden):
        row, column = ends(cell)
        if row == column:  # both totals withheld: nothing constrains it
            continue
        # Arcs of the other cells: row -> column raises it (always possible), column -> row
        # lowers it (possible above the lowest value).
        arcs: dict[Vertex, list[Vertex]] = {}
        for other in hidden - {cell}:
            a, b = ends(other)
            arcs.setdefault(a, []).append(b)
            if counts[other[0]][other[1]] > lowest:
                arcs.setdefault(b, []).append(a)
        up = _reaches(column, row, arcs)  # raise it, return through the cycle
        down = counts[cell[0]][cell[1]] > lowest and _reaches(row, column, arcs)
        if not (up or down):
            found.append(cell)
    return found


def _reaches(start: Vertex, goal: Vertex, arcs: dict[Vertex, list[Vertex]]) -> bool:
    seen, frontier = {start}, [start]
    while frontier:
        vertex = frontier.pop()
        if vertex == goal:
            return True
        for other in arcs.get(vertex, ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return False
