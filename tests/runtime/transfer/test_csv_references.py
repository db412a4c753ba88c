"""CSV import of references by id, by the target's name or by an external key; --update-by id and auto-numbers."""

from __future__ import annotations

import pytest

from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site
from runtime.transfer import CsvImportError, import_csv


class SmallAccountsOnly:
    """A policy for the test: accounts of 1,000 employees or more are out of the user's sight."""

    def predicate(self, actor, object_name, table, operation):
        if actor.system or object_name != "account":
            return None
        return table.c.employees.is_(None) | (table.c.employees < 1000)

    def readable_fields(self, actor, object_name):
        return None

    editable_fields = readable_fields

    def allows(self, actor, object_name, action):
        return True


@pytest.fixture
def records(engine):
    site = init_site(engine)
    yield RecordService(site)
    site.dispose()


def problems(raised) -> list[tuple[int, str | None, str, str]]:
    return [(row.row, row.error.field, row.error.code, row.error.message_en) for row in raised.value.rows]


def test_a_lookup_cell_may_be_the_id_the_name_or_an_external_key(records):
    huaxin = records.create(SYSTEM, "account", {"name": "Huaxin", "industry": "mining"})
    other = records.create(SYSTEM, "account", {"name": "Dongfang", "industry": "mining"})
    data = (
        "name,email,account\n"
        f"Li,li@example.com,{huaxin['id']}\n"
        "Wu,wu@example.com,Huaxin\n"
        f"Ma,ma@example.com,{other['name']}\n"
    )
    result = import_csv(records, SYSTEM, "contact", data)
    accounts = [records.get(SYSTEM, "contact", record_id)["account"] for record_id in result.ids]
    assert accounts == [huaxin["id"], huaxin["id"], other["id"]]

    keyed = f"name,email,account.account_number\nZhao,zhao@example.com,{other['account_number']}\n"
    result = import_csv(records, SYSTEM, "contact", keyed)
    assert records.get(SYSTEM, "contact", result.ids[0])["account"] == other["id"]


def test_a_reference_that_matches_nothing_or_several_is_an_error_on_its_row_naming_the_column(records):
    records.create(SYSTEM, "account", {"name": "Theta", "industry": "mining"})
    account = records.create(SYSTEM, "account", {"name": "Gamma", "industry": "mining"})
    records.create(SYSTEM, "contact", {"name": "Theta", "email": "t@example.com", "account": account["id"]})
    data = "subject,due_date,related_to\nCall,2031-01-05,Gamma\nVisit,2031-01-05,Nowhere Ltd\nDemo,2031-01-05,Theta\n"
    with pytest.raises(CsvImportError) as raised:
        import_csv(records, SYSTEM, "task", data)
    found = problems(raised)
    assert [(row, field, code) for row, field, code, _ in found] == [(3, "related_to", "reference_not_found"), (4, "related_to", "ambiguous_reference")]
    assert all("Column 'related_to'" in message for *_, message in found)
    assert "'Nowhere Ltd'" in found[0][3] and "2 " in found[1][3]
    assert records.count(SYSTEM, "task").value == 0  # all or nothing, as for any bad row

    result = import_csv(records, SYSTEM, "task", data, skip_bad_rows=True)
    assert (result.created, result.skipped) == (1, 2)
    assert records.get(SYSTEM, "task", result.ids[0])["related_to"] == account["id"]


def test_a_match_key_must_identify_one_record(records):
    with pytest.raises(CsvImportError) as raised:
        import_csv(records, SYSTEM, "contact", "name,email,account.industry\nLi,li@example.com,mining\n")
    assert [(row, field, code) for row, field, code, _ in problems(raised)] == [(1, "account.industry", "invalid_match_key")]


def test_references_are_matched_only_among_the_records_the_user_can_see(engine):
    site = init_site(engine)
    try:
        records = RecordService(site, access=SmallAccountsOnly())
        records.create(SYSTEM, "account", {"name": "Giant", "industry": "mining", "employees": 50000})
        user = records.create(SYSTEM, "user", {"username": "mei", "name": "Mei"})
        with pytest.raises(CsvImportError) as raised:
            import_csv(records, Actor(user_id=user["id"]), "contact", "name,email,account\nLi,li@example.com,Giant\n")
        assert [(row, code) for row, _, code, _ in problems(raised)] == [(2, "reference_not_found")]
    finally:
        site.dispose()


def test_update_by_id_or_an_auto_number_updates_and_never_creates(records):
    first = records.create(SYSTEM, "account", {"name": "Huaxin", "industry": "mining"})
    second = records.create(SYSTEM, "account", {"name": "Dongfang", "industry": "mining"})
    result = import_csv(records, SYSTEM, "account", f"id,employees\n{first['id']},5\n", update_by="id")
    assert (result.created, result.updated) == (0, 1)
    result = import_csv(records, SYSTEM, "account", f"account_number,employees\n{second['account_number']},7\n", update_by="account_number")
    assert (result.created, result.updated) == (0, 1)
    assert [records.get(SYSTEM, "account", record["id"])["employees"] for record in (first, second)] == [5, 7]

    with pytest.raises(CsvImportError) as raised:
        import_csv(records, SYSTEM, "account", "account_number,name,industry\nACC-1999-00042,New,mining\n", update_by="account_number")
    assert [(row, field, code) for row, field, code, _ in problems(raised)] == [(2, "account_number", "no_match")]
    assert records.count(SYSTEM, "account").value == 2
