"""``tessera site show|set`` from the terminal's point of view."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.site import open_site

runner = CliRunner()


def test_the_time_zone_is_set_checked_and_given_to_new_users(cli_url):
    shown = runner.invoke(app, ["site", "show", "--db", cli_url])
    assert shown.exit_code == 0 and "time_zone = UTC" in shown.stdout

    bad = runner.invoke(app, ["site", "set", "time_zone", "Europe/Atlantis", "--db", cli_url])
    assert bad.exit_code == 1 and "'Europe/Atlantis' is not a time zone" in bad.stderr and "Traceback" not in bad.output
    unknown = runner.invoke(app, ["site", "set", "colour", "blue", "--db", cli_url])
    assert unknown.exit_code == 1 and "no site setting 'colour'" in unknown.stderr

    changed = runner.invoke(app, ["site", "set", "time_zone", "Europe/London", "--db", cli_url])
    assert changed.exit_code == 0 and "time_zone = Europe/London" in changed.stdout, changed.output
    assert "time_zone = Europe/London" in runner.invoke(app, ["site", "show", "--db", cli_url]).stdout

    # a new user lives in the site's zone, whatever language they read, unless told otherwise
    for arguments in (["lin", "--language", "en"], ["mei", "--time-zone", "Asia/Shanghai"]):
        made = runner.invoke(app, ["user", "create", *arguments, "--password", "pw", "--db", cli_url])
        assert made.exit_code == 0, made.output
    wrong = runner.invoke(app, ["user", "create", "kai", "--time-zone", "Nowhere/Land", "--password", "pw", "--db", cli_url])
    assert wrong.exit_code == 1 and "not a time zone" in wrong.stderr
    site = open_site(cli_url)
    try:
        users = RecordService(site).find(SYSTEM, "user", fields=["username", "language", "time_zone"]).records
        zones = {user["username"]: (user["language"], user["time_zone"]) for user in users}
        assert zones["lin"] == ("en", "Europe/London") and zones["mei"][1] == "Asia/Shanghai" and "kai" not in zones
    finally:
        site.dispose()
