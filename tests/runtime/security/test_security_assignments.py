"""The owner (and the master of an owner-less detail) a write sets must be within the actor's scope.

A partner user must not create records owned by the administrator or by another partner, a rep
must not hand their deal to a peer, and a reader must not hang details under a master they
cannot edit, whatever the entry point (every one goes through the record pipeline).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from runtime.errors import BulkRecordError, RecordPermissionError
from runtime.records.context import SYSTEM

pytestmark = pytest.mark.database


def _refused(org, username: str, values: dict, object_name: str = "sec_deal") -> list[tuple[str | None, str]]:
    with pytest.raises(RecordPermissionError) as caught:
        org.service.create(org.actor(username), object_name, values)
    return [(error.field, error.code) for error in caught.value.errors]


@pytest.mark.parametrize("owner", ["admin", "pam", "ned"])
def test_a_partner_cannot_create_records_owned_by_someone_else(org, owner):
    assert _refused(org, "pat", {"name": "x", "owner": org.users[owner]}) == [("owner", "field_forbidden")]


def test_the_caller_as_owner_given_or_defaulted_is_allowed(org):
    pat = org.actor("pat")
    assert org.service.create(pat, "sec_deal", {"name": "mine"})["owner"] == org.users["pat"]
    assert org.service.create(pat, "sec_deal", {"name": "mine too", "owner": org.users["pat"]})["owner"] == org.users["pat"]


def test_a_manager_assigns_within_the_transfer_scope_only(org):
    nora = org.actor("nora")
    # ned and nick report to nora (transfer: self_and_subordinates)
    assert org.service.create(nora, "sec_deal", {"name": "for ned", "owner": org.users["ned"]})["id"]
    for outsider in ("sam", "boss", "pat"):
        assert _refused(org, "nora", {"name": "x", "owner": org.users[outsider]}) == [("owner", "field_forbidden")]


def test_a_transfer_scope_needs_the_modify_scope_too(fresh_org):
    org = fresh_org
    from runtime.security import assign

    # sec_mover: transfer all, modify self: handing a record over is an edit of it, so only to oneself
    assign(org.site, org.users["nick"], roles=["sec_mover"])
    assert _refused(org, "nick", {"name": "x", "owner": org.users["ned"]}) == [("owner", "field_forbidden")]


def test_update_checks_the_new_owner(fresh_org):
    org = fresh_org
    ned, nora = org.actor("ned"), org.actor("nora")
    record = org.service.create(ned, "sec_deal", {"name": "n"})
    # a standard user may change their own record, but not give it to a peer
    with pytest.raises(RecordPermissionError) as caught:
        org.service.update(ned, "sec_deal", record["id"], {"owner": org.users["nick"]})
    assert [(error.field, error.code) for error in caught.value.errors] == [("owner", "field_forbidden")]
    assert org.service.get(SYSTEM, "sec_deal", record["id"])["owner"] == org.users["ned"]
    # the same owner again is no transfer at all
    assert org.service.update(ned, "sec_deal", record["id"], {"owner": org.users["ned"], "amount": 3})["amount"] == 3
    # nora may move it between her subordinates, not out of her tree
    assert org.service.update(nora, "sec_deal", record["id"], {"owner": org.users["nick"]})["owner"] == org.users["nick"]
    with pytest.raises(RecordPermissionError):
        org.service.update(nora, "sec_deal", record["id"], {"owner": org.users["sam"]})
    assert org.service.update(org.actor("admin"), "sec_deal", record["id"], {"owner": org.users["sam"]})["owner"] == org.users["sam"]


def test_bulk_create_names_the_rows(org):
    rows = [{"name": "ok"}, {"name": "bad", "owner": org.users["admin"]}]
    with pytest.raises(BulkRecordError) as caught:
        org.service.bulk_create(org.actor("pat"), "sec_deal", rows)
    assert {index: [(error.field, error.code) for error in errors] for index, errors in caught.value.failures.items()} == {
        1: [("owner", "field_forbidden")]
    }


def test_a_detail_goes_only_under_a_master_the_caller_may_edit(org):
    # dora reads her department's deals (d_nick) but edits only her own
    assert _refused(org, "dora", {"name": "l", "deal": org.deals["d_nick"]}, "sec_line") == [("deal", "field_forbidden")]
    assert org.service.create(org.actor("nick"), "sec_line", {"name": "l", "deal": org.deals["d_nick"]})["deal"] == org.deals["d_nick"]


def _statements(org, action) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE"):
            seen.append(statement)

    sa.event.listen(org.site.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(org.site.engine, "before_cursor_execute", count)
    return seen


def test_the_check_costs_nothing_when_the_owner_is_the_caller_and_one_query_otherwise(org):
    policy, nora = org.policy, org.actor("nora")
    policy.principal(nora)  # read the principal first: its cost is not the check's
    answers = []
    records = [{"owner": org.users["ned"]}, {"owner": org.users["sam"]}, {"owner": org.users["nick"]}]
    with org.site.engine.connect() as connection:
        own = _statements(org, lambda: answers.append(policy.refused_assignments(connection, nora, "sec_deal", [{"owner": org.users["nora"]}])))
        other = _statements(org, lambda: answers.append(policy.refused_assignments(connection, nora, "sec_deal", records)))
    assert (own, len(other)) == ([], 1)
    assert answers == [{}, {1: ["owner"]}]


def test_an_import_reports_a_refused_owner_on_its_row(org):
    from runtime.transfer import CsvImportError, import_csv

    text = f"name,owner\r\nimported mine,{org.users['pat']}\r\nimported theirs,{org.users['admin']}\r\n"
    with pytest.raises(CsvImportError) as caught:
        import_csv(org.service, org.actor("pat"), "sec_deal", text)
    assert [(row.row, row.error.field, row.error.code) for row in caught.value.rows] == [(3, "owner", "field_forbidden")]
