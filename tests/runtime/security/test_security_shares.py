"""Precomputed shares: criteria-rule membership and inherited teams, kept by the record pipeline
in the transaction of each write, by team changes, and by rule changes; the predicate reads them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from metadata.registry import registry_from_documents
from runtime.migrations import apply_plan, diff
from runtime.records.context import SYSTEM
from runtime.security import SecurityPolicy, set_team_member, shares
from runtime.security import tables as t
from runtime.store import documents_of

pytestmark = pytest.mark.database


def rule_rows(site, rule: str) -> set[str]:
    share = site.platform[t.RULE_SHARE]
    with site.engine.connect() as connection:
        return {row[0] for row in connection.execute(sa.select(share.c.record_id).where(share.c.rule == rule))}


def team_rows(site) -> set[tuple]:
    share = site.platform[t.TEAM_SHARE]
    with site.engine.connect() as connection:
        return {tuple(row) for row in connection.execute(sa.select(share.c.object, share.c.field, share.c.record_id, share.c.user_id, share.c.access))}


def reads(org, username: str, object_name: str = "sec_deal") -> set[str]:
    ids = {record["id"] for record in org.service.find(org.actor(username), object_name, limit=100).records}
    return ids


def test_rule_membership_is_precomputed_and_the_predicate_reads_it(org):
    big = {org.deals["d_sue"]}
    assert rule_rows(org.site, "sec_big_deals") == big  # amount >= 1000
    assert rule_rows(org.site, "sec_won_deals") == {org.deals["d_boss"]}  # filter stage: won
    predicate = org.policy.predicate(org.actor("tim"), "sec_deal", org.site.tables["sec_deal"], "read")
    compiled = str(predicate.compile(org.site.engine))
    assert "tessera_rule_share" in compiled and "amount" not in compiled  # a lookup, not the criterion


def test_a_write_moves_a_record_into_and_out_of_a_rule_in_its_transaction(fresh_org):
    org = fresh_org
    deal = org.deals["d_nick"]
    assert deal not in reads(org, "tim")  # tim reads big deals through sec_big_readers ⊂ sec_outer
    org.service.update(SYSTEM, "sec_deal", deal, {"amount": 2000})
    assert deal in rule_rows(org.site, "sec_big_deals") and deal in reads(org, "tim")
    org.service.update(SYSTEM, "sec_deal", deal, {"amount": 5})
    assert deal not in rule_rows(org.site, "sec_big_deals") and deal not in reads(org, "tim")
    created = org.service.create(SYSTEM, "sec_deal", {"name": "new", "owner": org.users["ned"], "amount": 9000, "stage": "won"})["id"]
    assert created in rule_rows(org.site, "sec_big_deals") and created in rule_rows(org.site, "sec_won_deals")
    ids = org.service.bulk_create(SYSTEM, "sec_deal", [{"name": f"b{i}", "owner": org.users["ned"], "amount": 1000 * i} for i in range(3)])
    assert rule_rows(org.site, "sec_big_deals") >= set(ids[1:]) and ids[0] not in rule_rows(org.site, "sec_big_deals")


def test_a_refused_write_leaves_the_shares_as_they_were(fresh_org, monkeypatch):
    org = fresh_org
    before = rule_rows(org.site, "sec_big_deals")
    # the upkeep runs inside the write's transaction: a failure after it rolls both back
    monkeypatch.setattr(org.policy, "after_write", lambda *args: (_ for _ in ()).throw(RuntimeError("late failure")))
    with pytest.raises(RuntimeError):
        org.service.update(SYSTEM, "sec_deal", org.deals["d_nick"], {"amount": 2000})
    assert rule_rows(org.site, "sec_big_deals") == before


def test_inherited_teams_follow_the_parent_team_and_the_child_reference(fresh_org):
    org = fresh_org
    person = org.people["p_team"]
    assert {(row[2], row[3], row[4]) for row in team_rows(org.site)} == {
        (person, org.users["tim"], "read"),
        (person, org.users["sue"], "read_write"),
    }
    set_team_member(org.site, "sec_deal", org.deals["d_team"], org.users["nick"], "read")
    assert person in reads(org, "nick", "sec_person")
    set_team_member(org.site, "sec_deal", org.deals["d_team"], org.users["nick"], None)
    assert person not in reads(org, "nick", "sec_person")
    # the child moves to another deal: it leaves the old team and joins the new one
    org.service.update(SYSTEM, "sec_person", person, {"deal": org.deals["d_ned"]})
    assert person not in reads(org, "tim", "sec_person")
    set_team_member(org.site, "sec_deal", org.deals["d_ned"], org.users["tim"], "read")
    assert person in reads(org, "tim", "sec_person")


def _changed_rules(site, change):
    documents = documents_of(site.registry.packages)
    sec = next(package for package in documents if package["manifest"]["name"] == "sec")
    change(sec)
    return registry_from_documents(documents)


def test_a_rule_change_recomputes_its_membership(fresh_org):
    org = fresh_org

    def lower(sec):
        rule = next(item for item in sec["security"]["sharing_rules"] if item["api_name"] == "sec_big_deals")
        rule["criteria"] = "amount >= 10"

    apply_plan(org.site, diff(org.site.registry, _changed_rules(org.site, lower)))
    assert rule_rows(org.site, "sec_big_deals") == {org.deals["d_sue"]}  # not yet: a policy brings them up to date
    policy = SecurityPolicy(org.site, recheck_seconds=0)
    assert rule_rows(org.site, "sec_big_deals") == set(org.deals.values())  # every deal has 10 or more
    assert policy.refresh() is False  # already current

    def drop(sec):
        rules = sec["security"]["sharing_rules"]
        sec["security"]["sharing_rules"] = [item for item in rules if item["api_name"] != "sec_big_deals"]

    apply_plan(org.site, diff(org.site.registry, _changed_rules(org.site, drop)))
    SecurityPolicy(org.site, recheck_seconds=0)
    assert rule_rows(org.site, "sec_big_deals") == set()


def test_refresh_rebuilds_what_was_written_around_the_pipeline(fresh_org):
    org = fresh_org
    share = org.site.platform[t.RULE_SHARE]
    with org.site.begin() as connection:
        connection.execute(sa.delete(share))
        connection.execute(sa.delete(org.site.platform[t.TEAM_SHARE]))
        assert shares.refresh(connection, org.site) == 2 + 2  # two rule rows, two inherited team rows
        assert shares.refresh(connection, org.site) == 0


def test_a_rule_reading_another_record_follows_writes_to_that_record(fresh_org):
    org = fresh_org

    def add(sec):
        sec["security"]["sharing_rules"].append(
            {"api_name": "sec_people_of_big_deals", "label": {"en": "People of big deals"}, "object": "sec_person",
             "criteria": "deal.amount >= 1000", "share_with": {"users": ["wendy"]}, "access": "read"}
        )

    apply_plan(org.site, diff(org.site.registry, _changed_rules(org.site, add)))
    policy = SecurityPolicy(org.site, recheck_seconds=0)
    org.service.reader.access = policy
    person = org.people["p_ned"]
    assert rule_rows(org.site, "sec_people_of_big_deals") == set()
    assert person not in reads(org, "wendy", "sec_person")
    org.service.update(SYSTEM, "sec_deal", org.deals["d_ned"], {"amount": 5000})  # a write to the deal, not the person
    assert rule_rows(org.site, "sec_people_of_big_deals") == {person}
    assert person in reads(org, "wendy", "sec_person")
