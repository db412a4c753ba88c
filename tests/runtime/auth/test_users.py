"""Disabling a user: one transaction with the end of their grants; never oneself, never the last admin."""

from __future__ import annotations

import pytest

from runtime.auth import Authenticator, AuthSettings
from runtime.auth.users import active_administrators, disable_user
from runtime.errors import RecordValidationError
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.security import ADMINISTRATOR, SecurityPolicy, assign
from runtime.site import init_site

SETTINGS = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)


@pytest.fixture
def setup(engine):
    site = init_site(engine)
    records = RecordService(site, access=SecurityPolicy(site, recheck_seconds=0))
    auth = Authenticator(site, SETTINGS)
    people = {}
    for username in ("root", "ana", "bo"):
        people[username] = records.create(SYSTEM, "user", {"username": username, "name": username})["id"]
    assign(site, people["root"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    yield site, records, auth, people
    site.dispose()


def _codes(caught) -> list[tuple[str | None, str]]:
    return [(error.field, error.code) for error in caught.value.errors]


def test_disabling_ends_every_session_and_token_for_good(setup):
    site, records, auth, people = setup
    session, token = auth.start_session(people["ana"]), auth.issue_token(people["ana"])
    record = disable_user(records, Actor(user_id=people["root"]), people["ana"])
    assert record["active"] is False
    assert auth.session(session.secret) is None and auth.token_user(token.secret) is None
    # enabled again: what was issued before stays revoked
    records.update(SYSTEM, "user", people["ana"], {"active": True})
    assert auth.session(session.secret) is None and auth.token_user(token.secret) is None


def test_any_write_that_disables_a_user_ends_their_grants(setup):
    """A form or an import changes ``active`` through the pipeline: the policy ends the grants too."""
    site, records, auth, people = setup
    token = auth.issue_token(people["bo"])
    records.update(Actor(user_id=people["root"]), "user", people["bo"], {"active": False})
    records.update(SYSTEM, "user", people["bo"], {"active": True})
    assert auth.token_user(token.secret) is None


def test_nobody_disables_themselves(setup):
    site, records, auth, people = setup
    assign(site, people["ana"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    with pytest.raises(RecordValidationError) as caught:
        disable_user(records, Actor(user_id=people["root"]), people["root"])
    assert _codes(caught) == [("active", "cannot_disable_self")]
    assert records.get(SYSTEM, "user", people["root"])["active"] is True


def test_the_last_active_administrator_stays(setup):
    site, records, auth, people = setup
    token = auth.issue_token(people["root"])
    with pytest.raises(RecordValidationError) as caught:
        disable_user(records, SYSTEM, people["root"])
    assert _codes(caught) == [("active", "last_administrator")]
    assert auth.token_user(token.secret) == people["root"]  # nothing was written
    assign(site, people["ana"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    with site.engine.connect() as connection:
        assert sorted(active_administrators(connection, site)) == sorted([people["root"], people["ana"]])
    disable_user(records, SYSTEM, people["root"])
    with pytest.raises(RecordValidationError):
        disable_user(records, SYSTEM, people["ana"])
