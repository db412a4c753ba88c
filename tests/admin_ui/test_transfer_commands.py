"""``tessera import`` and ``tessera export`` from the terminal's point of view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from typer.testing import CliRunner

from admin_ui.cli import app

runner = CliRunner()


@pytest.fixture
def cli_url(database_url) -> Iterator[str]:
    """A database URL of the test's own: a new SQLite file, or a new PostgreSQL schema (the shared
    server's URL with ``search_path`` set), since the commands open the URL themselves."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_import_then_export_round_trip(cli_url, tmp_path):
    assert runner.invoke(app, ["db", "init", "--db", cli_url]).exit_code == 0
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
    assert runner.invoke(app, ["db", "init", "--db", cli_url]).exit_code == 0
    source = tmp_path / "x.csv"
    source.write_text("name\nA\n")
    assert "no object 'spaceship'" in runner.invoke(app, ["import", "spaceship", str(source), "--db", cli_url]).output
    assert "no user 'ghost'" in runner.invoke(app, ["import", "account", str(source), "--as", "ghost", "--db", cli_url]).output
    bad_filter = runner.invoke(app, ["export", "account", "--filter", "{", "--db", cli_url])
    assert bad_filter.exit_code == 1 and "not valid JSON" in bad_filter.output
    unknown_field = runner.invoke(app, ["export", "account", "--filter", '{"nope": 1}', "--db", cli_url])
    assert unknown_field.exit_code == 1 and "nope" in unknown_field.output
