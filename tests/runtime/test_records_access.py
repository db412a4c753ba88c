"""The record pipeline asks its access policy before every read and write.

A small policy of the test's own stands in for the security layer: it proves the pipeline calls
``allows``, ``editable_fields`` and the record predicate (with "transfer" for owner changes) on
each path, and that a refusal changes nothing.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fixtures_records import LAB_PACKAGE, new_user, sample_input

from metadata.registry import SYSTEM_PACKAGE
from runtime.errors import RecordNotFoundError, RecordPermissionError
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site


class Policy:
    """Denies what the test says; records are visible only to their owner for the operations listed."""

    def __init__(self):
        self.denied: set[tuple[str, str]] = set()  # (object, action)
        self.editable: dict[str, frozenset[str]] = {}
        self.owner_only: set[str] = set()  # operations limited to the owner's records
        self.calls: list[tuple[str, str]] = []

    def predicate(self, actor, object_name, table, operation):
        self.calls.append((object_name, operation))
        if operation in self.owner_only and actor.user_id is not None and "owner" in table.c:
            return table.c.owner == actor.user_id
        return None

    def readable_fields(self, actor, object_name):
        return None

    def allows(self, actor, object_name, action):
        return (object_name, action) not in self.denied

    def editable_fields(self, actor, object_name):
        return self.editable.get(object_name)


@pytest.fixture
def policy():
    return Policy()


@pytest.fixture
def service(engine, policy):
    return RecordService(init_site(engine, [SYSTEM_PACKAGE, LAB_PACKAGE]), access=policy)


@pytest.fixture
def actor(service):
    return new_user(service)


@pytest.fixture
def site_id(service, actor):
    return service.create(actor, "lab_site", {"name": "North"})["id"]


def test_an_object_the_profile_does_not_allow_is_refused_on_every_path(service, policy, actor, site_id):
    record = service.create(actor, "lab_sample", sample_input(site_id))
    policy.denied = {("lab_sample", action) for action in ("create", "read", "edit", "delete")}
    attempts = [
        lambda: service.create(actor, "lab_sample", sample_input(site_id)),
        lambda: service.bulk_create(actor, "lab_sample", [sample_input(site_id)]),
        lambda: service.get(actor, "lab_sample", record["id"]),
        lambda: service.find(actor, "lab_sample"),
        lambda: service.count(actor, "lab_sample"),
        lambda: service.history(actor, "lab_sample", record["id"]),
        lambda: service.update(actor, "lab_sample", record["id"], {"label_text": "B"}),
        lambda: service.delete(actor, "lab_sample", record["id"]),
    ]
    for attempt in attempts:
        with pytest.raises(RecordPermissionError) as caught:
            attempt()
        assert caught.value.errors[0].code == "object_forbidden"
    assert caught.value.errors[0].message_en == "You may not delete Sample records."
    assert caught.value.errors[0].message_zh == "你没有删除样本记录的权限。"
    policy.denied = set()
    assert service.count(actor, "lab_sample").value == 1
    assert service.get(actor, "lab_sample", record["id"])["label_text"] == "A1"


def test_fields_the_actor_may_not_edit_are_refused_by_name_and_nothing_is_written(service, policy, actor, site_id):
    record = service.create(actor, "lab_sample", sample_input(site_id, cost="5"))
    policy.editable["lab_sample"] = frozenset({"label_text", "site", "collected_on", "kind"})
    with pytest.raises(RecordPermissionError) as caught:
        service.update(actor, "lab_sample", record["id"], {"label_text": "B", "cost": "9", "quantity": 2})
    assert [(error.field, error.code) for error in caught.value.errors] == [("cost", "field_forbidden"), ("quantity", "field_forbidden")]
    stored = service.get(actor, "lab_sample", record["id"])
    assert (stored["label_text"], str(stored["cost"])) == ("A1", "5.00")
    with pytest.raises(RecordPermissionError):
        service.create(actor, "lab_sample", sample_input(site_id, cost="1"))
    assert service.update(actor, "lab_sample", record["id"], {"label_text": "B"})["label_text"] == "B"
    # platform jobs are not limited by a user's profile
    assert service.update(SYSTEM, "lab_sample", record["id"], {"cost": "7"})["cost"] == 7


def test_a_change_of_owner_asks_for_the_transfer_predicate(service, policy, actor, site_id):
    other = new_user(service, "bob")
    record = service.create(actor, "lab_sample", sample_input(site_id))
    policy.calls.clear()
    service.update(actor, "lab_sample", record["id"], {"owner": other.user_id})
    assert ("lab_sample", "transfer") in policy.calls
    policy.owner_only = {"transfer", "edit", "delete"}
    # now owned by bob: ann may neither transfer it back, edit it nor delete it
    for attempt in (
        lambda: service.update(actor, "lab_sample", record["id"], {"owner": actor.user_id}),
        lambda: service.update(actor, "lab_sample", record["id"], {"label_text": "X"}),
        lambda: service.delete(actor, "lab_sample", record["id"]),
    ):
        with pytest.raises(RecordNotFoundError):
            attempt()
    assert service.update(other, "lab_sample", record["id"], {"owner": actor.user_id})["owner"] == actor.user_id
