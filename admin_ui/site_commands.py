"""``tessera site …``: show and change the site settings kept in the site's database.

A setting is checked before it is stored (an unknown name or a bad value is one message on stderr
and exit code 1). A running server reads the settings when it starts: restart it after a change.
"""

from __future__ import annotations

import typer

from admin_ui.db_commands import DatabaseOption
from admin_ui.serve_commands import opened_site, reported
from runtime.settings import SETTINGS

app = typer.Typer(help="Show and change the site settings (time zone, ...).", no_args_is_help=True)


@app.command("show")
def show(db: str = DatabaseOption) -> None:
    """Print every site setting and its value."""
    with reported(), opened_site(db, initialise=False) as site:
        for name, value in sorted(site.settings.items()):
            typer.echo(f"{name} = {value}    # {SETTINGS[name].help}")


@app.command("set")
def set_command(
    name: str = typer.Argument(..., help=f"The setting: {', '.join(sorted(SETTINGS))}."),
    value: str = typer.Argument(..., help="Its new value, e.g. Asia/Shanghai for time_zone."),
    db: str = DatabaseOption,
) -> None:
    """Change a site setting, e.g. ``tessera site set time_zone Asia/Shanghai``."""
    with reported(), opened_site(db, initialise=False) as site:
        stored = site.set_setting(name, value)
        typer.echo(f"{name} = {stored}")
