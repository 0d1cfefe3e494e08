"""Running an import: read, map, validate every row, then write everything in one
transaction, or nothing (a dry run, or any error)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bocage.core import models as m
from bocage.core.auth import policy
from bocage.core.domain.changes import Change
from bocage.core.domain.errors import Code
from bocage.core.domain.permissions import CONTACTS_READ
from bocage.core.domain.work import UnitOfWork
from bocage.core.imports.base import Context, Kind, Row
from bocage.core.imports.mapping import Column, map_columns
from bocage.core.imports.report import Report, RowError
from bocage.core.imports.sources import Sheet, is_blank, read_sheet
from bocage.core.settings import LANGUAGES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bocage.core.auth.principal import Principal
    from bocage.core.cancellation import Cancellation
    from bocage.core.host import PluginHost
    from bocage.core.spreadsheets import SpreadsheetLimits

Progress = Callable[[str, int, int], None]


class ImportRefused(Exception):
    """The whole import is refused (who asks, or which commune): ``status`` is the HTTP one."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def kinds() -> dict[str, Kind]:
    from bocage.core.imports.projects import ProjectKind
    from bocage.core.imports.pst import PstKind
    from bocage.core.imports.stakeholders import ContactKind, StakeholderKind

    return {k.name: k for k in (ProjectKind(), StakeholderKind(), ContactKind(), PstKind())}


def authorise(principal: Principal, kind: Kind) -> None:
    if principal.is_anonymous:
        raise ImportRefused(401, "unauthenticated", "sign in: send an Authorization: Bearer token")
    if not policy.can(principal, kind.permission.code):
        raise ImportRefused(
            403, "forbidden", f"importing {kind.name} needs the {kind.permission.code} permission"
        )


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal,
    kind_name: str,
    data: bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    commune: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    default_language: str = "fr",
    host: PluginHost | None = None,
    progress: Progress | None = None,
    limits: SpreadsheetLimits | None = None,
    cancellation: Cancellation | None = None,
) -> Report:
    """Import ``data`` (CSV or XLSX bytes) as ``kind_name``; see the module doc. The file is
    read within ``limits`` (the ``BOCAGE_SPREADSHEET_*`` defaults when ``None``), in a worker
    thread; ``cancellation`` stops the import between rows and between its steps, before
    anything is committed.

    Raises :class:`ImportRefused` (authentication, permission, unknown commune),
    :class:`~bocage.core.imports.sources.SourceError` (unreadable file),
    :class:`~bocage.core.spreadsheets.SpreadsheetLimitError` (a bound of the file),
    :class:`~bocage.core.imports.mapping.MappingError` (bad mapping) and
    :class:`~bocage.core.cancellation.ClientDisconnected` (cancelled); everything about the
    rows is in the report."""
    started = time.perf_counter()
    report_progress = progress or (lambda *_: None)
    stop = cancellation.check if cancellation is not None else (lambda: None)
    kind = kinds()[kind_name]
    authorise(principal, kind)
    sheet_data = await anyio.to_thread.run_sync(
        functools.partial(read_sheet, data, sheet=sheet, limits=limits, cancellation=cancellation)
    )
    languages = [default_language, *[lang for lang in LANGUAGES if lang != default_language]]
    columns, ignored = map_columns(
        sheet_data.headers, kind.fields, mapping, default_language=default_language
    )
    context = Context(
        principal=principal,
        source=(source or commune or "default").strip(),
        languages=languages,
        commune_nis=commune,
    )
    if not 1 <= len(context.source) <= 100:
        raise ImportRefused(400, "invalid", "the source must be 1 to 100 characters")
    report = Report(
        kind=kind.name,
        source=context.source,
        dry_run=dry_run,
        format=sheet_data.format,
        columns={c.header: c.key for c in columns},
        ignored_columns=ignored,
    )
    rows = await anyio.to_thread.run_sync(_read_rows, sheet_data, columns, report_progress)
    report.rows = len(rows)
    report_progress("reading", len(rows), len(rows))

    changed: list[tuple[Any, str, dict[str, Any]]] = []
    async with UnitOfWork(sessionmaker, principal, events=host) as work:
        session = work.session
        if commune is not None:
            context.commune = await _commune(session, commune)
        missing = kind.missing_columns({c.key for c in columns}, context)
        report.errors.extend(
            RowError(sheet_data.header_row, key, None, Code.REQUIRED.value, message)
            for key, message in missing
        )
        plans: list[Any] = []
        if not missing:
            stop()
            report_progress("checking", 0, len(rows))
            plans = await kind.plan(session, rows, context)
            report_progress("checking", len(rows), len(rows))
            stop()
            for row in rows:
                report.errors.extend(row.errors)
            report.source = context.source
        if not report.errors:
            # A dry run makes the writes too, then rolls them back: its counts are exact.
            try:
                report_progress("writing", 0, len(plans))
                changed = await kind.write(session, plans, context)
                await session.flush()
                await work.record_all(
                    [
                        Change(row=row, action=action, changes=changes)
                        for row, action, changes in changed
                    ],
                    permission=CONTACTS_READ,
                )
                report_progress("writing", len(plans), len(plans))
                stop()  # the last moment: leaving the block commits
            except IntegrityError:
                report.errors.append(
                    RowError(
                        sheet_data.header_row,
                        None,
                        None,
                        Code.CONFLICT.value,
                        "a row's external ID is taken meanwhile by another import, or by an "
                        "archived object: nothing was written; run the import again, and give "
                        "rows of archived objects new external IDs",
                    )
                )
            else:
                report.created = sum(1 for _, action, _ in changed if action == "created")
                report.updated = len(changed) - report.created
                report.unchanged = context.unchanged
        if report.errors or dry_run:
            work.roll_back()
        else:
            report.committed = True  # on leaving the block, which announces its events
    report.errors = _collapse_missing_columns(report.errors, report, sheet_data.header_row)
    report.errors.sort(key=lambda e: e.row)
    report.seconds = time.perf_counter() - started
    return report


