"""``tessera search reindex|query`` from the terminal's point of view."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from admin_ui.cli import app
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.search.index import table_name
from runtime.site import open_site

runner = CliRunner()


def test_reindex_rebuilds_what_was_changed_behind_the_platforms_back(cli_url):
    site = open_site(cli_url)
    try:
        record = RecordService(site).create(SYSTEM, "account", {"name": "深圳创新科技", "industry": "manufacturing"})
        with site.begin() as connection:  # a row changed by SQL: the index still has the old name
            connection.execute(sa.update(site.tables["account"]).where(site.tables["account"].c.id == record["id"]).values(name="杭州云端数据"))
            connection.execute(sa.delete(sa.table(table_name("account"))))
    finally:
        site.dispose()
    assert record["id"] not in runner.invoke(app, ["search", "query", "杭州", "--db", cli_url]).stdout
    rebuilt = runner.invoke(app, ["search", "reindex", "account", "--db", cli_url])
    assert rebuilt.exit_code == 0 and "reindexed 1 object: account" in rebuilt.stdout
    found = runner.invoke(app, ["search", "query", "杭州", "--db", cli_url])
    assert found.exit_code == 0 and f"account\t{record['id']}\t杭州云端数据" in found.stdout
    unknown = runner.invoke(app, ["search", "reindex", "no_such", "--db", cli_url])
    assert unknown.exit_code == 1 and "not a searchable object: no_such" in unknown.output
