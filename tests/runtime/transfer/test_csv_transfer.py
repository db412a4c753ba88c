"""CSV import and export on their own: pipeline errors by row, all-or-nothing, upserts, BOMs, permissions."""

from __future__ import annotations

import codecs
import csv
import io
from decimal import Decimal

import pytest

from runtime.errors import QueryError, RecordPermissionError
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site
from runtime.transfer import CsvImportError, export_csv, import_csv
from runtime.transfer.exporter import BOM, safe_cell


class NoCreditLimit:
    """A policy for the test: may create and read accounts, never set or see ``credit_limit``."""

    def predicate(self, actor, object_name, table, operation):
        return None if actor.system else table.c.employees.is_(None) | (table.c.employees < 1000)

    def readable_fields(self, actor, object_name):
        return None if actor.system else frozenset({"id", "version", "name", "industry", "employees"})

    editable_fields = readable_fields

    def allows(self, actor, object_name, action):
        return True


@pytest.fixture
def records(engine):
    site = init_site(engine)
    yield RecordService(site)
    site.dispose()


def test_a_bad_row_stops_the_whole_import_and_every_bad_row_is_reported(records):
    data = "name,industry,employees\nGood,mining,1\nBad,mining,many\n,mining,2\nAlso Good,mining,3\n"
    with pytest.raises(CsvImportError) as raised:
        import_csv(records, SYSTEM, "account", data)
    rows = [(row.row, row.error.field, row.error.code) for row in raised.value.rows]
    assert (3, "employees", "invalid_type") in rows and any(row == 4 and field == "name" for row, field, _ in rows)
    assert records.count(SYSTEM, "account").value == 0  # nothing half-applied

    result = import_csv(records, SYSTEM, "account", data, skip_bad_rows=True)
    assert (result.created, result.skipped) == (2, 2)
    assert sorted(r["name"] for r in records.find(SYSTEM, "account", fields=["name"]).records) == ["Also Good", "Good"]


def test_headers_by_label_in_either_language_bom_and_picklist_labels(records):
    data = codecs.BOM_UTF8 + "客户名称,Industry,客户状态,Employees\r\n甲公司,采矿业,跟进中,5\r\n".encode()
    result = import_csv(records, SYSTEM, "account", data)
    assert result.created == 1
    record = records.get(SYSTEM, "account", result.ids[0])
    assert (record["name"], record["industry"], record["status"], record["employees"]) == ("甲公司", "mining", "following", 5)
    with pytest.raises(CsvImportError) as raised:
        import_csv(records, SYSTEM, "account", "name,not a field\nx,y\n")
    assert raised.value.rows[0].row == 1 and raised.value.rows[0].error.code == "unknown_column"
    with pytest.raises(CsvImportError):
        import_csv(records, SYSTEM, "account", b"name\n\xff\xfe\n")


def test_update_by_upserts_matching_records(records):
    import_csv(records, SYSTEM, "account", "name,industry,employees\nAlpha,mining,1\nBeta,mining,2\n")
    result = import_csv(records, SYSTEM, "account", "name,employees\nAlpha,10\nGamma,3\n", update_by="name", skip_bad_rows=True)
    assert (result.created, result.updated) == (0, 1) and result.skipped == 1  # Gamma needs an industry
    assert result.errors[0].row == 3 and result.errors[0].error.field == "industry"
    found = {r["name"]: r for r in records.find(SYSTEM, "account", fields=["name", "employees", "version"]).records}
    assert found["Alpha"]["employees"] == 10 and found["Alpha"]["version"] == 2 and "Gamma" not in found
    with pytest.raises(CsvImportError):
        import_csv(records, SYSTEM, "account", "name\nAlpha\n", update_by="employees")


