"""``tessera serve``: an empty database becomes a site, ``--demo`` seeds once, the app is handed to uvicorn."""

from __future__ import annotations

import uvicorn
from typer.testing import CliRunner

from admin_ui.cli import app as cli

runner = CliRunner()


def test_serve_initialises_seeds_and_runs_the_app(empty_cli_url, monkeypatch):
    cli_url = empty_cli_url
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append((app, options)))
    first = runner.invoke(cli, ["serve", "--demo", "--db", cli_url, "--port", "8123"])
    assert first.exit_code == 0, first.output
    assert "demo logins:" in first.stdout and "demo1234" in first.stdout
    assert "http://127.0.0.1:8123" in first.stdout
    app, options = served[0]
    assert options["host"] == "127.0.0.1" and options["port"] == 8123
    records = app.state.services.records
    from runtime.records.context import SYSTEM

    accounts = records.count(SYSTEM, "account").value
    assert accounts > 0
    app.state.services.site.dispose()

    second = runner.invoke(cli, ["serve", "--demo", "--db", cli_url])
    assert second.exit_code == 0, second.output
    assert "0 records created" in second.stdout
    assert served[1][0].state.services.records.count(SYSTEM, "account").value == accounts
    served[1][0].state.services.site.dispose()
