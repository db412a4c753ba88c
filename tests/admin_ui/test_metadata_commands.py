"""``tessera metadata check`` and ``tessera metadata schema`` from the terminal's point of view."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from admin_ui.cli import app
from metadata.json_schema import SCHEMAS

FIXTURE = Path(__file__).parents[1] / "metadata" / "fixtures" / "equipment"
runner = CliRunner()


def test_check_shipped_packages_prints_summary():
    result = runner.invoke(app, ["metadata", "check"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d+ objects, \d+ fields, \d+ layouts, \d+ rules: OK\n", result.stdout)


def test_check_a_partner_package_with_the_shipped_ones():
    result = runner.invoke(app, ["metadata", "check", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("rules: OK\n")


def test_check_reports_every_problem_and_exits_1(tmp_path):
    root = tmp_path / "equipment"
    shutil.copytree(FIXTURE, root)
    device = root / "objects" / "eq_device.yaml"
    device.write_text(device.read_text(encoding="utf-8").replace("value_set: eq_category", "value_set: eq_categorie"), encoding="utf-8")
    layout = root / "layouts" / "eq_device_default.yaml"
    layout.write_text(layout.read_text(encoding="utf-8").replace("object: eq_visit", "object: eq_vist"), encoding="utf-8")
    result = runner.invoke(app, ["metadata", "check", str(root)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "equipment/layouts/eq_device_default.yaml:10:13: unknown object 'eq_vist' — did you mean 'eq_visit'?",
        "equipment/objects/eq_device.yaml:19:16: unknown value set 'eq_categorie' — did you mean 'eq_category'?",
        "2 problems",
    ]


def test_check_refuses_a_path_that_is_not_a_directory(tmp_path):
    result = runner.invoke(app, ["metadata", "check", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "not a package directory" in result.stderr


def test_schema_writes_every_file(tmp_path):
    result = runner.invoke(app, ["metadata", "schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(SCHEMAS)
