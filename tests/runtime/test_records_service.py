"""The record pipeline end to end: create, get, update, delete, restore, purge, bulk, history."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fixtures_records import lab_service, new_user, sample_input

from runtime.records.context import SYSTEM, Actor
from runtime.errors import (
    RecordConflictError,
    RecordNotFoundError,
    RecordValidationError,
)
from runtime.errors import BulkRecordError


@pytest.fixture
def service(engine):
    return lab_service(engine)


@pytest.fixture
def actor(service):
    return new_user(service)


@pytest.fixture
def site_id(service, actor):
    return service.create(actor, "lab_site", {"name": "North"})["id"]


def test_create_coerces_defaults_and_returns_the_stored_record(service, actor, site_id):
    record = service.create(
        actor,
        "lab_sample",
        sample_input(
            site_id,
            cost="12.345",
            ratio=12.25,
            quantity="3",
            received_at="2026-03-01T08:30:00+08:00",
            slot="09:15",
            hazards=["toxic", "biohazard"],
            keywords=["cold", "冷藏"],
            location={"lat": "31.2304", "lng": 121.4737},
            attachments=[{"id": "f1", "name": "scan.pdf", "media_type": "application/pdf", "size": 10}],
            contact_email="lab@example.org",
            link="https://example.org/x",
        ),
    )
    assert record["cost"] == Decimal("12.35")  # rounded half up to the field's scale
    assert record["ratio"] == Decimal("12.3")
    assert record["quantity"] == 3
    assert record["received_at"] == dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.timezone.utc)
    assert record["slot"] == dt.time(9, 15)
    assert record["hazards"] == ["toxic", "biohazard"]
    assert record["keywords"] == ["cold", "冷藏"]
    assert record["location"] == {"lat": Decimal("31.2304"), "lng": Decimal("121.4737")}
    assert record["attachments"][0]["name"] == "scan.pdf"
    # defaults, system fields
    assert record["status"] == "received"
    assert record["urgent"] is False
    assert record["business_type"] == "clinical"
    assert record["owner"] == actor.user_id == record["created_by"] == record["updated_by"]
    assert record["version"] == 1 and record["deleted_at"] is None
    # computed
    assert record["code"].startswith("S-") and record["code"].endswith("-0001")
    assert record["total"] == Decimal("37.05")
    assert service.get(actor, "lab_sample", record["id"]) == record


def test_every_bad_input_is_reported_at_once_in_both_languages(service, actor, site_id):
    with pytest.raises(RecordValidationError) as caught:
        service.create(
            actor,
            "lab_sample",
            {
                "site": site_id,
                "bogus": 1,
                "cost": "ten",
                "quantity": 5000,
                "label_text": "x" * 21,
                "status": "lost",
                "collected_on": "2026-02-30",
                "contact_email": "not-an-email",
                "hazards": ["toxic", "flammable", "biohazard"],
                "urgent": "yes",
                "code": "S-1",
                "total": 5,
                "location": {"lat": 95, "lng": 0},
            },
        )
    by_field = {error.field: error.code for error in caught.value.errors}
    assert by_field == {
        "bogus": "unknown_field",
        "cost": "invalid_type",
        "quantity": "too_large",
        "label_text": "too_long",
        "status": "invalid_choice",
        "collected_on": "invalid_format",
        "contact_email": "invalid_format",
        "hazards": "too_many_items",
        "urgent": "invalid_type",
        "code": "read_only",
        "total": "read_only",
        "location": "too_large",
    }
    messages = {error["field"]: error["message"] for error in caught.value.messages("zh")}
    assert messages["label_text"] == "最多 20 个字符（实际 21 个）。"
    assert messages["bogus"] == "未知字段“bogus”。"
    assert all(error.message_en and error.message_zh for error in caught.value.errors)


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_a_body_that_is_not_an_object_is_an_error(service, actor, body):
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_site", body)
    assert caught.value.codes == ["invalid_type"]


def test_business_type_rules(service, actor, site_id):
    # clinical requires collected_on and offers kinds blood and tissue
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", {"site": site_id, "kind": "swab"})
    assert sorted((e.field, e.code) for e in caught.value.errors) == [
        ("collected_on", "required"),
        ("kind", "choice_not_in_business_type"),
    ]
    # research offers swab and has no required collected_on; its stages leave out "testing"
    record = service.create(actor, "lab_sample", {"site": site_id, "kind": "swab", "business_type": "research"})
    assert record["business_type"] == "research"
    with pytest.raises(RecordValidationError) as caught:
        service.update(actor, "lab_sample", record["id"], {"status": "testing"})
    assert caught.value.codes == ["stage_not_in_business_type"]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", {"site": site_id, "business_type": "nope"})
    assert caught.value.codes == ["invalid_choice"]


def test_dependent_picklists_and_inactive_values(service, actor, site_id):
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input(site_id, kind="tissue", subkind="plasma"))
    assert [(e.field, e.code) for e in caught.value.errors] == [("subkind", "dependent_choice")]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input(site_id, kind=None, subkind="plasma"))
    assert caught.value.codes == ["dependent_choice"]
    record = service.create(actor, "lab_sample", sample_input(site_id, kind="tissue", subkind="biopsy"))
    # changing the controlling value invalidates the dependent one
    with pytest.raises(RecordValidationError):
        service.update(actor, "lab_sample", record["id"], {"kind": "blood"})
    # an inactive value cannot be chosen anew …
    with pytest.raises(RecordValidationError) as caught:
        service.update(actor, "lab_sample", record["id"], {"status": "legacy"})
    assert caught.value.codes == ["inactive_choice"]
    # … but stays on a record that already has it (written here by the platform)
    with service.site.begin() as connection:
        table = service.site.table("lab_sample")
        connection.execute(sa.update(table).where(table.c.id == record["id"]).values(status="legacy"))
    updated = service.update(actor, "lab_sample", record["id"], {"label_text": "B2"})
    assert updated["status"] == "legacy"


def test_validation_rules_are_all_reported_together(service, actor, site_id):
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input(site_id, cost=5, quantity=0, urgent=True))
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("quantity", "validation_rule"),
        ("slot", "validation_rule"),
    ]
    assert caught.value.errors[0].message("zh") == "有费用的样本必须有数量。"
    assert caught.value.errors[1].message("en") == "Urgent samples need a slot."
    record = service.create(actor, "lab_sample", sample_input(site_id, cost=5, quantity=1))
    with pytest.raises(RecordValidationError):
        service.update(actor, "lab_sample", record["id"], {"quantity": 0})


def test_required_master_detail_and_missing_lookup_targets(service, actor, site_id):
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", {"collected_on": "2026-01-01", "kind": "blood"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("site", "required")]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input("01jzzzzzzzzzzzzzzzzzzzzzzz", instrument="01jzzzzzzzzzzzzzzzzzzzzzzy"))
    assert sorted((e.field, e.code) for e in caught.value.errors) == [("instrument", "lookup_missing"), ("site", "lookup_missing")]


def _statements_of(engine, work) -> list[str]:
    """The SQL statements ``work()`` sends to the database, first words only, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()[:3]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return sent


