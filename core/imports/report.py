"""What an import did or would do: counts, and every problem with its row and column."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RowError:
    """A problem at ``row`` (numbered as the spreadsheet shows it; the header row for a
    problem with the columns) in ``column`` (its header), with the cell's ``value``."""

    row: int
    column: str | None
    value: str | None
    code: str
    message: str


@dataclass
class Report:
    kind: str
    source: str
    dry_run: bool
    format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    committed: bool = False
    #: Header in the file -> the field it fills.
    columns: dict[str, str] = field(default_factory=dict)
    #: Headers that fill no field (left out of the import).
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["ok"] = self.ok
        body["seconds"] = round(self.seconds, 3)
        return body
