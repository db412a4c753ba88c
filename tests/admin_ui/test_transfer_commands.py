"""``tessera import`` and ``tessera export`` from the terminal's point of view."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app

runner = CliRunner()


def test_import_then_export_round_trip(cli_url, tmp_path):
    source = tmp_path / "accounts.csv"
    source.write_bytes("\ufeffname,industry,employees\r\nCli One,mining,3\r\nCli Two,mining,oops\r\n".encode())
    refused = runner.invoke(app, ["import", "account", str(source), "--db", cli_url])
    assert refused.exit_code == 1
    assert "row 3, employees" in refused.output and "nothing was imported" in refused.output
    done = runner.invoke(app, ["import", "account", str(source), "--skip-bad-rows", "--db", cli_url])
    assert done.exit_code == 0, done.output
    assert "1 created, 0 updated, 1 skipped" in done.stdout

    exported = runner.invoke(app, ["export", "account", "--fields", "name,employees", "--filter", '{"employees": 3}', "--db", cli_url])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes == "\ufeffname,employees\r\nCli One,3\r\n".encode()

    edited = tmp_path / "edited.csv"
    edited.write_bytes(exported.stdout_bytes.replace(b",3\r\n", b",4\r\n"))
    updated = runner.invoke(app, ["import", "account", str(edited), "--update-by", "name", "--db", cli_url])
    assert "0 created, 1 updated" in updated.stdout


def test_mistakes_are_reported_plainly(cli_url, tmp_path):
    source = tmp_path / "x.csv"
    source.write_text("name\nA\n")
    assert "no object 'spaceship'" in runner.invoke(app, ["import", "spaceship", str(source), "--db", cli_url]).output
    assert "no user 'ghost'" in runner.invoke(app, ["import", "account", str(source), "--as", "ghost", "--db", cli_url]).output
    bad_filter = runner.invoke(app, ["export", "account", "--filter", "{", "--db", cli_url])
    assert bad_filter.exit_code == 1 and "not valid JSON" in bad_filter.output
    unknown_field = runner.invoke(app, ["export", "account", "--filter", '{"nope": 1}', "--db", cli_url])
    assert unknown_field.exit_code == 1 and "nope" in unknown_field.output


def test_export_neutralises_formula_cells_and_raw_keeps_them(cli_url, tmp_path):
    source = tmp_path / "accounts.csv"
    source.write_bytes("name,industry,employees\r\n+cmd|calc,mining,77\r\n".encode())
    assert runner.invoke(app, ["import", "account", str(source), "--db", cli_url]).exit_code == 0
    arguments = ["export", "account", "--fields", "name", "--filter", '{"employees": 77}', "--db", cli_url]
    assert runner.invoke(app, arguments).stdout_bytes == "\ufeffname\r\n'+cmd|calc\r\n".encode()
    assert runner.invoke(app, [*arguments, "--raw"]).stdout_bytes == "\ufeffname\r\n+cmd|calc\r\n".encode()
