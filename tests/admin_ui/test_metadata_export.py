"""``tessera metadata export --site DIR``: the site layer as a package that check accepts."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app as cli
from runtime.site import init_site
from runtime.site_layer import apply_change, component, plan_change

runner = CliRunner()


def test_export_writes_a_package_that_check_accepts(cli_url, tmp_path):
    site = init_site(cli_url)
    account = component(site.registry, "objects", "account")
    account["label"] = {"en": "Client", "zh": "客户"}
    account["fields"].append({"api_name": "fleet_size", "type": "integer", "label": {"en": "Fleet Size"}})
    apply_change(site, plan_change(site, [("objects", "account", account)]), changed_by=None)
    site.dispose()
    out = tmp_path / "site"
    exported = runner.invoke(cli, ["metadata", "export", "--site", str(out), "--db", cli_url])
    assert exported.exit_code == 0, exported.output
    assert (out / "package.yaml").is_file()
    assert (out / "overrides" / "object.account.yaml").read_text(encoding="utf-8").count("Client") == 1
    assert "fleet_size" in (out / "extensions" / "account.yaml").read_text(encoding="utf-8")
    checked = runner.invoke(cli, ["metadata", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    again = runner.invoke(cli, ["metadata", "export", "--site", str(out), "--db", cli_url])
    assert again.exit_code == 1 and "not an empty directory" in again.output