def test_a_create_checks_references_inserts_and_reads_back_in_one_statement(service, actor):
    """The reference check (the owner) rides on the INSERT (INSERT … SELECT … WHERE EXISTS) and
    the record comes back through RETURNING: no SELECT of the target, no read-back; then the
    history row."""
    created = []
    sent = _statements_of(service.site.engine, lambda: created.append(service.create(actor, "lab_site", {"name": "South", "budget": "5"})))
    # on PostgreSQL the history row rides along too (WITH written AS (INSERT …), logged AS (INSERT …))
    one_trip = ["WITH written AS"] if service.site.engine.dialect.name == "postgresql" else ["INSERT INTO lab_site", "INSERT INTO tessera_history"]
    # the search index of the object's searchable fields is kept in the same transaction
    record_statements = [statement for statement in sent if not statement.startswith("BEGIN") and "tessera_search_" not in statement]
    assert record_statements == one_trip
    assert any("tessera_search_lab_site" in statement for statement in sent)
    assert created[0] == service.get(actor, "lab_site", created[0]["id"])  # defaults, roll-ups, formulas and all
    assert [row["field"] for row in service.history(actor, "lab_site", created[0]["id"])] == ["_created"]


def test_a_create_that_reads_other_records_is_read_back(service, actor, site_id):
    """A cross-object formula (the sample reads its site) is not in the inserted row: the
    record is read back, and equals what ``get`` returns."""
    record = service.create(actor, "lab_sample", sample_input(site_id, cost=10))
    assert record == service.get(actor, "lab_sample", record["id"])


def test_a_reference_the_insert_refuses_is_named_and_nothing_is_written(service, actor, site_id):
    before = service.find(SYSTEM, "lab_sample", limit=100).records
    service.delete(actor, "lab_site", service.create(actor, "lab_site", {"name": "Gone"})["id"])
    gone = service.find(SYSTEM, "lab_site", filter={"name": "Gone"}, state="deleted").records[0]["id"]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input(gone))
    assert [(e.field, e.code) for e in caught.value.errors] == [("site", "lookup_deleted")]
    assert service.find(SYSTEM, "lab_sample", limit=100).records == before
    with service.site.engine.connect() as connection:  # nor a history row for a record that is not there
        history = service.site.platform.history
        assert connection.execute(sa.select(sa.func.count()).select_from(history).where(history.c.object == "lab_sample")).scalar() == 0


