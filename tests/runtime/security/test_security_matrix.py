"""The permission matrix: every principal × every read path × every operation, one predicate.

The expected sets below are written out by hand from the org in conftest.py and the rules of the
``sec`` package; each read path (get, list, count, history, related list, expansion, lookups
through a filter on the parent) must give exactly the same answer, and so must each write
operation's own predicate.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from runtime.errors import QueryError, RecordNotFoundError, RecordPermissionError

pytestmark = pytest.mark.database

ALL_DEALS = {"d_ned", "d_nick", "d_nora", "d_sam", "d_sue", "d_boss", "d_pat", "d_pam", "d_pete", "d_gone", "d_team"}
INTERNAL = ALL_DEALS - {"d_pat", "d_pam", "d_pete"}
NORA_TREE = {"d_nora", "d_ned", "d_nick", "d_gone"}  # nora and everyone reporting to her
NORTH_OWNED = NORA_TREE  # owners in north and below (the sharing rule to the south)

#: who reads which deals, and why
READ = {
    "admin": ALL_DEALS,  # administrator role
    "boss": INTERNAL,  # manager of the whole internal tree (heads report to the head above)
    "nora": NORA_TREE,  # manager: her department's people default to her as their manager
    "ned": {"d_ned"},  # standard user: own records
    "nick": {"d_nick"},  # peer of ned: not ned's
    "dora": {"d_nora", "d_nick", "d_gone"},  # department scope: north only, not north_east
    "dave": NORA_TREE,  # department and children: north and north_east
    "sam": {"d_sam", "d_team"} | NORTH_OWNED,  # own + owner-based rule (north owners → south)
    "sue": {"d_sue", "d_team"} | NORTH_OWNED,  # own + team (read/write) + the same rule
    "asst": NORA_TREE,  # nora's assistant reads what nora reads
    "pat": {"d_pat", "d_pam"},  # partner user: their partner department
    "pam": {"d_pat", "d_pam"},
    "pete": {"d_pete"},  # another partner: nothing of partner_a
    "wendy": {"d_boss"},  # criteria rule by filter (won deals → wendy, read/write)
    "tim": {"d_team", "d_sue"},  # team member (read) + criteria formula rule via nested group
    "eve": ALL_DEALS,  # scope "all" (no dimension on deals)
    "gone": set(),  # disabled: nothing, and their records stay for the others
}
EDIT = {
    "admin": ALL_DEALS,
    "boss": INTERNAL,
    "nora": NORA_TREE,
    "ned": {"d_ned"},
    "nick": {"d_nick"},
    "dora": set(),  # reads her department, edits only her own (none)
    "dave": NORA_TREE,  # modify: department and children
    "sam": {"d_sam", "d_team"},  # the north rule is read-only
    "sue": {"d_sue", "d_team"},  # read/write team member
    "asst": set(),  # assistants never edit through the manager
    "pat": {"d_pat"},
    "pam": {"d_pam"},
    "pete": {"d_pete"},
    "wendy": {"d_boss"},  # read/write rule
    "tim": set(),  # read team member, read-only rule
    "eve": set(),
    "gone": set(),
}
DELETE = {
    "admin": ALL_DEALS,
    "boss": {"d_boss"},  # manager deletes only their own
    "nora": {"d_nora"},
    "ned": {"d_ned"},
    "sue": {"d_sue"},  # teams and rules never grant delete
    "asst": set(),
    "wendy": set(),
    "pat": {"d_pat"},
    "gone": set(),
}
PRINCIPALS = sorted(READ)


def visible(org, username: str, operation: str, object_name: str = "sec_deal") -> set[str]:
    """Names of the records the predicate lets ``username`` reach for ``operation``."""
    table = org.site.tables[object_name]
    predicate = org.policy.predicate(org.actor(username), object_name, table, operation)
    statement = sa.select(table.c.name).where(table.c.deleted_at.is_(None))
    if predicate is not None:
        statement = statement.where(predicate)
    with org.site.engine.connect() as connection:
        return set(connection.execute(statement).scalars())


@pytest.mark.parametrize("username", PRINCIPALS)
def test_every_read_path_gives_the_same_deals(org, username):
    actor = org.actor(username)
    expected = READ[username]
    if username == "gone":
        with pytest.raises(RecordPermissionError):
            org.service.find(actor, "sec_deal")
        assert visible(org, username, "read") == set()
        return
    # list (two pages, so the cursor path is covered), count, get, history
    first = org.service.find(actor, "sec_deal", sort=["name"], limit=3)
    names = [record["name"] for record in first.records]
    cursor = first.next_cursor
    while cursor is not None:
        page = org.service.find(actor, "sec_deal", sort=["name"], limit=3, cursor=cursor)
        names += [record["name"] for record in page.records]
        cursor = page.next_cursor
    assert set(names) == expected and len(names) == len(expected)
    assert org.service.count(actor, "sec_deal").value == len(expected)
    for name, record_id in org.deals.items():
        if name in expected:
            assert org.service.get(actor, "sec_deal", record_id)["name"] == name
            assert org.service.history(actor, "sec_deal", record_id)
        else:
            with pytest.raises(RecordNotFoundError):
                org.service.get(actor, "sec_deal", record_id)
            with pytest.raises(RecordNotFoundError):
                org.service.history(actor, "sec_deal", record_id)
    # a filter cannot widen what the predicate allows
    filtered = org.service.find(actor, "sec_deal", filter={"or": [{"amount": {"gte": 0}}, {"amount": {"is_null": True}}]}, limit=100)
    assert {record["name"] for record in filtered.records} == expected
    assert visible(org, username, "read") == expected


@pytest.mark.parametrize("username", PRINCIPALS)
def test_related_lists_lookups_and_expansion_follow_the_parent(org, username):
    """People inherit a deal's team; lines go with their deal; an expanded deal the actor cannot
    read comes back blank, and filtering on its fields finds nothing."""
    if username == "gone":
        return
    actor = org.actor(username)
    deals = READ[username]
    lines = org.service.find(actor, "sec_line", filter={"deal": org.deals["d_ned"]}).records
    assert [line["name"] for line in lines] == (["l_ned"] if "d_ned" in deals else [])
    people = org.service.find(actor, "sec_person", expand=["deal"], sort=["name"], limit=10).records
    for person in people:
        deal_name = [name for name, record_id in org.deals.items() if record_id == person["deal"]["id"]] if person["deal"] else []
        # the expansion shows the deal's name only to who may read the deal
        if person["deal"] is not None:
            assert deal_name and deal_name[0] in deals
            assert person["deal"]["name"] == deal_name[0]
    found = org.service.find(actor, "sec_person", filter={"deal.name": "d_ned"}).records
    assert [person["name"] for person in found] == (["p_ned"] if "d_ned" in deals and _reads_person(username, "p_ned") else [])


#: who reads which person: its owner and the owner's managers, role scopes, the deal's team
PEOPLE = {
    "p_ned": {"admin", "boss", "nora", "ned", "dave", "asst", "eve"},  # dora: ned is in north_east, not north
    "p_team": {"admin", "boss", "sam", "tim", "sue", "eve"},  # tim and sue through d_team's team
}


def _reads_person(username: str, person: str) -> bool:
    return username in PEOPLE[person]


@pytest.mark.parametrize("username", sorted(set(PRINCIPALS) - {"gone"}))
def test_people_inherit_the_team_of_their_deal(org, username):
    actor = org.actor(username)
    names = {person["name"] for person in org.service.find(actor, "sec_person", limit=10).records}
    expected = {name for name in ("p_team", "p_ned") if _reads_person(username, name)}
    assert names == expected


@pytest.mark.parametrize("username", PRINCIPALS)
def test_edit_scopes(org, username):
    assert visible(org, username, "edit") == EDIT[username]


@pytest.mark.parametrize("username", sorted(DELETE))
def test_delete_and_transfer_scopes(org, username):
    assert visible(org, username, "delete") == DELETE[username]
    # nobody in this org transfers more than they may delete, except managers over subordinates
    transfer = visible(org, username, "transfer")
    if username == "boss":
        assert transfer == INTERNAL
    elif username == "nora":
        assert transfer == NORA_TREE
    else:
        assert transfer == DELETE[username]


def test_the_record_service_refuses_what_the_edit_predicate_refuses(fresh_org):
    org = fresh_org
    asst, sue, tim = org.actor("asst"), org.actor("sue"), org.actor("tim")
    # the assistant reads nora's deal but cannot change it
    assert org.service.get(asst, "sec_deal", org.deals["d_nora"])["name"] == "d_nora"
    with pytest.raises(RecordNotFoundError):
        org.service.update(asst, "sec_deal", org.deals["d_nora"], {"amount": 1})
    # a read/write team member edits, a read member does not; neither deletes
    assert org.service.update(sue, "sec_deal", org.deals["d_team"], {"amount": 7})["amount"] == 7
    with pytest.raises(RecordNotFoundError):
        org.service.update(tim, "sec_deal", org.deals["d_team"], {"amount": 8})
    with pytest.raises(RecordNotFoundError):
        org.service.delete(sue, "sec_deal", org.deals["d_team"])
    # a transfer needs the transfer scope: sue may edit d_team but not give it away
    with pytest.raises(RecordNotFoundError):
        org.service.update(sue, "sec_deal", org.deals["d_team"], {"owner": org.users["sue"]})
    boss = org.actor("boss")
    assert org.service.update(boss, "sec_deal", org.deals["d_nick"], {"owner": org.users["ned"]})["owner"] == org.users["ned"]
    org.service.delete(org.actor("ned"), "sec_deal", org.deals["d_ned"])
    assert org.service.get(org.actor("admin"), "sec_deal", org.deals["d_team"])["amount"] == 7


def test_hidden_fields_are_never_returned_filtered_sorted_or_written(org):
    ned = org.actor("ned")
    record = org.service.get(ned, "sec_deal", org.deals["d_ned"])
    assert "secret" not in record and record["margin"] == 3
    # a formula over a hidden field would show it, so it is hidden too; one over visible fields is not
    assert "secret_length" not in record and record["double_amount"] == 22
    assert org.service.get(org.actor("admin"), "sec_deal", org.deals["d_ned"])["secret_length"] == 7
    assert all("secret" not in row for row in org.service.find(ned, "sec_deal").records)
    for query in ({"filter": {"secret": "changed"}}, {"sort": ["secret"]}, {"filter": {"deal.secret": {"is_null": False}}}):
        object_name = "sec_person" if "deal.secret" in str(query) else "sec_deal"
        with pytest.raises(QueryError) as caught:
            org.service.find(ned, object_name, **query)
        assert caught.value.errors[0].code == "unknown_field"
    with pytest.raises(QueryError):
        org.service.count(ned, "sec_deal", filter={"secret": "changed"})
    fields = {row["field"] for row in org.service.history(ned, "sec_deal", org.deals["d_ned"])}
    assert "amount" in fields and "secret" not in fields
    admin_fields = {row["field"] for row in org.service.history(org.actor("admin"), "sec_deal", org.deals["d_ned"])}
    assert "secret" in admin_fields
    for values in ({"secret": "x"}, {"margin": 4}):
        with pytest.raises(RecordPermissionError) as caught:
            org.service.update(ned, "sec_deal", org.deals["d_ned"], values)
        assert caught.value.errors[0].code == "field_forbidden"
    assert org.policy.field_permissions(ned, "sec_deal")["secret"] == {"read": False, "edit": False}
    assert org.policy.field_permissions(ned, "sec_deal")["margin"] == {"read": True, "edit": False}
    assert org.policy.field_permissions(org.actor("admin"), "sec_deal")["secret"] == {"read": True, "edit": True}


@pytest.mark.parametrize(
    "username, expected",
    [
        ("eve", {"r_ct", "r_ct_low"}),  # scope all ∩ product line ct (and the values below it)
        ("daisy", {"r_mri"}),  # north and below ∩ mri
        ("dave", set()),  # north and below, but no product line at all
        ("ned", {"r_ct", "r_none"}),  # an owner always reaches their own records
        ("boss", set()),  # subordinates' records, but no product line
        ("admin", {"r_ct", "r_ct_low", "r_mri", "r_none"}),
    ],
)
def test_dimensions_intersect_with_the_role_scope(org, username, expected):
    records = org.service.find(org.actor(username), "sec_region_deal", limit=10).records
    assert {record["name"] for record in records} == expected


def test_a_disabled_user_cannot_act_but_their_records_stay(org):
    gone = org.actor("gone")
    assert org.policy.object_permissions(gone, "sec_deal") == {"create": False, "read": False, "edit": False, "delete": False}
    assert "d_gone" in READ["nora"] and org.service.get(org.actor("nora"), "sec_deal", org.deals["d_gone"])["name"] == "d_gone"


def test_profiles_decide_objects_and_admin(org):
    assert org.policy.is_admin(org.actor("admin")) and not org.policy.is_admin(org.actor("boss"))
    assert org.policy.object_permissions(org.actor("ned"), "sec_deal") == {"create": True, "read": True, "edit": True, "delete": True}
    assert "sec_deal" in org.policy.readable_objects(org.actor("ned"))
    assert set(org.policy.readable_objects(org.actor("admin"))) == set(org.site.registry.objects)


def test_one_record_reads_are_not_shared_between_actors(org):
    """``get`` reuses its statement across actors: each actor's rows and each expansion's access
    condition must still be their own, whoever asked first (the admin goes first here)."""
    admin = org.actor("admin")
    people = org.service.find(admin, "sec_person", limit=10).records
    assert people
    for username in ["admin"] + sorted(set(PRINCIPALS) - {"admin", "gone"}):
        actor = org.actor(username)
        for name, record_id in org.deals.items():
            if name in READ[username]:
                assert org.service.get(actor, "sec_deal", record_id)["name"] == name
            else:
                with pytest.raises(RecordNotFoundError):
                    org.service.get(actor, "sec_deal", record_id)
        for person in people:
            if not _reads_person(username, person["name"]):
                with pytest.raises(RecordNotFoundError):
                    org.service.get(actor, "sec_person", person["id"], expand=["deal"])
                continue
            expanded = org.service.get(actor, "sec_person", person["id"], expand=["deal"])["deal"]
            deal_name = next(name for name, record_id in org.deals.items() if record_id == person["deal"])
            assert expanded["id"] == person["deal"]
            assert expanded["name"] == (deal_name if deal_name in READ[username] else None), (username, person["name"])