def _read_rows(sheet: Sheet, columns: list[Column], progress: Progress) -> list[Row]:
    """The non-blank rows of ``sheet``, their cells under the keys of ``columns`` (in a worker
    thread: the sheet's reader checks its bounds and the cancellation as it goes)."""
    rows: list[Row] = []
    total = sheet.total or 0
    for number, cells in sheet.rows:
        if is_blank(cells):
            continue
        rows.append(
            Row(
                number,
                {
                    c.key: (c.header, cells[c.index] if c.index < len(cells) else None)
                    for c in columns
                },
            )
        )
        if len(rows) % 500 == 0:
            progress("reading", len(rows), max(total, len(rows)))
    return rows


def _collapse_missing_columns(
    errors: list[RowError], report: Report, header_row: int
) -> list[RowError]:
    """A field the file has no column for fails on every new row the same way: say it once,
    at the header row, with the number of rows."""
    headers = set(report.columns)
    missing: dict[tuple[str | None, str, str], list[RowError]] = {}
    kept = []
    for error in errors:
        if error.row != header_row and error.column not in headers and error.value is None:
            missing.setdefault((error.column, error.code, error.message), []).append(error)
        else:
            kept.append(error)
    for (column, code, message), group in missing.items():
        if len(group) == 1:
            kept.extend(group)
            continue
        kept.append(
            RowError(
                header_row,
                column,
                None,
                code,
                f"no column for {column}, which {len(group)} new rows need (rows "
                f"{group[0].row} to {group[-1].row}): {message}; add a column {column!r} or map "
                "one with --map 'Your header=" + str(column) + "'",
            )
        )
    return kept


async def _commune(session: AsyncSession, value: str) -> Any:
    from bocage.core.imports.lookups import Communes

    communes = await Communes.load(session)
    found = communes.find(value)
    if found is None:
        raise ImportRefused(
            400, "not_found", f"no commune {value!r}: give its NIS code, e.g. 64034"
        )
    return (await session.execute(select(m.Commune).where(m.Commune.id == found.id))).scalar_one()
