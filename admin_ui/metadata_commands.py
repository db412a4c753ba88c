"""``tessera metadata …``: validate packages and generate their JSON Schema."""

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
