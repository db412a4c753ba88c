"""The ``tessera`` command line: one Typer app, one sub-app per concept."""

from __future__ import annotations

import typer

from admin_ui import access_commands, db_commands, department_commands, formula_commands, metadata_commands, search_commands, serve_commands, site_commands, transfer_commands, user_commands

app = typer.Typer(
    name="tessera",
    help="Tessera: a metadata-driven low-code object platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(metadata_commands.app, name="metadata")
app.add_typer(formula_commands.app, name="formula")
app.add_typer(db_commands.app, name="db")
app.add_typer(user_commands.app, name="user")
app.add_typer(department_commands.app, name="department")
app.add_typer(access_commands.app, name="access")
app.add_typer(site_commands.app, name="site")
app.add_typer(search_commands.app, name="search")
app.command("serve")(serve_commands.serve)
app.command("import")(transfer_commands.import_command)
app.command("export")(transfer_commands.export_command)


def main() -> None:
    """Console-script entry point."""
    app()
