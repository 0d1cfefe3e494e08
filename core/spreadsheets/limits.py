"""Bounds on the spreadsheets Bocage reads (open-data uploads, the spreadsheet import): the
columns of a row, the cells of a file, the characters of a cell and, for XLSX (a ZIP archive),
its members and how much it expands. They are checked while the file is streamed, before any
parser builds anything from it, so that a hostile file is refused in milliseconds and without
memory: a 10 MB CSV of a million columns at its first line, a zip bomb from its directory.

One implementation for every reader; the bounds are the ``BOCAGE_SPREADSHEET_*`` settings
(:class:`SpreadsheetLimits`), and a refusal (:class:`SpreadsheetLimitError`) names the one to
raise: 413 for size (cells, expanded bytes, compression ratio), 422 for shape (columns, a
cell's length, an archive's members).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from bocage.core.nul import NUL, nul_message

if TYPE_CHECKING:
    from bocage.core.cancellation import Cancellation
    from bocage.core.settings import Settings


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; the message says what to do."""


class SpreadsheetLimitError(SpreadsheetError):
    """The file exceeds one of the bounds: ``status`` 413 (size) or 422 (shape), ``setting``
    the variable that sets ``limit``."""

    def __init__(self, status: int, name: str, limit: float, message: str, advice: str) -> None:
        self.status = status
        self.setting = setting_of(name)
        self.limit = limit
        self.message = (
            f"{message}: the limit is {limit:g} ({self.setting}); {advice}, or ask the "
            f"operator to raise {self.setting}"
        )
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return "payload_too_large" if self.status == 413 else "limit_exceeded"

    def body(self) -> dict[str, Any]:
        """The JSON body of the refusal."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "limit": self.limit,
                "setting": self.setting,
            }
        }


def setting_of(name: str) -> str:
    """The variable of :class:`SpreadsheetLimits` field ``name``."""
    return f"BOCAGE_SPREADSHEET_{name.upper()}"


@dataclass(frozen=True)
class SpreadsheetLimits:
    """The ``BOCAGE_SPREADSHEET_*`` settings (see :class:`bocage.core.settings.Settings`)."""

    max_columns: int
    max_cells: int
    max_cell_chars: int
    max_uncompressed_bytes: int
    max_compression_ratio: float
    max_zip_members: int

    @classmethod
    def of(cls, settings: Settings | None = None) -> SpreadsheetLimits:
        """The bounds set in ``settings`` (the defaults when ``None``)."""
        if settings is None:
            from bocage.core.settings import Settings

            settings = Settings.model_construct()  # the defaults, not the environment
        return cls(**{f.name: getattr(settings, f"spreadsheet_{f.name}") for f in fields(cls)})


class RowCounter:
    """Counts the rows of a file as they are read; the first that breaks a bound raises."""

    def __init__(self, limits: SpreadsheetLimits, cancellation: Cancellation | None = None) -> None:
        self.limits = limits
        self.cancellation = cancellation
        self.cells = 0
        self.rows = 0

    def add(self, number: int, cells: Sequence[Any]) -> None:
        """Row ``number`` (as a spreadsheet shows it) of ``cells``."""
        limits = self.limits
        if len(cells) > limits.max_columns:
            raise too_many_columns(limits, f"row {number} has {len(cells)} columns")
        self.cells += len(cells) or 1  # an empty row costs as much as a cell
        if self.cells > limits.max_cells:
            raise too_many_cells(limits, f"the file reaches {self.cells} cells at row {number}")
        longest = 0
        for column, cell in enumerate(cells, start=1):
            if isinstance(cell, str):
                longest = max(longest, len(cell))
                if NUL in cell:  # PostgreSQL can neither store nor compare it
                    raise SpreadsheetError(nul_message(f"row {number}, column {column}"))
        if longest > limits.max_cell_chars:
            raise cell_too_long(limits, f"row {number} has a cell of {longest} characters")
        self.rows += 1
        if self.cancellation is not None and self.rows % 1000 == 0:
            self.cancellation.check()


def too_many_columns(limits: SpreadsheetLimits, what: str) -> SpreadsheetLimitError:
    return SpreadsheetLimitError(
        422, "max_columns", limits.max_columns, what, "split the table into several files"
    )


def too_many_cells(limits: SpreadsheetLimits, what: str) -> SpreadsheetLimitError:
    return SpreadsheetLimitError(
        413, "max_cells", limits.max_cells, what, "split the file into several"
    )


def cell_too_long(limits: SpreadsheetLimits, what: str) -> SpreadsheetLimitError:
    return SpreadsheetLimitError(
        422, "max_cell_chars", limits.max_cell_chars, what, "shorten the text"
    )
