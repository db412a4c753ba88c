"""``tessera user …``: create users with a password, change passwords, disable users.

A user is a record of the system ``user`` object, created through the record pipeline as the
platform (SYSTEM actor); the password is stored as an argon2 hash by ``runtime.auth``.
"""

from __future__ import annotations

import typer

from admin_ui.db_commands import DatabaseOption
from admin_ui.serve_commands import fail, opened_site, reported, user_id_for
from runtime.auth import Authenticator
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService

app = typer.Typer(help="Manage the people who sign in.", no_args_is_help=True)

PasswordOption = typer.Option(..., "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="The password (asked for when not given).")


def _assign_administrator(site, user_id: str) -> None:
    from runtime.security import ADMINISTRATOR, assign

    # the administrator role reaches every record; the administrator profile allows every object
    assign(site, user_id, roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])


@app.command("create")
def create(
    username: str = typer.Argument(..., help="The name to sign in with."),
    password: str = PasswordOption,
    admin: bool = typer.Option(False, "--admin", help="Give the user the administrator role."),
    name: str = typer.Option(None, "--name", help="Full name (default: the username)."),
    email: str = typer.Option(None, "--email", help="Email address."),
    db: str = DatabaseOption,
) -> None:
    """Create a user who can sign in with USERNAME and the password."""
    if not password:
        fail("the password must not be empty")
    with reported(), opened_site(db) as site:
        records = RecordService(site)
        if user_id_for(site, records, username) is not None:
            fail(f"there is already a user '{username}'")
        values = {"username": username, "name": name or username}
        if email:
            values["email"] = email
        user = records.create(SYSTEM, "user", values)
        Authenticator(site).set_password(user["id"], password)
        if admin:
            _assign_administrator(site, user["id"])
        typer.echo(f"created user {username} ({user['id']}){' as administrator' if admin else ''}")


@app.command("password")
def password(username: str = typer.Argument(...), password: str = PasswordOption, db: str = DatabaseOption) -> None:
    """Set a user's password; their sessions and API tokens end."""
    with reported(), opened_site(db, initialise=False) as site:
        user_id = user_id_for(site, RecordService(site), username)
        if user_id is None:
            fail(f"there is no user '{username}'")
        Authenticator(site).set_password(user_id, password)
        typer.echo(f"password of {username} changed; their sessions and tokens were revoked")


@app.command("disable")
def disable(username: str = typer.Argument(...), db: str = DatabaseOption) -> None:
    """Stop a user from signing in; their sessions and API tokens end now."""
    with reported(), opened_site(db, initialise=False) as site:
        records = RecordService(site)
        user_id = user_id_for(site, records, username)
        if user_id is None:
            fail(f"there is no user '{username}'")
        records.update(SYSTEM, "user", user_id, {"active": False})
        Authenticator(site).revoke_user(user_id)
        typer.echo(f"disabled {username}")
