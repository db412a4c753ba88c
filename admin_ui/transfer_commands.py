"""``tessera import`` and ``tessera export``: CSV in and out of any object, from the terminal.

Without ``--as`` the command runs as the platform (every record and field, as ``tessera db`` does:
whoever holds the database file holds the data); with ``--as USER`` it runs with that user's
permissions, exactly as the API would for them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from admin_ui.db_commands import DatabaseOption
from admin_ui.serve_commands import fail, opened_site, reported, user_id_for
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.transfer import CsvImportError, export_csv, import_csv

AsOption = typer.Option(None, "--as", help="Run with this user's permissions (username or id); default: the platform.")


def _records_and_actor(site, as_user: str | None) -> tuple[RecordService, Actor]:
    if as_user is None:
        return RecordService(site), SYSTEM
    from admin_ui.web.app import security_policy

    records = RecordService(site, access=security_policy(site))
    user_id = user_id_for(site, records, as_user)
    if user_id is None:
        fail(f"there is no user '{as_user}'")
    return records, Actor(user_id=user_id)


def import_command(
    object_name: str = typer.Argument(..., metavar="OBJECT", help="The object's api name."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A CSV file (UTF-8, with or without BOM)."),
    update_by: str = typer.Option(None, "--update-by", help="Update the record whose FIELD matches the row's; create the others."),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows", help="Import the good rows and report the bad ones (default: all or nothing)."),
    db: str = DatabaseOption,
    as_user: str = AsOption,
) -> None:
    """Import records from a CSV file; the header names fields by api name or label (en or zh)."""
    data = file.read_bytes()
    with reported(), opened_site(db, initialise=False) as site:
        records, actor = _records_and_actor(site, as_user)
        if object_name not in site.registry.objects:
            fail(f"there is no object '{object_name}'")
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=_stderr(), transient=True) as bar:
            task = bar.add_task("rows", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                result = import_csv(records, actor, object_name, data, update_by=update_by, skip_bad_rows=skip_bad_rows, progress=advance)
            except CsvImportError as error:
                bar.stop()
                for row in error.rows:
                    typer.echo(str(row), err=True)
                rows = len({row.row for row in error.rows})
                fail(f"{rows} bad row{'s' if rows != 1 else ''}; nothing was imported (fix them, or pass --skip-bad-rows)")
        for row in result.errors:
            typer.echo(str(row), err=True)
        typer.echo(f"{result.created} created, {result.updated} updated, {result.skipped} skipped")


def export_command(
    object_name: str = typer.Argument(..., metavar="OBJECT", help="The object's api name."),
    filter: str = typer.Option(None, "--filter", help='A filter in the JSON filter language, e.g. \'{"status": "open"}\'.'),
    fields: str = typer.Option(None, "--fields", help="Fields to export, comma-separated (default: every readable field)."),
    labels: bool = typer.Option(False, "--labels", help="Head columns with field labels instead of api names."),
    language: str = typer.Option("en", "--language", help="Language of the labels: en or zh."),
    raw: bool = typer.Option(False, "--raw", help="Write values verbatim: no ' before cells a spreadsheet would run as formulas (=, +, -, @)."),
    db: str = DatabaseOption,
    as_user: str = AsOption,
) -> None:
    """Write records as CSV to standard output (UTF-8 with BOM and CRLF, which Excel opens as is)."""
    try:
        tree = json.loads(filter) if filter else None
    except json.JSONDecodeError as error:
        fail(f"--filter is not valid JSON: {error.msg}")
    with reported(), opened_site(db, initialise=False) as site:
        records, actor = _records_and_actor(site, as_user)
        if object_name not in site.registry.objects:
            fail(f"there is no object '{object_name}'")
        actor = Actor(user_id=actor.user_id, language=language if language in ("en", "zh") else "en", system=actor.system)
        names = [name.strip() for name in fields.split(",") if name.strip()] if fields else None
        chunks = export_csv(records, actor, object_name, filter=tree, fields=names, headers="label" if labels else "api_name", raw=raw)
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk.encode("utf-8"))
        out.flush()


def _stderr():
    from rich.console import Console

    return Console(stderr=True)
