"""Complementary suppression: no withheld count can be derived from the public totals.

An attacker knows every shown cell and the totals of every row and column whose total is at
least k (the respondents of a group, the overall count of an option); the test enumerates
every table consistent with that knowledge and checks that each withheld cell can take more
than one value in them."""

from __future__ import annotations

import itertools
import random

import pytest

from bocage.plugins.surveys.suppression import pinned, suppress_table

K = 5


def _feasible_values(
    counts: list[list[int]], hidden: set[tuple[int, int]], k: int, lower: int
) -> dict[tuple[int, int], set[int]]:
    """Every value each withheld cell takes in some table consistent with what is public."""
    rows, cols = len(counts), len(counts[0])
    row_totals = [sum(line) for line in counts]
    col_totals = [sum(counts[r][c] for r in range(rows)) for c in range(cols)]
    row_left = [
        row_totals[r] - sum(counts[r][c] for c in range(cols) if (r, c) not in hidden)
        if row_totals[r] >= k
        else None
        for r in range(rows)
    ]
    col_left = [
        col_totals[c] - sum(counts[r][c] for r in range(rows) if (r, c) not in hidden)
        if col_totals[c] >= k
        else None
        for c in range(cols)
    ]
    cells = sorted(hidden)
    # Without a public total, a line only bounds its cells by the grand total.
    ceiling = sum(row_totals)
    seen: dict[tuple[int, int], set[int]] = {cell: set() for cell in cells}
    values: dict[tuple[int, int], int] = {}

    def last_in_row(i: int) -> bool:
        r = cells[i][0]
        return i + 1 == len(cells) or cells[i + 1][0] != r

    def walk(i: int, row_rem: list, col_rem: list, grand: int) -> None:
        if grand < 0:
            return
        if i == len(cells):
            if (
                grand == 0
                and all(v in (None, 0) for v in row_rem)
                and all(v in (None, 0) for v in col_rem)
            ):
                for cell, value in values.items():
                    seen[cell].add(value)
            return
        r, c = cells[i]
        high = min(x for x in (row_rem[r], col_rem[c], ceiling) if x is not None)
        options = range(lower, high + 1)
        if row_rem[r] is not None and last_in_row(i):
            options = [row_rem[r]] if lower <= row_rem[r] <= high else []
        for value in options:
            values[(r, c)] = value
            if row_rem[r] is not None:
                row_rem[r] -= value
            if col_rem[c] is not None:
                col_rem[c] -= value
            walk(i + 1, row_rem, col_rem, grand - value)
            if row_rem[r] is not None:
                row_rem[r] += value
            if col_rem[c] is not None:
                col_rem[c] += value
        values.pop((r, c), None)

    # The grand total is public too (the respondents), so free lines are bound together.
    grand_left = sum(row_totals) - sum(
        counts[r][c] for r in range(rows) for c in range(cols) if (r, c) not in hidden
    )
    walk(0, list(row_left), list(col_left), grand_left)
    return seen


def _tables(seed: int, count: int) -> list[list[list[int]]]:
    rng = random.Random(seed)
    shapes = [(2, 3), (3, 3), (2, 4), (3, 2)]
    found = []
    while len(found) < count:
        rows, cols = rng.choice(shapes)
        table = [[rng.choice([0, 1, 2, 3, 4, 6, 7, 9]) for _ in range(cols)] for _ in range(rows)]
        if any(0 < v < K for v in itertools.chain(*table)):
            found.append(table)
    return found


TABLES = _tables(2026, 100)


@pytest.mark.parametrize("table", TABLES)
def test_no_withheld_cell_of_a_cross_tab_can_be_derived(table: list[list[int]]) -> None:
    hidden = suppress_table(table, K, column_totals=True)
    # Nothing under k shows.
    for r, line in enumerate(table):
        for c, value in enumerate(line):
            assert (r, c) in hidden or value == 0 or value >= K, (table, hidden)
    # The attacker knows withheld cells are never negative; when no zero is withheld, also
    # that each is at least 1. Either way each withheld cell keeps two possible values.
    # Only when the margins published elsewhere fix a cell even with the whole table withheld
    # (e.g. a group of 2 made of two 1s, its size known from the other groups) is there
    # nothing more to withhold: then every cell is.
    bounds = [0] if any(table[r][c] == 0 for r, c in hidden) else [0, 1]
    everything = {(r, c) for r, line in enumerate(table) for c, _ in enumerate(line)}
    for lower in bounds:
        feasible = _feasible_values(table, hidden, K, lower)
        for cell, values in feasible.items():
            assert table[cell[0]][cell[1]] in values
            if len(values) < 2:
                assert hidden == everything, (table, sorted(hidden), cell, values)


def test_a_single_withheld_cell_gets_a_complement_in_its_row_and_column() -> None:
    table = [
        [20, 3, 30],
        [25, 40, 35],
        [15, 22, 18],
    ]
    hidden = suppress_table(table, K, column_totals=True)
    assert (0, 1) in hidden  # 3 < k
    assert sum(1 for r, c in hidden if r == 0) >= 2  # a complement in its row
    assert sum(1 for r, c in hidden if c == 1) >= 2  # and in its column
    assert pinned(hidden, table) == []  # every withheld cell is on a cycle
    assert len(hidden) == 4  # the smallest rectangle: no more than needed


def test_one_line_groups_keep_two_cells_whose_sum_hides_both() -> None:
    assert suppress_table([[3, 20, 30, 0]], K, column_totals=False) == {(0, 0), (0, 1)}
    # Two withheld ones would both be 1: a third is withheld.
    assert suppress_table([[1, 1, 30, 40]], K, column_totals=False) == {(0, 0), (0, 1), (0, 2)}
    assert suppress_table([[5, 9]], K, column_totals=False) == set()
    # A group under k is withheld whole.
    assert suppress_table([[2, 2]], K, column_totals=False) == {(0, 0), (0, 1)}


def test_pinned_cells_are_found() -> None:
    table = [[9, 9, 0], [9, 9, 9], [0, 0, 9]]
    # Rows 0 and 1 share columns 0 and 1 (a cycle); cell (1, 2) hangs alone: a bridge.
    assert pinned({(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)}, table) == [(1, 2)]
    assert pinned({(0, 0), (0, 1), (1, 0), (1, 1)}, table) == []
    # On a cycle but stuck: the cells it would lower are at 1, the least a withheld cell
    # holds when zeros are shown.
    ones = [[1, 1], [1, 1]]
    assert pinned({(0, 0), (0, 1), (1, 0), (1, 1)}, ones) == [(0, 0), (0, 1), (1, 0), (1, 1)]
