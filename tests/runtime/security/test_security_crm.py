"""The standard CRM's security folder at work: an account's team reaches its contacts, finance
receives big opportunities, a sales rep reads but cannot change a credit limit.

Records are written with Core: what is under test is who reaches them, not the CRM's own
validation rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from metadata.registry import shipped_packages
from runtime.errors import RecordPermissionError
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.security import SecurityPolicy, assign, set_group_members, set_team_member
from runtime.security import shares
from runtime.site import init_site

pytestmark = pytest.mark.database
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


def insert(site, object_name: str, record_id: str, **values) -> str:
    with site.begin() as connection:
        connection.execute(sa.insert(site.tables[object_name]).values(id=record_id, created_at=NOW, updated_at=NOW, **values))
        shares.refresh(connection, site)  # written around the record pipeline, which keeps the shares
    return record_id


def test_the_crm_package_shares_account_teams_with_contacts_and_big_deals_with_finance(engine):
    site = init_site(engine, shipped_packages())
    service = RecordService(site, access=SecurityPolicy(site, recheck_seconds=0))
    department = service.create(SYSTEM, "department", {"name": "Sales", "code": "sales"})["id"]
    users = {name: service.create(SYSTEM, "user", {"username": name, "name": name.title(), "department": department})["id"] for name in ("amy", "bob", "fay")}
    assign(site, users["amy"], profiles=["sales_rep"])
    assign(site, users["bob"], profiles=["sales_rep"])
    assign(site, users["fay"], profiles=["finance"])
    account = insert(site, "account", "acc1", name="Acme", owner=users["amy"], credit_limit=100)
    contact = insert(site, "contact", "con1", name="Carl", account=account, owner=users["amy"], mobile="13800000000")
    insert(site, "opportunity", "opp1", name="Big", account=account, owner=users["amy"], amount=2_000_000, opportunity_number="O-1")
    insert(site, "opportunity", "opp2", name="Small", account=account, owner=users["amy"], amount=10, opportunity_number="O-2")

    def names(user: str, object_name: str) -> set[str]:
        return {record["name"] for record in service.find(Actor(user_id=users[user]), object_name, limit=10).records}

    assert names("bob", "contact") == set()
    set_team_member(site, "account", account, users["bob"], "read")
    assert names("bob", "account") == {"Acme"} and names("bob", "contact") == {"Carl"}
    assert names("bob", "opportunity") == set()  # the account's team is not the opportunity's

    assert names("fay", "opportunity") == set()
    set_group_members(site, "finance_team", [users["fay"]])
    assert names("fay", "opportunity") == {"Big"}

    amy = Actor(user_id=users["amy"])
    assert service.get(amy, "account", account)["credit_limit"] == 100
    with pytest.raises(RecordPermissionError) as caught:
        service.update(amy, "account", account, {"credit_limit": 200})
    assert caught.value.errors[0].code == "field_forbidden"
    assert service.update(amy, "contact", contact, {"name": "Carla"})["name"] == "Carla"
    with pytest.raises(RecordPermissionError):
        service.delete(amy, "account", account)  # a sales rep does not delete accounts


def test_an_expanded_polymorphic_lookup_hides_a_record_the_reader_may_not_see(engine):
    site = init_site(engine, shipped_packages())
    service = RecordService(site, access=SecurityPolicy(site, recheck_seconds=0))
    department = service.create(SYSTEM, "department", {"name": "Sales", "code": "sales"})["id"]
    users = {name: service.create(SYSTEM, "user", {"username": name, "name": name.title(), "department": department})["id"] for name in ("amy", "bob")}
    for user in users.values():
        assign(site, user, profiles=["sales_rep"])
    account = insert(site, "account", "acc1", name="Acme", owner=users["amy"])
    task = insert(site, "task", "task1", subject="Follow up", related_to=account, owner=users["bob"], due_date=dt.date(2026, 3, 2), status="not_started")
    bob = Actor(user_id=users["bob"])
    assert service.get(bob, "task", task, expand=["related_to"])["related_to"] is None
    assert service.find(bob, "task", expand=["related_to"]).records[0]["related_to"] is None
    set_team_member(site, "account", account, users["bob"], "read")
    assert service.get(bob, "task", task, expand=["related_to"])["related_to"] == {"id": account, "name": "Acme", "object": "account"}
