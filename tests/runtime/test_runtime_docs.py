"""docs/runtime.md keeps up with the runtime: every error code, operator, migration step, access
hook and ``tessera db`` command has its entry."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from admin_ui.db_commands import app as db_app
from runtime.migrations import plan as plan_module
from runtime.query.access import AccessPolicy
from runtime.query.dates import RELATIVE_DATES
from runtime.query.filters import ALL_OPERATORS
from runtime.records.messages import TEMPLATES

DOC = (Path(__file__).parents[2] / "docs" / "runtime.md").read_text(encoding="utf-8")
OPERATIONS = [
    name
    for name, value in vars(plan_module).items()
    if inspect.isclass(value) and issubclass(value, plan_module.Operation) and value is not plan_module.Operation
]
HOOKS = [name for name in vars(AccessPolicy) if not name.startswith("_")]
COMMANDS = [command.name for command in db_app.registered_commands]


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_error_code_is_documented(code):
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("operator", ALL_OPERATORS)
def test_every_filter_operator_is_documented(operator):
    assert f"`{operator}`" in DOC


@pytest.mark.parametrize("token", RELATIVE_DATES)
def test_every_relative_date_is_documented(token):
    words = token.split("_")
    assert f"`{token}`" in DOC or (words[0] in ("this", "last", "next") and f"`{words[1]}`" in DOC)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_migration_operation_is_documented(operation):
    assert f"`{operation}`" in DOC


@pytest.mark.parametrize("hook", HOOKS)
def test_every_access_hook_is_documented(hook):
    assert f"`{hook}(" in DOC


@pytest.mark.parametrize("command", COMMANDS)
def test_every_db_command_is_documented(command):
    assert f"`tessera db {command}" in DOC


def test_the_lists_are_not_empty():
    assert len(OPERATIONS) == 18 and len(HOOKS) == 4 and len(COMMANDS) == 7