def test_update_with_version_check_and_history(service, actor, site_id):
    record = service.create(actor, "lab_sample", sample_input(site_id, cost=10))
    other = new_user(service, "bob")
    updated = service.update(other, "lab_sample", record["id"], {"cost": "11.5", "notes": "n"}, version=1)
    assert updated["version"] == 2 and updated["updated_by"] == other.user_id
    assert updated["cost"] == Decimal("11.50")
    with pytest.raises(RecordConflictError) as caught:
        service.update(actor, "lab_sample", record["id"], {"cost": 12}, version=1)
    assert caught.value.codes == ["version_conflict"]
    # an update that changes nothing writes nothing
    same = service.update(actor, "lab_sample", record["id"], {"cost": "11.50"})
    assert same["version"] == 2
    entries = service.history(actor, "lab_sample", record["id"])
    assert [(e["field"], e["old_value"], e["new_value"]) for e in entries] == [
        ("_created", None, None),
        ("cost", "10.00", "11.50"),
    ]
    assert entries[1]["changed_by"] == other.user_id


def test_get_update_delete_of_missing_records(service, actor):
    for call in (
        lambda: service.get(actor, "lab_site", "01jzzzzzzzzzzzzzzzzzzzzzzz"),
        lambda: service.update(actor, "lab_site", "01jzzzzzzzzzzzzzzzzzzzzzzz", {"name": "x"}),
        lambda: service.delete(actor, "lab_site", "01jzzzzzzzzzzzzzzzzzzzzzzz"),
        lambda: service.restore(actor, "lab_site", "01jzzzzzzzzzzzzzzzzzzzzzzz"),
        lambda: service.get(actor, "lab_site", 42),
        lambda: service.get(actor, "no_such_object", "x"),
    ):
        with pytest.raises(RecordNotFoundError) as caught:
            call()
        assert caught.value.codes == ["not_found"]


def test_delete_restore_purge(service, actor, site_id):
    record = service.create(actor, "lab_site", {"name": "South"})
    service.delete(actor, "lab_site", record["id"])
    with pytest.raises(RecordNotFoundError):
        service.get(actor, "lab_site", record["id"])
    with pytest.raises(RecordNotFoundError):
        service.update(actor, "lab_site", record["id"], {"name": "x"})  # in the recycle bin: not editable
    restored = service.restore(actor, "lab_site", record["id"])
    assert restored["deleted_at"] is None and restored["version"] == 3
    with pytest.raises(RecordValidationError) as caught:
        service.restore(actor, "lab_site", record["id"])  # live again: nothing to restore
    assert caught.value.codes == ["not_in_recycle_bin"]
    with pytest.raises(RecordNotFoundError):
        service.purge(actor, "lab_site", record["id"])  # only records in the recycle bin are purged
    service.delete(actor, "lab_site", record["id"], version=3)
    service.purge(actor, "lab_site", record["id"])
    with pytest.raises(RecordNotFoundError):
        service.restore(actor, "lab_site", record["id"])
    with service.site.engine.connect() as connection:
        history = service.site.platform.history
        left = connection.execute(sa.select(sa.func.count()).select_from(history).where(history.c.record_id == record["id"])).scalar()
    assert left == 0


def test_objects_without_recycle_bin_purge_on_delete(service, actor):
    note = service.create(actor, "lab_note", {"title": "T"})
    service.delete(actor, "lab_note", note["id"])
    with pytest.raises(RecordNotFoundError):
        service.get(actor, "lab_note", note["id"])
    with pytest.raises(RecordValidationError) as caught:
        service.restore(actor, "lab_note", note["id"])
    assert caught.value.codes == ["no_recycle_bin"]
    assert "lab_note" not in caught.value.errors[0].message_en and "Note" in caught.value.errors[0].message_en


def test_bulk_create_is_all_or_nothing_and_names_failing_rows(service, actor, site_id):
    rows = [sample_input(site_id, label_text=f"L{i}") for i in range(5)]
    rows[1]["cost"] = "bad"
    rows[3]["kind"] = "swab"
    with pytest.raises(BulkRecordError) as caught:
        service.bulk_create(actor, "lab_sample", rows)
    assert sorted(caught.value.failures) == [1, 3]
    assert [e.field for e in caught.value.errors] == ["[1].cost", "[3].kind"]
    with service.site.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(service.site.table("lab_sample"))).scalar() == 0
    del rows[1]["cost"], rows[3]["kind"]
    ids = service.bulk_create(actor, "lab_sample", rows)
    codes = [service.get(actor, "lab_sample", record_id)["code"] for record_id in ids]
    assert [code[-4:] for code in codes] == ["0001", "0002", "0003", "0004", "0005"]
    assert service.bulk_create(actor, "lab_sample", []) == []


