"""``tessera department create|list|move`` from the terminal's point of view."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.site import open_site

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def departments(url: str) -> dict[str, dict]:
    site = open_site(url)
    try:
        rows = RecordService(site).find(SYSTEM, "department", fields=["id", "name", "parent", "head", "department_kind"], limit=100).records
    finally:
        site.dispose()
    ids = {row["id"]: row["name"] for row in rows}
    return {row["name"]: {**row, "parent": ids.get(row["parent"])} for row in rows}


def test_build_a_tree_move_a_branch_and_refuse_a_cycle(cli_url):
    assert run("user", "create", "ann", "--password", "pw", "--db", cli_url).exit_code == 0
    for args in (["Sales", "--head", "ann"], ["East", "--parent", "Sales"], ["Partners", "--partner"], ["West", "--parent", "Sales", "--code", "W"]):
        made = run("department", "create", *args, "--db", cli_url)
        assert made.exit_code == 0, made.output
    moved = run("department", "move", "Partners", "--parent", "East", "--db", cli_url)
    assert moved.exit_code == 0 and "moved Partners under East" in moved.stdout

    listed = run("department", "list", "--db", cli_url)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [
        "Sales (code Sales, head ann)",
        "  East (code East)",
        "    Partners (code Partners, partner)",
        "  West (code W)",
    ]
    stored = departments(cli_url)
    assert stored["Partners"]["parent"] == "East" and stored["Partners"]["department_kind"] == "partner"

    # Sales under its own grandchild: the closure refuses it and nothing is written
    cycle = run("department", "move", "Sales", "--parent", "Partners", "--db", cli_url)
    assert cycle.exit_code == 1 and "own parent department" in cycle.output and "Traceback" not in cycle.output
    assert departments(cli_url)["Sales"]["parent"] is None

    top = run("department", "move", "W", "--top", "--db", cli_url)
    assert top.exit_code == 0, top.output
    assert departments(cli_url)["West"]["parent"] is None


def test_bad_names_are_clear_errors_and_change_nothing(cli_url):
    assert run("department", "create", "Sales", "--db", cli_url).exit_code == 0
    cases = [
        (["department", "create", "East", "--parent", "Nowhere"], "no department 'Nowhere'"),
        (["department", "create", "East", "--head", "nobody"], "no user 'nobody'"),
        (["department", "create", "Sales"], "code"),  # the code (default: the name) is unique
        (["department", "move", "Sales"], "--parent NAME or --top"),
        (["department", "move", "Sales", "--parent", "Sales"], "its own parent"),
        (["department", "move", "Ghost", "--top"], "no department 'Ghost'"),
    ]
    for args, message in cases:
        result = run(*args, "--db", cli_url)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, (args, result.output)
    assert list(departments(cli_url)) == ["Sales"]
