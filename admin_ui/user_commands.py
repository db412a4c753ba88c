"""``tessera user …``: create users with a password, change passwords, disable and unlock users, place them
in the organisation (department, manager, rank, assistants), assign roles and profiles, show them.

A user is a record of the system ``user`` object, created through the record pipeline as the
platform (SYSTEM actor); the password is stored as an argon2 hash by ``runtime.auth``.
"""

from __future__ import annotations

import sqlalchemy as sa
import typer

from admin_ui.db_commands import DatabaseOption
from admin_ui.department_commands import department_id_for, required_user, secured_records
from admin_ui.serve_commands import fail, opened_site, reported, user_id_for
from runtime.auth import Authenticator
from runtime.auth.users import disable_user
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.settings import SETTINGS

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
    language: str = typer.Option(None, "--language", help="Language of pages and messages: zh or en (default: the user object's default, zh)."),
    time_zone: str = typer.Option(None, "--time-zone", help="How the user's pages show datetimes (default: the site's time zone)."),
    db: str = DatabaseOption,
) -> None:
    """Create a user who can sign in with USERNAME and the password."""
    if not password:
        fail("the password must not be empty")
    with reported(), opened_site(db) as site:
        records = secured_records(site)
        if user_id_for(site, records, username) is not None:
            fail(f"there is already a user '{username}'")
        values = {"username": username, "name": name or username}
        if email:
            values["email"] = email
        if language:
            values["language"] = language
        # the site's zone, not a package's guess: a user created with --language en in a London
        # site should not see Shanghai times
        values["time_zone"] = SETTINGS["time_zone"].check(time_zone) if time_zone else site.time_zone
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
        # one transaction with the end of their sessions and tokens; refused for the last administrator
        disable_user(records, SYSTEM, user_id)
        typer.echo(f"disabled {username}")


@app.command("unlock")
def unlock(username: str = typer.Argument(...), db: str = DatabaseOption) -> None:
    """Clear the lock that failed sign-ins put on a username."""
    with reported(), opened_site(db, initialise=False) as site:
        # any typed username can be locked (unknown ones too, so none is given away): no lookup
        cleared = Authenticator(site).unlock(username)
        typer.echo(f"unlocked {username}" if cleared else f"{username} was not locked")


def _unknown_names(kind: str, given: list[str], known) -> list[str]:
    unknown = [name for name in given if name not in known]
    if not unknown:
        return []
    return [f"unknown {kind}{'s' if len(unknown) > 1 else ''} {', '.join(repr(name) for name in unknown)}; the {kind}s are: {', '.join(sorted(known))}"]


@app.command("assign")
def assign_command(
    username: str = typer.Argument(...),
    roles: list[str] = typer.Option(None, "--role", help="A role (repeatable); the roles given replace the user's roles."),
    profiles: list[str] = typer.Option(None, "--profile", help="A profile (repeatable); the profiles given replace the user's profiles."),
    db: str = DatabaseOption,
) -> None:
    """Set a user's roles and/or profiles (what is given replaces what they held)."""
    if not roles and not profiles:
        fail("give at least one --role or --profile")
    with reported(), opened_site(db, initialise=False) as site:
        from runtime.security import assign

        security = site.registry.security
        problems = _unknown_names("role", roles or [], security.roles) + _unknown_names("profile", profiles or [], security.profiles)
        if problems:
            fail("\n".join(problems))
        user_id = required_user(site, RecordService(site), username)
        assign(site, user_id, roles=roles or None, profiles=profiles or None)
        held = [f"roles {', '.join(roles)}"] if roles else []
        held += [f"profiles {', '.join(profiles)}"] if profiles else []
        typer.echo(f"{username} now holds {'; '.join(held)}")