def test_unique_values_are_refused_with_the_field_named(service, actor):
    service.create(actor, "lab_instrument", {"name": "A", "serial": "X1"})
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_instrument", {"name": "B", "serial": "X1"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("serial", "duplicate_value")]
    with pytest.raises(BulkRecordError) as caught:
        service.bulk_create(actor, "lab_instrument", [{"name": "C", "serial": "Y"}, {"name": "D", "serial": "Y"}])
    assert list(caught.value.failures) == [1]


def test_system_actor_may_set_read_only_fields(service):
    with pytest.raises(RecordValidationError):
        service.create(Actor(), "lab_site", {"name": "x", "sample_count": 3})
    record = service.create(SYSTEM, "user", {"username": "sys", "name": "System"})
    assert record["name"] == "System"


def test_concurrent_updates_lose_nothing(service, actor, site_id):
    record = service.create(actor, "lab_sample", sample_input(site_id, quantity=0))
    workers, rounds = 4, 5
    failures: list[BaseException] = []

    def bump():
        try:
            for _ in range(rounds):
                while True:
                    current = service.get(actor, "lab_sample", record["id"])
                    try:
                        service.update(actor, "lab_sample", record["id"], {"quantity": current["quantity"] + 1}, version=current["version"])
                        break
                    except RecordConflictError:
                        continue
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=bump) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    final = service.get(actor, "lab_sample", record["id"])
    assert final["quantity"] == workers * rounds
    assert final["version"] == 1 + workers * rounds


def test_concurrent_creates_never_share_an_auto_number(service, actor, site_id):
    codes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def create():
        try:
            for _ in range(5):
                record = service.create(actor, "lab_sample", sample_input(site_id))
                with lock:
                    codes.append(record["code"])
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(codes) == len(set(codes)) == 20
    assert service.get(actor, "lab_site", site_id)["sample_count"] == 20


def test_concurrent_writers_of_different_fields_keep_each_others_changes(service, actor, site_id):
    # Without a version, an update that finds the record changed since the request began is a
    # conflict; retried, each writes only what it changes: no writer puts back a value another
    # writer replaced, and every change is in the history.
    record = service.create(actor, "lab_sample", sample_input(site_id, cost=0, label_text="L0"))
    rounds = 6
    failures: list[BaseException] = []

    def write(field, values):
        try:
            for value in values:
                while True:
                    try:
                        service.update(actor, "lab_sample", record["id"], {field: value})
                        break
                    except RecordConflictError:
                        continue
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=("cost", [str(n) for n in range(1, rounds + 1)])),
        threading.Thread(target=write, args=("label_text", [f"L{n}" for n in range(1, rounds + 1)])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    final = service.get(actor, "lab_sample", record["id"])
    assert (final["cost"], final["label_text"]) == (Decimal(rounds), f"L{rounds}")
    assert final["version"] == 1 + 2 * rounds
    changes = [entry for entry in service.history(actor, "lab_sample", record["id"]) if entry["field"] != "_created"]
    assert sorted(entry["new_value"] for entry in changes if entry["field"] == "label_text") == sorted(f"L{n}" for n in range(1, rounds + 1))
    assert len(changes) == 2 * rounds


def test_a_change_committed_while_an_update_waits_is_a_conflict_not_a_lost_update(service, actor, site_id):
    """Without a version, the update is checked against the version its request began with: a
    change another writer commits before this one gets the write lock is refused, not overwritten."""
    record = service.create(actor, "lab_sample", sample_input(site_id, label_text="L0"))
    begin_write = service._write

    def others_commit_first(*args, **kwargs):
        service._write = begin_write  # the other writer's own update takes the plain path
        service.update(actor, "lab_sample", record["id"], {"label_text": "theirs"})
        return begin_write(*args, **kwargs)

    service._write = others_commit_first
    with pytest.raises(RecordConflictError) as caught:
        service.update(actor, "lab_sample", record["id"], {"label_text": "mine"})
    assert caught.value.codes == ["version_conflict"]
    assert service.get(actor, "lab_sample", record["id"])["label_text"] == "theirs"
    assert service.update(actor, "lab_sample", record["id"], {"label_text": "mine"})["version"] == 3  # without a race, no conflict


@pytest.mark.parametrize("blank", [None, ""])
def test_a_user_cannot_leave_a_record_without_owner(service, actor, site_id, blank):
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_site", {"name": "South", "owner": blank})
    assert [(e.field, e.code) for e in caught.value.errors] == [("owner", "required")]
    with pytest.raises(RecordValidationError) as caught:
        service.update(actor, "lab_site", site_id, {"owner": blank})
    assert [(e.field, e.code) for e in caught.value.errors] == [("owner", "required")]
    assert service.get(actor, "lab_site", site_id)["owner"] == actor.user_id
    # a platform job (say, offboarding) may still clear it
    assert service.update(SYSTEM, "lab_site", site_id, {"owner": blank})["owner"] is None
