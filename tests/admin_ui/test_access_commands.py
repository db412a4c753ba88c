"""``tessera access explain`` from the terminal's point of view."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from admin_ui.cli import app
from admin_ui.serve_commands import user_id_for
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.site import open_site

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_explain_names_the_grants_and_the_manager_chain(cli_url):
    for username in ("ann", "bo", "cy", "dee"):
        assert run("user", "create", username, "--password", "pw", "--db", cli_url).exit_code == 0
    # ann heads Sales; cy reports to bo explicitly, bo to ann as the head of his department
    assert run("department", "create", "Sales", "--head", "ann", "--db", cli_url).exit_code == 0
    for args in (["ann", "--role", "manager", "--profile", "sales_rep"], ["bo", "--role", "manager", "--profile", "sales_rep"], ["dee", "--profile", "sales_rep"]):
        assert run("user", "assign", *args, "--db", cli_url).exit_code == 0
    assert run("user", "set", "bo", "--department", "Sales", "--db", cli_url).exit_code == 0
    assert run("user", "set", "cy", "--manager", "bo", "--db", cli_url).exit_code == 0

    site = open_site(cli_url)
    try:
        records = RecordService(site)
        record_id = records.create(SYSTEM, "competitor", {"name": "Acme", "owner": user_id_for(site, records, "cy")})["id"]
    finally:
        site.dispose()

    shown = run("access", "explain", "ann", "competitor", record_id, "--db", cli_url)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == f"ann on competitor {record_id} (owner cy)"
    assert "read: allowed" in lines and "edit: allowed" in lines
    assert "  [x] role manager: scope self_and_subordinates (manager chain: cy -> bo -> ann)" in lines
    assert "  [ ] owner of the record" in lines

    as_json = run("access", "explain", "ann", "competitor", record_id, "--json", "--db", cli_url)
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.stdout)
    assert result["username"] == "ann" and result["owner"]["username"] == "cy" and result["exists"] is True
    read = result["operations"]["read"]
    scope = next(grant for grant in read["grants"] if grant["kind"] == "role_scope")
    assert read["allowed"] is True and scope["holds"] is True and scope["manager_chain"] == ["cy", "bo", "ann"]
    assert set(result["operations"]) == {"read", "edit", "delete", "transfer"}

    # dee is no one's manager: the profile would allow reading, no grant reaches the record
    outsider = run("access", "explain", "dee", "competitor", record_id, "--db", cli_url)
    assert outsider.exit_code == 0, outsider.output
    assert "read: denied (no grant reaches the record)" in outsider.stdout.splitlines()
    assert "manager chain" not in outsider.stdout


def test_unknown_names_are_clear_errors(cli_url):
    assert run("user", "create", "ann", "--password", "pw", "--db", cli_url).exit_code == 0
    for args, message in (
        (["nobody", "competitor", "x"], "no user 'nobody'"),
        (["ann", "gadget", "x"], "no object 'gadget'"),
        (["ann", "competitor", "missing-id"], "no competitor record 'missing-id'"),
    ):
        result = run("access", "explain", *args, "--db", cli_url)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output
