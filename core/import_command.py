"""``bocage import KIND FILE``: the command line of the spreadsheet import."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

KINDS = ("projects", "stakeholders", "contacts", "pst")


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON object of column header -> field, e.g. {"Intitulé": "title_fr"}.',
)
@click.option("--map", "maps", multiple=True, help="One column's field, 'Header=field' (repeat).")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--commune",
    help="NIS code of the commune whose PST this is (pst), or of every row's commune when "
    "the file has no commune column.",
)
@click.option("--sheet", help="Sheet of an XLSX workbook (default: the first).")
@click.option(
    "--source",
    help="Namespace of the file's external IDs, e.g. the system it comes from "
    "(default: --commune, else 'default').",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def import_command(
    kind: str,
    file: Path,
    mapping_file: Path | None,
    maps: tuple[str, ...],
    dry_run: bool,
    commune: str | None,
    sheet: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Import KIND (projects, stakeholders, contacts or a commune's pst) from a CSV or XLSX
    FILE. Every row is checked first; any error and nothing is written. Rows are matched by
    their external_id: importing the same file again updates, never duplicates."""
    from rich.table import Table

    from bocage.core.auth.principal import Principal, PrincipalKind, Role
    from bocage.core.cli import _migrated, _progress, console, reporter, run, runtime
    from bocage.core.db import sessionmaker
    from bocage.core.imports.mapping import MappingError, parse_map_options
    from bocage.core.imports.runner import ImportRefused, run_import
    from bocage.core.imports.sources import SourceError
    from bocage.core.spreadsheets import SpreadsheetError, SpreadsheetLimits

    rt = runtime()
    try:
        mapping = json.loads(mapping_file.read_text(encoding="utf-8")) if mapping_file else {}
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise click.BadParameter(
                'a JSON object of strings, e.g. {"Intitulé": "title_fr"}', param_hint="--mapping"
            )
        mapping.update(parse_map_options(maps))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="--mapping") from None
    except MappingError as error:
        raise click.BadParameter(str(error), param_hint="--map") from None
    # Whoever runs the command line holds the database: an administrator, named in the audit.
    principal = Principal(
        kind=PrincipalKind.PERSON,
        subject=f"cli:{getpass.getuser()}",
        roles=frozenset({Role.TERRITORY_ADMIN}),
    )

    async def go() -> object:
        async with rt.connected() as engine:
            await _migrated(rt, engine)
            with _progress() as progress:
                return await run_import(
                    sessionmaker(engine),
                    principal,
                    kind,
                    file.read_bytes(),
                    mapping=mapping,
                    source=source,
                    commune=commune,
                    sheet=sheet,
                    dry_run=dry_run,
                    default_language=rt.settings.default_language,
                    host=rt.host,
                    progress=reporter(progress),
                    limits=SpreadsheetLimits.of(rt.settings),
                )

    try:
        report = run(go())
    except (SourceError, SpreadsheetError, MappingError, ImportRefused) as error:
        raise click.ClickException(f"{file.name}: {error}") from None
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))  # type: ignore[attr-defined]
    errors = report.errors  # type: ignore[attr-defined]
    if errors:
        table = Table("row", "column", "value", "what to fix", title=f"{len(errors)} errors")
        for problem in errors[:100]:
            table.add_row(
                str(problem.row), problem.column or "", problem.value or "", problem.message
            )
        console.print(table)
        if len(errors) > 100:
            console.print(f"... and {len(errors) - 100} more (use --json for all of them)")
        console.print(f"[red]nothing was written[/red]: fix the {len(errors)} errors above")
        raise SystemExit(1)
    verb = "would be" if dry_run else "were"
    console.print(
        f"{report.rows} rows of {file.name}: {report.created} {verb} created, "  # type: ignore[attr-defined]
        f"{report.updated} updated, {report.unchanged} unchanged "  # type: ignore[attr-defined]
        f"({report.seconds:.1f} s)" + (" - dry run: nothing was written" if dry_run else "")  # type: ignore[attr-defined]
    )
