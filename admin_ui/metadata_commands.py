"""``tessera metadata …``: validate packages, generate their JSON Schema, export the site layer."""

from __future__ import annotations

from pathlib import Path

import typer

from metadata.errors import PackageError
from metadata.json_schema import SCHEMA_DIR, write_schemas
from metadata.registry import load_registry, shipped_packages

app = typer.Typer(help="Validate metadata packages and generate JSON Schema.", no_args_is_help=True)


def packages_to_check(paths: list[Path]) -> list[Path]:
    """The shipped packages, then each given package directory not already among them."""
    roots = shipped_packages()
    known = {root.resolve() for root in roots}
    for path in paths:
        if path.resolve() not in known:
            roots.append(path)
            known.add(path.resolve())
    return roots


@app.command("check")
def check(
    paths: list[Path] = typer.Argument(
        None,
        help="Package directories to check together with the shipped packages (default: the shipped packages).",
        show_default=False,
    ),
) -> None:
    """Load and validate packages; print a summary, or every problem (file:line:col) and exit 1."""
    for path in paths or []:
        if not path.is_dir():
            typer.echo(f"{path}: not a package directory", err=True)
            raise typer.Exit(1)
    try:
        registry = load_registry(packages_to_check(list(paths or [])))
    except PackageError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        typer.echo(f"{count} problem{'s' if count != 1 else ''}", err=True)
        raise typer.Exit(1) from None
    stats = registry.stats()
    typer.echo(
        f"{stats['objects']} objects, {stats['fields']} fields, {stats['layouts']} layouts, "
        f"{stats['rules']} rules: OK"
    )


@app.command("schema")
def schema(
    out: Path = typer.Option(SCHEMA_DIR, "--out", help="Directory to write the JSON Schema files into."),
) -> None:
    """Write the JSON Schema files that editors use to validate metadata YAML."""
    for path in write_schemas(out):
        typer.echo(str(path))


@app.command("export")
def export(
    site: Path = typer.Option(..., "--site", help="Directory to write the site layer into, as a package (created if missing; must be empty)."),
    db: str = typer.Option("sqlite:///tessera.sqlite", "--db", envvar="TESSERA_DATABASE_URL", help="Database URL of the site."),
) -> None:
    """Write what admins changed on the site (its own layer) as a package that installs elsewhere."""
    from admin_ui.serve_commands import opened_site, reported
    from runtime.site_layer.export import site_package_files

    if site.exists() and (not site.is_dir() or any(site.iterdir())):
        typer.echo(f"{site}: not an empty directory", err=True)
        raise typer.Exit(1)
    with reported(), opened_site(db, initialise=False) as opened:
        files = site_package_files(opened.registry)
    for relative, text in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    typer.echo(f"{len(files)} files written to {site}")
