"""An org to test security on: departments, users in every position the rules care about, deals.

The ``sec`` fixture package (deals with teams, people inheriting a deal's team, lines going with
their deal, regional deals with a product-line dimension) keeps these tests off the CRM. The org
is built once per module through the record service and the assignment functions, the way an
admin would, and read by many tests; tests that write build their own.

    hq (head boss) ── north (head nora) ── north_east (no head)
                  └── south (head sam)
    partner_a (partner)      partner_b (partner)
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from metadata.registry import SYSTEM_PACKAGE
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.security import SecurityPolicy, assign, set_assistants, set_dimension_values, set_group_members, set_team_member
from runtime.site import init_site

SEC_PACKAGE = Path(__file__).parent / "fixtures" / "sec"
TEST_DATABASE_URL_ENV = "TESSERA_TEST_DATABASE_URL"

DEPARTMENTS = [  # code, parent code, head username, kind
    ("hq", None, "boss", "internal"),
    ("north", "hq", "nora", "internal"),
    ("north_east", "north", None, "internal"),
    ("south", "hq", "sam", "internal"),
    ("partner_a", None, None, "partner"),
    ("partner_b", None, None, "partner"),
]
USERS = [  # username, department, roles, extra
    ("admin", "hq", ["administrator"], {}),
    ("boss", "hq", ["manager"], {}),
    ("nora", "north", ["manager"], {}),
    ("ned", "north_east", [], {}),
    ("nick", "north", [], {}),
    ("dora", "north", ["sec_department"], {}),
    ("dave", "north", ["sec_division"], {}),
    ("daisy", "north", ["sec_division"], {}),
    ("sam", "south", [], {}),
    ("sue", "south", [], {}),
    ("asst", "hq", [], {}),
    ("wendy", "hq", [], {}),
    ("tim", "hq", [], {}),
    ("eve", "hq", ["sec_everyone"], {}),
    ("pat", "partner_a", ["partner_user"], {"user_kind": "partner"}),
    ("pam", "partner_a", ["partner_user"], {"user_kind": "partner"}),
    ("pete", "partner_b", ["partner_user"], {"user_kind": "partner"}),
    ("gone", "north", [], {}),
]
DEALS = [  # name, owner, amount, stage
    ("d_ned", "ned", 10, "open"),
    ("d_nick", "nick", 10, "open"),
    ("d_nora", "nora", 10, "open"),
    ("d_sam", "sam", 10, "open"),
    ("d_sue", "sue", 5000, "open"),
    ("d_boss", "boss", 10, "won"),
    ("d_pat", "pat", 10, "open"),
    ("d_pam", "pam", 10, "open"),
    ("d_pete", "pete", 10, "open"),
    ("d_gone", "gone", 10, "open"),
    ("d_team", "sam", 10, "open"),
]
REGION_DEALS = [("r_ct", "ned", "ct"), ("r_ct_low", "nick", "ct_low"), ("r_mri", "nick", "mri"), ("r_none", "ned", None)]


@dataclass
class Org:
    """The built org: the service (with the security policy), and ids by name."""

    site: object
    policy: SecurityPolicy
    service: RecordService
    users: dict[str, str]
    departments: dict[str, str]
    deals: dict[str, str]
    people: dict[str, str]
    lines: dict[str, str]
    region_deals: dict[str, str]

    def actor(self, username: str) -> Actor:
        return Actor(user_id=self.users[username])

    def deal_names(self, ids) -> set[str]:
        names = {value: key for key, value in self.deals.items()}
        return {names[record_id] for record_id in ids}


def build_org(engine) -> Org:
    site = init_site(engine, [SYSTEM_PACKAGE, SEC_PACKAGE])
    policy = SecurityPolicy(site, recheck_seconds=0)  # every Actor sees the changes made just before
    service = RecordService(site, access=policy)
    departments: dict[str, str] = {}
    for code, parent, _, kind in DEPARTMENTS:
        record = service.create(SYSTEM, "department", {"name": code.title(), "code": code, "parent": departments.get(parent), "department_kind": kind})
        departments[code] = record["id"]
    users: dict[str, str] = {}
    for username, department, roles, extra in USERS:
        record = service.create(SYSTEM, "user", {"username": username, "name": username.title(), "department": departments[department], **extra})
        users[username] = record["id"]
        assign(site, record["id"], roles=roles, profiles=["administrator"] if username == "admin" else ["sec_rep"])
    for code, _, head, _ in DEPARTMENTS:
        if head is not None:
            service.update(SYSTEM, "department", departments[code], {"head": users[head]})
    set_assistants(site, users["nora"], [users["asst"]])
    set_group_members(site, "sec_big_readers", [users["tim"]])
    set_dimension_values(site, users["eve"], "sec_line", primary="ct")
    set_dimension_values(site, users["daisy"], "sec_line", primary="mri")
    deals = {}
    for name, owner, amount, stage in DEALS:
        record = service.create(SYSTEM, "sec_deal", {"name": name, "owner": users[owner], "amount": amount, "stage": stage, "secret": f"s-{name}", "margin": 3})
        deals[name] = record["id"]
    set_team_member(site, "sec_deal", deals["d_team"], users["tim"], "read")
    set_team_member(site, "sec_deal", deals["d_team"], users["sue"], "read_write")
    people = {
        "p_team": service.create(SYSTEM, "sec_person", {"name": "p_team", "owner": users["sam"], "deal": deals["d_team"]})["id"],
        "p_ned": service.create(SYSTEM, "sec_person", {"name": "p_ned", "owner": users["ned"], "deal": deals["d_ned"]})["id"],
    }
    lines = {"l_ned": service.create(SYSTEM, "sec_line", {"name": "l_ned", "deal": deals["d_ned"]})["id"]}
    region_deals = {
        name: service.create(SYSTEM, "sec_region_deal", {"name": name, "owner": users[owner], "line": line})["id"] for name, owner, line in REGION_DEALS
    }
    # the disabled user keeps their records
    service.update(SYSTEM, "user", users["gone"], {"active": False})
    # a tracked change, so history has something to show (and to hide)
    service.update(SYSTEM, "sec_deal", deals["d_ned"], {"secret": "changed", "amount": 11})
    return Org(site, policy, service, users, departments, deals, people, lines, region_deals)


@pytest.fixture(scope="module")
def org_engine(tmp_path_factory):
    """A database for one module's org (a PostgreSQL schema when the suite runs on PostgreSQL)."""
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if url:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = sa.create_engine(url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        yield engine
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('org') / 'org.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def org(org_engine) -> Org:
    """The org, shared by a module's read-only tests."""
    return build_org(org_engine)


@pytest.fixture
def fresh_org(engine) -> Org:
    """An org of its own, for tests that change it."""
    return build_org(engine)
