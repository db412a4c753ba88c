"""Org changes keep the closures current in the same transaction; assignments are checked; explain
says which grant reaches a record."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from runtime.errors import RecordValidationError
from runtime.records.context import SYSTEM
from runtime.security import SecurityError, assign, set_group_members, set_team_member
from runtime.security import tables as t

pytestmark = pytest.mark.database


def deal_names(org, username: str) -> set[str]:
    return {record["name"] for record in org.service.find(org.actor(username), "sec_deal", limit=100).records}


def closure_rows(org, name: str) -> set[tuple]:
    with org.site.engine.connect() as connection:
        return {tuple(row) for row in connection.execute(sa.select(org.site.platform[name]))}


def test_moving_people_and_heads_changes_who_sees_what(fresh_org):
    org = fresh_org
    assert "d_ned" in deal_names(org, "nora")
    # ned gets an explicit manager: nick (made a manager); nora still manages nick, so she still sees ned's deal
    assign(org.site, org.users["nick"], roles=["manager"])
    org.service.update(SYSTEM, "user", org.users["ned"], {"manager": org.users["nick"]})
    assert "d_ned" in deal_names(org, "nick") and "d_ned" in deal_names(org, "nora")
    # nick moves to the south: nora loses nick and (through nick) ned; sam's department now heads them
    org.service.update(SYSTEM, "user", org.users["nick"], {"department": org.departments["south"]})
    assert deal_names(org, "nora") == {"d_nora", "d_gone"}
    assert {"d_nick", "d_ned"} <= deal_names(org, "boss")
    # north gets a new head: its people now report to dora by default, and nora to boss
    org.service.update(SYSTEM, "department", org.departments["north"], {"head": org.users["dora"]})
    manager_rows = closure_rows(org, t.MANAGER_CLOSURE)
    assert (org.users["dora"], org.users["gone"], 1) in manager_rows
    assert (org.users["nora"], org.users["gone"], 1) not in manager_rows
    # north_east moves under south: dave's division shrinks, sam's department tree grows
    org.service.update(SYSTEM, "department", org.departments["north_east"], {"parent": org.departments["south"]})
    assert (org.departments["south"], org.departments["north_east"], 1) in closure_rows(org, t.DEPARTMENT_CLOSURE)
    assert (org.departments["north"], org.departments["north_east"], 1) not in closure_rows(org, t.DEPARTMENT_CLOSURE)


def test_a_change_rewrites_only_the_rows_that_differ(fresh_org):
    from runtime.security import org as org_module

    org = fresh_org
    with org.site.begin() as connection:
        assert org_module.refresh(connection, org.site) == 0  # already current
    with org.site.begin() as connection:
        connection.execute(sa.update(org.site.tables["user"]).where(org.site.tables["user"].c.id == org.users["tim"]).values(manager=org.users["sam"]))
        # tim leaves boss's direct reports: one row out (boss → tim at 1), two in (sam → tim, boss → tim at 2)
        assert org_module.refresh(connection, org.site) == 3


def test_cycles_in_the_org_are_refused_and_nothing_is_written(fresh_org):
    org = fresh_org
    with pytest.raises(RecordValidationError) as caught:
        org.service.update(SYSTEM, "department", org.departments["hq"], {"parent": org.departments["north_east"]})
    assert caught.value.errors[0].field == "parent"
    assert org.service.get(SYSTEM, "department", org.departments["hq"])["parent"] is None
    with pytest.raises(RecordValidationError) as caught:
        org.service.update(SYSTEM, "user", org.users["boss"], {"manager": org.users["ned"]})
    assert caught.value.errors[0].field == "manager"
    assert "d_ned" in deal_names(org, "boss")


def test_group_membership_and_rule_recipients_follow_assignments(fresh_org):
    org = fresh_org
    assert "d_sue" not in deal_names(org, "nick")
    set_group_members(org.site, "sec_big_readers", [org.users["nick"]])  # nested in sec_outer, the rule's recipients
    assert "d_sue" in deal_names(org, "nick") and "d_sue" not in deal_names(org, "tim")
    # a new member of the south department receives the north-owners rule without any other change
    org.service.update(SYSTEM, "user", org.users["wendy"], {"department": org.departments["south"]})
    assert {"d_nora", "d_ned"} <= deal_names(org, "wendy")
    # tim left the group when its members were replaced; the team still holds, until he leaves it
    assert deal_names(org, "tim") == {"d_team"}
    set_team_member(org.site, "sec_deal", org.deals["d_team"], org.users["tim"], None)
    assert "d_team" not in deal_names(org, "tim")


def test_assignments_name_what_exists(fresh_org):
    org = fresh_org
    for call, code in (
        (lambda: assign(org.site, org.users["tim"], roles=["no_such_role"]), "unknown_role"),
        (lambda: assign(org.site, "nobody", profiles=["sec_rep"]), "unknown_user"),
        (lambda: set_group_members(org.site, "no_group", []), "unknown_group"),
        (lambda: set_team_member(org.site, "sec_line", org.lines["l_ned"], org.users["tim"], "read"), "no_team"),
        (lambda: set_team_member(org.site, "sec_deal", org.deals["d_ned"], org.users["tim"], "write"), "invalid_access"),
    ):
        with pytest.raises(SecurityError) as caught:
            call()
        assert caught.value.code == code
    assert "d_ned" not in deal_names(org, "tim")


def test_explain_names_the_grants_that_hold(org):
    explained = org.policy.explain(org.actor("sam"), "sec_deal", org.deals["d_ned"])
    read = explained["operations"]["read"]
    assert read["allowed"] and read["profile_allows"]
    holding = [grant for grant in read["grants"] if grant["holds"]]
    assert holding == [{"kind": "sharing_rule", "rule": "sec_north_deals", "access": "read", "holds": True}]
    assert not explained["operations"]["edit"]["allowed"]

    team = org.policy.explain(org.actor("sue"), "sec_deal", org.deals["d_team"])
    assert {"kind": "team", "access": "read_write", "holds": True} in team["operations"]["edit"]["grants"]
    assert not team["operations"]["delete"]["allowed"]

    assistant = org.policy.explain(org.actor("asst"), "sec_deal", org.deals["d_ned"])
    assert {"kind": "assistant", "manager": org.users["nora"], "manager_username": "nora", "holds": True} in assistant["operations"]["read"]["grants"]
    assert assistant["username"] == "asst"
    assert not assistant["operations"]["edit"]["allowed"]

    boss = org.policy.explain(org.actor("boss"), "sec_deal", org.deals["d_ned"])
    # ned's department has no head, so ned reports to the head above (nora), who reports to boss
    chain = {"kind": "role_scope", "role": "manager", "scope": "self_and_subordinates", "holds": True, "manager_chain": ["ned", "nora", "boss"]}
    assert chain in boss["operations"]["read"]["grants"]
    assert boss["owner"] == {"id": org.users["ned"], "username": "ned"}

    eve = org.policy.explain(org.actor("eve"), "sec_region_deal", org.region_deals["r_mri"])
    scope = next(grant for grant in eve["operations"]["read"]["grants"] if grant["kind"] == "role_scope")
    assert scope == {"kind": "role_scope", "role": "sec_everyone", "scope": "all", "dimensions": {"sec_line": ["ct", "ct_low"]}, "holds": False}
    assert not eve["operations"]["read"]["allowed"]

    gone = org.policy.explain(org.actor("gone"), "sec_deal", org.deals["d_gone"])
    assert gone["denied"] == "inactive_user" and not gone["operations"]["read"]["allowed"]
    admin = org.policy.explain(org.actor("admin"), "sec_deal", org.deals["d_gone"])
    assert all(entry["allowed"] for entry in admin["operations"].values())


def test_cached_permissions_hold_until_invalidated_or_rechecked(fresh_org):
    from runtime.records.context import Actor
    from runtime.records.service import RecordService
    from runtime.security import SecurityPolicy

    org = fresh_org
    patient = SecurityPolicy(org.site, recheck_seconds=3600)
    service = RecordService(org.site, access=patient)

    def names() -> set[str]:
        return {record["name"] for record in service.find(Actor(user_id=org.users["ned"]), "sec_deal", limit=100).records}

    assert names() == {"d_ned"}
    assign(org.site, org.users["ned"], roles=["sec_everyone"])  # another process, as far as this policy knows
    assert names() == {"d_ned"}
    patient.invalidate()
    assert len(names()) == 11
    # one Actor keeps what it was given for its whole life (one request)
    actor = Actor(user_id=org.users["ned"])
    assert len(org.service.find(actor, "sec_deal", limit=100).records) == 11
    assign(org.site, org.users["ned"], roles=["standard_user"])
    assert len(org.service.find(actor, "sec_deal", limit=100).records) == 11
    assert deal_names(org, "ned") == {"d_ned"}


def test_a_record_the_user_cannot_read_cannot_be_linked_to(fresh_org):
    org = fresh_org
    ned = org.actor("ned")
    with pytest.raises(RecordValidationError) as caught:
        org.service.create(ned, "sec_person", {"name": "p", "deal": org.deals["d_nick"]})
    assert [error.code for error in caught.value.errors] == ["lookup_missing"]
    assert org.service.create(ned, "sec_person", {"name": "p", "deal": org.deals["d_ned"]})["deal"] == org.deals["d_ned"]


def test_closures_computed_for_other_metadata_are_recomputed_when_a_policy_starts(fresh_org):
    from runtime.records.service import RecordService
    from runtime.security import SecurityPolicy

    org = fresh_org
    with org.site.begin() as connection:  # as if the rules had been installed after the closures were computed
        connection.execute(sa.delete(org.site.platform[t.GROUP_CLOSURE]))
        connection.execute(sa.update(org.site.platform[t.SECURITY_STATE]).where(org.site.platform[t.SECURITY_STATE].c.name == "metadata").values(generation=-1))
    service = RecordService(org.site, access=SecurityPolicy(org.site, recheck_seconds=0))
    found = {record["name"] for record in service.find(org.actor("sam"), "sec_deal", limit=100).records}
    assert found == {"d_sam", "d_team", "d_nora", "d_ned", "d_nick", "d_gone"}  # the north-owners rule holds again
    assert any(name.startswith("with:") for name, _ in closure_rows(org, t.GROUP_CLOSURE))


def test_a_transfer_needs_the_modify_scope_too(fresh_org):
    from runtime.errors import RecordNotFoundError

    org = fresh_org
    assign(org.site, org.users["tim"], roles=["sec_mover"])  # transfers all, modifies own
    tim = org.actor("tim")
    assert org.service.get(tim, "sec_deal", org.deals["d_ned"])["name"] == "d_ned"
    for values in ({"owner": org.users["tim"]}, {"owner": org.users["tim"], "amount": 1}):
        with pytest.raises(RecordNotFoundError):
            org.service.update(tim, "sec_deal", org.deals["d_ned"], values)
    explained = org.policy.explain(tim, "sec_deal", org.deals["d_ned"])
    assert any(grant["holds"] for grant in explained["operations"]["transfer"]["grants"])
    assert not explained["operations"]["transfer"]["allowed"]
