"""``tessera access explain``: why a user may or may not read, edit, delete or transfer a record.

It prints :meth:`runtime.security.SecurityPolicy.explain` — every grant that could reach the
record for each operation, and whether it holds for this one, with usernames and, for a grant
through the manager chain, the chain itself (owner up to the user).
"""

from __future__ import annotations

import json
from typing import Any

import typer

from admin_ui.db_commands import DatabaseOption
from admin_ui.serve_commands import fail, opened_site, reported, user_id_for
from runtime.records.context import Actor
from runtime.records.service import RecordService

app = typer.Typer(help="Explain who reaches which records, and why.", no_args_is_help=True)


@app.command("explain")
def explain(
    user: str = typer.Argument(..., metavar="USER", help="Username (or id) of the user."),
    object_name: str = typer.Argument(..., metavar="OBJECT", help="The object's API name."),
    record_id: str = typer.Argument(..., metavar="RECORD_ID", help="The record's id."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
    db: str = DatabaseOption,
) -> None:
    """List the grants that give (or would give) USER each operation on one record."""
    with reported(), opened_site(db, initialise=False) as site:
        from runtime.security import SecurityPolicy

        objects = site.registry.objects
        if object_name not in objects:
            fail(f"there is no object '{object_name}'")
        user_id = user_id_for(site, RecordService(site), user)
        if user_id is None:
            fail(f"there is no user '{user}'")
        result = SecurityPolicy(site).explain(Actor(user_id=user_id), object_name, record_id)
        if not result["exists"]:
            fail(f"there is no {object_name} record '{record_id}'")
        if as_json:
            typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        else:
            for line in _lines(result):
                typer.echo(line)


def _describe(grant: dict[str, Any]) -> str:
    kind = grant["kind"]
    if kind == "role_scope":
        text = f"role {grant['role']}: scope {grant['scope']}"
        if "manager_chain" in grant:
            text += f" (manager chain: {' -> '.join(grant['manager_chain'])})"
        if "dimensions" in grant:
            text += "; within " + "; ".join(f"{name} {', '.join(values) or '(none)'}" for name, values in grant["dimensions"].items())
        return text
    if kind == "owner":
        return "owner of the record"
    if kind == "team":
        return f"record team ({grant['access']})"
    if kind == "inherited_team":
        return f"team of the {grant['object']} in field {grant['field']}"
    if kind == "sharing_rule":
        return f"sharing rule {grant['rule']} ({grant['access']})"
    if kind == "assistant":
        return f"assistant of {grant.get('manager_username') or grant['manager']} (reads what they read)"
    if kind == "master":
        return f"goes with its master record ({', '.join(grant['objects'])}): needs {grant['operation']} on it"
    if kind == "administrator":
        return "administrator role"
    if kind == "unowned":
        return "no owner and no master record: everyone the profile allows"
    return kind


def _lines(result: dict[str, Any]) -> list[str]:
    who = result.get("username") or result["user"]
    owner = result.get("owner")
    lines = [f"{who} on {result['object']} {result['record']}" + (f" (owner {owner['username'] or owner['id']})" if owner else "")]
    if "denied" in result:
        lines.append(f"  denied: {'the user is disabled' if result['denied'] == 'inactive_user' else 'unknown user'}")
    else:
        lines.append(f"  roles: {', '.join(result['roles']) or '-'}; profiles: {', '.join(result['profiles']) or '-'}")
    for operation, entry in result["operations"].items():
        verdict = "allowed" if entry["allowed"] else "denied"
        why = ""
        if not entry["allowed"]:
            if not entry["profile_allows"]:
                why = " (the profile does not allow it)"
            elif not any(grant["holds"] for grant in entry["grants"]):
                why = " (no grant reaches the record)"
            elif operation == "transfer":
                why = " (a transfer needs edit)"
        lines.append(f"{operation}: {verdict}{why}")
        for grant in entry["grants"]:
            lines.append(f"  [{'x' if grant['holds'] else ' '}] {_describe(grant)}")
    return lines
