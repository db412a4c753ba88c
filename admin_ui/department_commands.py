"""``tessera department …``: build the organisation tree from the terminal.

A department is a record of the system ``department`` object, written through the record
pipeline as the platform (SYSTEM actor) with the site's security policy, so the department and
manager closures are recomputed in the same transaction as the change (a move that would make
a department its own ancestor is refused and nothing is written).

Departments are named on the command line by name (or by code, which is unique).
"""

from __future__ import annotations

import typer

from admin_ui.db_commands import DatabaseOption
from admin_ui.serve_commands import fail, opened_site, reported, user_id_for
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService

app = typer.Typer(help="Manage the departments of the organisation.", no_args_is_help=True)

DEPARTMENT_FIELDS = ["id", "name", "code", "parent", "head", "department_kind", "active"]


def secured_records(site) -> RecordService:
    """A record service whose writes keep the security closures current (users, departments)."""
    from runtime.security import SecurityPolicy

    return RecordService(site, access=SecurityPolicy(site))


def all_departments(records: RecordService) -> list[dict]:
    """Every department (an org holds a few hundred at most), sorted by name."""
    found, cursor = [], None
    while True:
        page = records.find(SYSTEM, "department", fields=DEPARTMENT_FIELDS, sort=["name", "id"], limit=500, cursor=cursor)
        found.extend(page.records)
        cursor = page.next_cursor
        if not cursor:
            return found


def department_id_for(records: RecordService, key: str) -> str:
    """The id of the department whose name or code is ``key``; a clear error when none or many."""
    page = records.find(SYSTEM, "department", filter={"or": [{"name": key}, {"code": key}]}, fields=["id", "name", "code"], limit=10)
    by_code = [row for row in page.records if row["code"] == key]
    if by_code:
        return by_code[0]["id"]
    if not page.records:
        fail(f"there is no department '{key}'")
    if len(page.records) > 1:
        codes = ", ".join(sorted(row["code"] for row in page.records))
        fail(f"more than one department is called '{key}'; name it by code: {codes}")
    return page.records[0]["id"]


def required_user(site, records: RecordService, username: str) -> str:
    user_id = user_id_for(site, records, username)
    if user_id is None:
        fail(f"there is no user '{username}'")
    return user_id


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The department's name."),
    parent: str = typer.Option(None, "--parent", help="The department it belongs under (name or code)."),
    head: str = typer.Option(None, "--head", help="Username of the head (the manager of members without one)."),
    partner: bool = typer.Option(False, "--partner", help="A partner department: its users never reach past its tree."),
    code: str = typer.Option(None, "--code", help="Stable code used by metadata (default: the name)."),
    db: str = DatabaseOption,
) -> None:
    """Create a department."""
    with reported(), opened_site(db) as site:
        records = secured_records(site)
        values = {"name": name, "code": code or name, "department_kind": "partner" if partner else "internal"}
        if parent:
            values["parent"] = department_id_for(records, parent)
        if head:
            values["head"] = required_user(site, records, head)
        made = records.create(SYSTEM, "department", values)
        typer.echo(f"created department {name} ({made['code']}){' under ' + parent if parent else ''}")


@app.command("move")
def move(
    name: str = typer.Argument(..., help="The department to move (name or code)."),
    parent: str = typer.Option(None, "--parent", help="Its new parent department (name or code)."),
    top: bool = typer.Option(False, "--top", help="Make it a top-level department instead."),
    db: str = DatabaseOption,
) -> None:
    """Move a department (and everything under it) under another one."""
    if bool(parent) == top:
        fail("give either --parent NAME or --top")
    with reported(), opened_site(db, initialise=False) as site:
        records = secured_records(site)
        department_id = department_id_for(records, name)
        parent_id = department_id_for(records, parent) if parent else None
        if parent_id == department_id:
            fail(f"department '{name}' cannot be its own parent")
        records.update(SYSTEM, "department", department_id, {"parent": parent_id})
        typer.echo(f"moved {name} {'under ' + parent if parent else 'to the top'}")


@app.command("list")
def list_departments(db: str = DatabaseOption) -> None:
    """Show the department tree with each department's code, head and kind."""
    with reported(), opened_site(db, initialise=False) as site:
        records = secured_records(site)
        departments = all_departments(records)
        usernames = _usernames(records)
        for line in tree_lines(departments, usernames):
            typer.echo(line)
        if not departments:
            typer.echo("no departments")


def _usernames(records: RecordService) -> dict[str, str]:
    found, cursor = {}, None
    while True:
        page = records.find(SYSTEM, "user", fields=["id", "username"], sort=["id"], limit=1000, cursor=cursor)
        found.update({row["id"]: row["username"] for row in page.records})
        cursor = page.next_cursor
        if not cursor:
            return found


def tree_lines(departments: list[dict], usernames: dict[str, str]) -> list[str]:
    """The departments as an indented tree (children under their parent, siblings by name)."""
    known = {row["id"] for row in departments}
    children: dict[str | None, list[dict]] = {}
    for row in departments:
        parent = row["parent"] if row["parent"] in known else None
        children.setdefault(parent, []).append(row)
    lines: list[str] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            if row["id"] in seen:  # the closures refuse cycles; never loop on one regardless
                continue
            seen.add(row["id"])
            details = [f"code {row['code']}"]
            if row["head"]:
                details.append(f"head {usernames.get(row['head'], row['head'])}")
            if row["department_kind"] == "partner":
                details.append("partner")
            if row["active"] is False:
                details.append("inactive")
            lines.append(f"{'  ' * depth}{row['name']} ({', '.join(details)})")
            walk(row["id"], depth + 1)

    walk(None, 0)
    return lines
