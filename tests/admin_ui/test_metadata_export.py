"""``tessera metadata export --site DIR``: the site layer as a package that check accepts."""

from __future__ import annotations

from typer.testing import CliRunner

from admin_ui.cli import app as cli
from runtime.site import init_site, open_site
from runtime.site_layer import apply_change, component, plan_change

runner = CliRunner()


def test_export_writes_a_package_that_check_accepts(cli_url, tmp_path):
    site = open_site(cli_url)
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


def test_an_exported_site_layer_installs_on_a_fresh_site_with_the_same_describe_output(tmp_path):
    from admin_ui.web.api.objects import describe_data
    from admin_ui.web.app import build_services
    from admin_ui.web.settings import Settings
    from metadata.registry import shipped_packages
    from runtime.records.context import SYSTEM
    from tests.runtime.site_layer.test_changes import customise

    site = init_site(f"sqlite:///{tmp_path / 'first.sqlite'}")
    customise(site)
    out = tmp_path / "site"
    assert runner.invoke(cli, ["metadata", "export", "--site", str(out), "--db", str(site.engine.url)]).exit_code == 0
    fresh = init_site(f"sqlite:///{tmp_path / 'fresh.sqlite'}", [*shipped_packages(), out])
    first, second = build_services(Settings(), site), build_services(Settings(), fresh)
    assert sorted(site.registry.objects) == sorted(fresh.registry.objects)
    for name in site.registry.objects:
        assert describe_data(second, SYSTEM, name) == describe_data(first, SYSTEM, name), name
    assert describe_data(second, SYSTEM, "vehicle")["package"] == "site"
    site.dispose()
    fresh.dispose()