@app.command("set")
def set_command(
    username: str = typer.Argument(...),
    department: str = typer.Option(None, "--department", help='Primary department (name or code; "" for none).'),
    manager: str = typer.Option(None, "--manager", help='Username of the direct manager ("" for the head of the department).'),
    rank: int = typer.Option(None, "--rank", min=0, help="Rank, for approval processes."),
    assistant_of: str = typer.Option(None, "--assistant-of", help="Make the user an assistant of this manager (reads what they read)."),
    db: str = DatabaseOption,
) -> None:
    """Change a user's place in the organisation."""
    if department is None and manager is None and rank is None and assistant_of is None:
        fail("nothing to change: give --department, --manager, --rank or --assistant-of")
    with reported(), opened_site(db, initialise=False) as site:
        records = secured_records(site)
        user_id = required_user(site, records, username)
        values: dict = {}
        if department is not None:
            values["department"] = department_id_for(records, department) if department else None
        if manager is not None:
            values["manager"] = required_user(site, records, manager) if manager else None
            if values["manager"] == user_id:
                fail(f"{username} cannot be their own manager")
        if rank is not None:
            values["rank"] = rank
        boss = required_user(site, records, assistant_of) if assistant_of else None
        if boss == user_id:
            fail(f"{username} cannot be their own assistant")
        # the record pipeline owns its transaction, so the user's fields and the assistant link
        # are two writes; every name is checked before either, so a bad one changes nothing
        if values:
            records.update(SYSTEM, "user", user_id, values)
        if boss is not None:
            from runtime.security import set_assistants

            set_assistants(site, boss, [*assistants_of(site, boss), user_id])
        changed = [f"{name} {value if value != '' else '(none)'}" for name, value in (("department", department), ("manager", manager), ("rank", rank), ("assistant of", assistant_of)) if value is not None]
        typer.echo(f"{username}: {'; '.join(changed)}")


def assistants_of(site, manager_id: str) -> list[str]:
    from runtime.security import tables

    table = site.platform[tables.ASSISTANT]
    with site.engine.connect() as connection:
        return list(connection.execute(sa.select(table.c.assistant_id).where(table.c.manager_id == manager_id)).scalars())


def _assists(site, user_id: str) -> list[str]:
    from runtime.security import tables

    table = site.platform[tables.ASSISTANT]
    with site.engine.connect() as connection:
        return list(connection.execute(sa.select(table.c.manager_id).where(table.c.assistant_id == user_id)).scalars())


@app.command("show")
def show(username: str = typer.Argument(...), db: str = DatabaseOption) -> None:
    """Show a user's department, manager, roles, profiles, groups and assistants."""
    with reported(), opened_site(db, initialise=False) as site:
        from runtime.records.context import Actor
        from runtime.security import SecurityPolicy, org

        records = RecordService(site)
        user_id = required_user(site, records, username)
        user = records.get(SYSTEM, "user", user_id)
        policy = SecurityPolicy(site)
        principal = policy.principal(Actor(user_id=user_id))
        with site.engine.connect() as connection:
            people = org.read_org(connection, site)
        names = {key: row["username"] for key, row in people.users.items()}
        effective = org.effective_manager(people, user_id)
        security = site.registry.security
        lines = [
            f"user        {user['username']} ({user['name']}){'' if user['active'] else ', disabled'}{', partner' if user['user_kind'] == 'partner' else ''}",
            f"department  {_department_label(records, user['department']) if user['department'] else '-'}",
            f"manager     {names.get(user['manager'], '-') if user['manager'] else '-'}"
            + (f" (reports to {names[effective]} as head of the department)" if not user["manager"] and effective else ""),
            f"rank        {user['rank'] if user['rank'] is not None else '-'}",
            f"roles       {', '.join(principal.role_names) or '-'}{_defaulted(site, user_id, 'role')}",
            f"profiles    {', '.join(profile.api_name for profile in principal.profiles) or '-'}{_defaulted(site, user_id, 'profile')}",
            f"groups      {', '.join(sorted(group for group in principal.groups if group in security.groups)) or '-'}",
            f"assistants  {', '.join(sorted(names.get(key, key) for key in assistants_of(site, user_id))) or '-'}",
            f"assists     {', '.join(sorted(names.get(key, key) for key in _assists(site, user_id))) or '-'}",
        ]
        for line in lines:
            typer.echo(line)


def _department_label(records: RecordService, department_id: str) -> str:
    row = records.get(SYSTEM, "department", department_id, fields=["name", "code"])
    return f"{row['name']} ({row['code']})"


def _defaulted(site, user_id: str, kind: str) -> str:
    from runtime.security import tables

    table = site.platform[tables.USER_ROLE if kind == "role" else tables.USER_PROFILE]
    with site.engine.connect() as connection:
        held = connection.execute(sa.select(sa.func.count()).select_from(table).where(table.c.user_id == user_id)).scalar()
    return "" if held else f" (the default {kind}s: none assigned)"
