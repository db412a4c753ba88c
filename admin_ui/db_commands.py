"""``tessera db …``: create a site, plan and apply package changes, restore and purge archives.

Every command takes ``--db URL`` (or the ``TESSERA_DATABASE_URL`` environment variable; default a
SQLite file ``tessera.sqlite`` in the working directory). Errors are printed to stderr as one
clear message and the command exits 1 — never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from metadata.errors import MetadataError, PackageError
from runtime.errors import DataError, DataLossError
from runtime.migrations import (
    apply_plan,
    check_drift,
    check_plan,
    list_archives,
    plan_packages,
    purge,
    restore_field,
    restore_object,
)
from runtime.site import DEFAULT_DATABASE_URL, Site, init_site, open_site

app = typer.Typer(help="Create a site's database and migrate it as its packages change.", no_args_is_help=True)

DATABASE_URL_ENV = "TESSERA_DATABASE_URL"
DatabaseOption = typer.Option(
    DEFAULT_DATABASE_URL,
    "--db",
    envvar=DATABASE_URL_ENV,
    help=f"Database URL (or ${DATABASE_URL_ENV}); default a SQLite file in the working directory.",
    show_default=True,
)
PackagesArgument = typer.Argument(..., help="Package directories: changed copies of installed packages, or new ones.", show_default=False)

T = TypeVar("T")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the errors users can cause into a message on stderr and exit code 1."""
    try:
        yield
    except PackageError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        _fail(f"{count} problem{'s' if count != 1 else ''}")
    except (DataError, MetadataError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"cannot read {error.filename}: {error.strerror}")
    except SQLAlchemyError as error:
        # The runtime wraps what it expects; anything else the database says (a locked file, a
        # lost connection) is still the user's to act on, not a traceback.
        detail = error.orig if isinstance(error, DBAPIError) else error
        _fail(f"the database refused: {str(detail).strip().splitlines()[0]}")


def _missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, if it does not exist (opening it would create an empty one)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.exists() else path


def _with_site(url: str, work: Callable[[Site], T]) -> T:
    missing = _missing_sqlite_file(url)
    if missing is not None:
        _fail(f"no database at {missing}; run 'tessera db init' first (or pass --db / set ${DATABASE_URL_ENV})")
    site = open_site(url)
    try:
        return work(site)
    finally:
        site.dispose()


def _check_directories(paths: list[Path]) -> None:
    for path in paths:
        if not path.is_dir():
            _fail(f"{path}: not a package directory")


def _display(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@app.command("init")
def init(
    db: str = DatabaseOption,
    packages: list[Path] = typer.Option(
        None, "--package", help="Install these package directories instead of the shipped ones (repeatable).", show_default=False
    ),
) -> None:
    """Create the platform tables and the metadata store, and install the system and CRM packages."""
    _check_directories(list(packages or []))
    with _reported():
        site = init_site(db, list(packages) if packages else None)
        names = ", ".join(f"{package.name} {package.manifest.version}" for package in site.registry.packages)
        site.dispose()
        typer.echo(f"initialised {_display(db)}: {len(site.registry.objects)} objects ({names})")


@app.command("plan")
def plan(paths: list[Path] = PackagesArgument, db: str = DatabaseOption) -> None:
    """Show the plan for upgrading the installed packages to (or adding) the given directories."""
    _check_directories(paths)
    with _reported():

        def show(site: Site) -> None:
            migration = plan_packages(site, paths)
            typer.echo(str(migration))
            for finding in check_plan(site, migration):
                typer.echo(f"  {finding}")
            if migration.data_loss:
                typer.echo("apply with --allow-data-loss: removed data is archived and can be restored until purged")

        _with_site(db, show)


@app.command("apply")
def apply(
    paths: list[Path] = PackagesArgument,
    db: str = DatabaseOption,
    allow_data_loss: bool = typer.Option(
        False, "--allow-data-loss", help="Allow removing fields and objects (their data is archived, restorable until purged)."
    ),
) -> None:
    """Apply the plan for the given package directories in one transaction (all or nothing)."""
    _check_directories(paths)
    with _reported():

        def run(site: Site) -> None:
            migration = plan_packages(site, paths)
            if not migration:
                typer.echo("nothing to do: the site already has these packages")
                return
            typer.echo(str(migration))
            try:
                findings = apply_plan(site, migration, allow_data_loss=allow_data_loss)
            except DataLossError as error:
                steps = "\n  ".join(error.steps)
                _fail(
                    f"refused: the plan removes data (archived, restorable until purged):\n  {steps}\n"
                    "apply again with --allow-data-loss to go ahead; nothing was changed"
                )
            for finding in findings:
                typer.echo(f"  {finding}")
            steps = len(migration.operations)
            typer.echo(f"applied {steps} step{'s' if steps != 1 else ''}; the database matches the metadata")

        _with_site(db, run)


def _split(target: str) -> tuple[str, str | None]:
    object_name, _, field_name = target.partition(".")
    if not object_name or (_ and not field_name):
        _fail(f"'{target}': name an object (OBJECT) or a field (OBJECT.FIELD)")
    return object_name, field_name or None


@app.command("restore")
def restore(
    target: str = typer.Argument(..., help="OBJECT.FIELD or OBJECT, declared again in the metadata and applied first."),
    archive: int = typer.Option(None, "--archive", help="Restore this archive number (default: the latest of the target)."),
    db: str = DatabaseOption,
) -> None:
    """Bring archived data back into a field or object that has been declared again."""
    object_name, field_name = _split(target)
    with _reported():

        def run(site: Site) -> None:
            if field_name:
                result = restore_field(site, object_name, field_name, archive_id=archive)
                what = "values"
            else:
                result = restore_object(site, object_name, archive_id=archive)
                what = "rows"
            typer.echo(f"restored {result.restored} {what} of {target} from archive #{result.archive.id}; {result.skipped} skipped")

        _with_site(db, run)


@app.command("purge")
def purge_command(
    target: str = typer.Argument(None, help="OBJECT.FIELD or OBJECT (all its archives).", show_default=False),
    archive: int = typer.Option(None, "--archive", help="Purge only this archive number."),
    db: str = DatabaseOption,
) -> None:
    """Delete archived data for good."""
    if target is None and archive is None:
        _fail("name what to purge: OBJECT.FIELD, OBJECT or --archive N ('tessera db archives' lists them)")
    object_name, field_name = _split(target) if target else (None, None)
    with _reported():

        def run(site: Site) -> None:
            for purged in purge(site, object_name=object_name, field_name=field_name, archive_id=archive):
                typer.echo(f"purged {purged.describe()}")

        _with_site(db, run)


@app.command("archives")
def archives(db: str = DatabaseOption) -> None:
    """List the archived fields and objects that can be restored or purged."""
    with _reported():

        def run(site: Site) -> None:
            found = list_archives(site)
            for archive in found:
                typer.echo(archive.describe())
            if not found:
                typer.echo("no archives")

        _with_site(db, run)


@app.command("check")
def check(db: str = DatabaseOption) -> None:
    """Compare the database with the installed metadata (the drift check); exit 1 if they differ."""
    with _reported():

        def run(site: Site) -> list[str]:
            with site.engine.connect() as connection:
                return check_drift(connection, site.registry)

        differences = _with_site(db, run)
    if differences:
        for difference in differences:
            typer.echo(difference, err=True)
        _fail(f"{len(differences)} difference{'s' if len(differences) != 1 else ''} between the database and the metadata")
    typer.echo("the database matches the metadata")