def test_export_is_excel_readable_and_round_trips(records):
    import_csv(records, SYSTEM, "account", "name,industry,employees,annual_revenue\n\"Comma, Inc\",mining,7,1234.50\n乙公司,mining,8,\n")
    text = "".join(export_csv(records, SYSTEM, "account", fields=["name", "industry", "employees", "annual_revenue"], filter={"employees": {"gte": 7}}))
    assert text.startswith("\ufeffname,industry,employees,annual_revenue\r\n")
    assert '"Comma, Inc",mining,7,1234.50\r\n' in text and "乙公司,mining,8,\r\n" in text
    again = import_csv(records, SYSTEM, "account", text.encode("utf-8"), update_by="name")
    assert again.updated == 2 and again.created == 0
    labelled = "".join(export_csv(records, Actor(language="zh", system=True), "account", fields=["name"], headers="label"))
    assert labelled.startswith("\ufeff客户名称\r\n")


def test_permissions_apply_to_import_and_export(engine):
    site = init_site(engine)
    try:
        records = RecordService(site, access=NoCreditLimit())
        user = Actor(user_id="01someoneelse000000000000a")
        import_csv(records, SYSTEM, "account", "name,industry,employees,credit_limit\nSmall,mining,5,100\nHuge,mining,5000,200\n")
        text = "".join(export_csv(records, user, "account"))
        assert "Small" in text and "Huge" not in text and "credit_limit" not in text
        with pytest.raises(RecordPermissionError):
            import_csv(records, user, "account", "name,industry,credit_limit\nSneaky,mining,9\n")
        assert records.count(SYSTEM, "account").value == 2
    finally:
        site.dispose()


def test_export_refuses_a_hidden_field_by_name_and_exports_reference_paths(engine):
    """A hidden field named in ``fields`` used to export as an empty column, and a path such as
    ``owner.name`` as a column with no header; the first is refused, the second exported."""
    site = init_site(engine)
    try:
        records = RecordService(site, access=NoCreditLimit())
        user = Actor(user_id="01someoneelse000000000000a")
        import_csv(records, SYSTEM, "account", "name,industry,employees,credit_limit\nSmall,mining,5,100\n")
        with pytest.raises(QueryError) as refused:
            "".join(export_csv(records, user, "account", fields=["name", "credit_limit"]))
        assert [(error.field, error.code) for error in refused.value.errors] == [("credit_limit", "unknown_field")]
        with pytest.raises(QueryError) as unknown:
            export_csv(records, SYSTEM, "account", fields=["name", "nonexistent"])
        assert unknown.value.codes == ["unknown_field"]
        lines = "".join(export_csv(records, SYSTEM, "account", fields=["name", "created_by.username"])).lstrip(codecs.BOM_UTF8.decode()).splitlines()
        assert lines[0] == "name,created_by.username" and lines[1] == "Small,"
        labelled = "".join(export_csv(records, SYSTEM, "account", fields=["name", "created_by.username"], headers="label"))
        assert labelled.splitlines()[0].startswith(BOM + "Account Name,")
        assert labelled.splitlines()[0].endswith(",created_by.username")  # a system field has no label of its own
    finally:
        site.dispose()


FORMULA_NAMES = ["=HYPERLINK(\"http://x.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "-2+3", "\tTabbed", "\rReturned", "Plain = fine"]


def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(records):
    """OWASP CSV injection: a value starting with = + - @ tab or CR gets a leading ' (numbers stay numbers)."""
    for index, name in enumerate(FORMULA_NAMES):
        records.create(SYSTEM, "account", {"name": name, "industry": "mining", "employees": 900 + index})
    query = {"fields": ["name", "employees"], "filter": {"employees": {"gte": 900}}}
    rows = list(csv.reader(io.StringIO("".join(export_csv(records, SYSTEM, "account", **query)).removeprefix("\ufeff"))))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        name if name == "Plain = fine" else "'" + name for name in FORMULA_NAMES
    )
    assert {row[1] for row in rows[1:]} == {str(900 + index) for index in range(len(FORMULA_NAMES))}
    # a negative number is not a formula; the same characters as text are
    assert (safe_cell(Decimal("-12.50")), safe_cell(-3), safe_cell("-3"), safe_cell(None)) == ("-12.50", "-3", "'-3", "")
    raw = list(csv.reader(io.StringIO("".join(export_csv(records, SYSTEM, "account", raw=True, **query)).removeprefix("\ufeff"))))
    assert sorted(row[0] for row in raw[1:]) == sorted(FORMULA_NAMES)
