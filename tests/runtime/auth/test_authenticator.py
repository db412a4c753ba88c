"""The Authenticator on its own: hashes only, expiry, revocation, throttling by username."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from runtime.auth import Authenticator, AuthSettings, InvalidCredentials, LoginLocked
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.site import init_site

SETTINGS = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, max_failures=3, lockout=dt.timedelta(minutes=10))


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def setup(engine):
    site = init_site(engine)
    clock = Clock()
    auth = Authenticator(site, SETTINGS, clock=clock)
    records = RecordService(site)
    user = records.create(SYSTEM, "user", {"username": "Mei", "name": "Mei"})
    auth.set_password(user["id"], "s3cret")
    yield site, auth, clock, records, user
    site.dispose()


def test_passwords_sessions_and_tokens_are_stored_only_as_hashes(setup):
    site, auth, clock, records, user = setup
    assert auth.authenticate("mei", "s3cret") == user["id"]  # usernames are case-insensitive
    session = auth.start_session(user["id"])
    token = auth.issue_token(user["id"])
    with site.engine.connect() as connection:
        stored = " ".join(
            str(value)
            for name in ("tessera_credential", "tessera_session", "tessera_api_token")
            for row in connection.execute(sa.select(site.platform[name]))
            for value in row
        )
    assert "s3cret" not in stored and session.secret not in stored and token.secret not in stored
    assert "$argon2id$" in stored


def test_sessions_and_tokens_expire_and_can_be_revoked(setup):
    site, auth, clock, records, user = setup
    session = auth.start_session(user["id"])
    token = auth.issue_token(user["id"])
    assert auth.session(session.secret).user_id == user["id"]
    assert auth.token_user(token.secret) == user["id"]
    clock.now += SETTINGS.session_lifetime + dt.timedelta(seconds=1)
    assert auth.session(session.secret) is None
    assert auth.token_user(token.secret) == user["id"]
    assert auth.revoke_token(token.secret) and not auth.revoke_token(token.secret)
    assert auth.token_user(token.secret) is None


def test_a_new_password_ends_every_session(setup):
    site, auth, clock, records, user = setup
    session = auth.start_session(user["id"])
    auth.set_password(user["id"], "other")
    assert auth.session(session.secret) is None
    with pytest.raises(InvalidCredentials):
        auth.authenticate("Mei", "s3cret")
    assert auth.authenticate("Mei", "other") == user["id"]


def test_failures_lock_a_username_for_a_while_even_an_unknown_one(setup):
    site, auth, clock, records, user = setup
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            auth.authenticate("Mei", "bad")
    with pytest.raises(LoginLocked) as locked:
        auth.authenticate("Mei", "bad")
    assert locked.value.retry_after == 600
    with pytest.raises(LoginLocked):
        auth.authenticate("Mei", "s3cret")
    clock.now += dt.timedelta(minutes=11)
    assert auth.authenticate("Mei", "s3cret") == user["id"]
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            auth.authenticate("ghost", "x")
    with pytest.raises(LoginLocked):
        auth.authenticate("ghost", "x")


def test_a_success_resets_the_failure_count(setup):
    site, auth, clock, records, user = setup
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            auth.authenticate("Mei", "bad")
    auth.authenticate("Mei", "s3cret")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            auth.authenticate("Mei", "bad")


def test_disabled_users_cannot_sign_in_and_their_grants_stop_working(setup):
    site, auth, clock, records, user = setup
    session = auth.start_session(user["id"])
    token = auth.issue_token(user["id"])
    records.update(SYSTEM, "user", user["id"], {"active": False})
    assert auth.session(session.secret) is None and auth.token_user(token.secret) is None
    with pytest.raises(InvalidCredentials):
        auth.authenticate("Mei", "s3cret")


def test_guessing_across_many_usernames_from_one_address_is_throttled(setup):
    """100 usernames × 1 guess went through unthrottled: the address has a limit of its own."""
    site, auth, clock, records, user = setup
    limited = Authenticator(site, AuthSettings(**{**SETTINGS.__dict__, "max_address_failures": 5}), clock=clock)
    for index in range(4):
        with pytest.raises(InvalidCredentials):
            limited.authenticate(f"someone{index}", "guess", address="203.0.113.9")
    with pytest.raises(LoginLocked):
        limited.authenticate("someone4", "guess", address="203.0.113.9")
    # now even the right password waits, from that address only
    with pytest.raises(LoginLocked):
        limited.authenticate("Mei", "s3cret", address="203.0.113.9")
    assert limited.authenticate("Mei", "s3cret", address="198.51.100.7") == user["id"]
    clock.now += SETTINGS.lockout + dt.timedelta(seconds=1)
    assert limited.authenticate("Mei", "s3cret", address="203.0.113.9") == user["id"]


def test_a_username_lock_expires_and_an_admin_can_clear_it(setup):
    site, auth, clock, records, user = setup
    for _ in range(SETTINGS.max_failures):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            auth.authenticate("Mei", "bad")
    with pytest.raises(LoginLocked):
        auth.authenticate("Mei", "s3cret")
    clock.now += SETTINGS.lockout + dt.timedelta(seconds=1)
    assert auth.authenticate("Mei", "s3cret") == user["id"]
    for _ in range(SETTINGS.max_failures):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            auth.authenticate("Mei", "bad")
    assert auth.unlock(" MEI ") is True
    assert auth.authenticate("Mei", "s3cret") == user["id"]
    assert auth.unlock("Mei") is False


def test_a_known_device_is_not_held_by_the_lock_and_clears_it(setup):
    site, auth, clock, records, user = setup
    device = auth.remember_device("Mei").secret
    for _ in range(SETTINGS.max_failures):  # someone else guessing locks the username
        with pytest.raises((InvalidCredentials, LoginLocked)):
            auth.authenticate("Mei", "bad", address="203.0.113.9")
    with pytest.raises(LoginLocked):
        auth.authenticate("Mei", "s3cret")
    with pytest.raises(LoginLocked):
        auth.authenticate("Mei", "s3cret", device="forged")
    # the owner's browser signs in, and its success clears the lock for everyone
    assert auth.authenticate("Mei", "s3cret", device=device) == user["id"]
    assert auth.authenticate("Mei", "s3cret") == user["id"]
    # a device is known for its own username only
    other = records.create(SYSTEM, "user", {"username": "kai", "name": "Kai"})
    auth.set_password(other["id"], "pw")
    for _ in range(SETTINGS.max_failures):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            auth.authenticate("kai", "bad")
    with pytest.raises(LoginLocked):
        auth.authenticate("kai", "pw", device=device)


def test_guesses_through_a_known_device_wear_it_out(setup):
    site, auth, clock, records, user = setup
    device = auth.remember_device("Mei").secret
    for _ in range(SETTINGS.max_failures):
        with pytest.raises(InvalidCredentials):  # the device is not locked out by the username lock...
            auth.authenticate("Mei", "bad", device=device)
    # ...but after as many failures it is no longer known, and the username lock holds it back
    for _ in range(SETTINGS.max_failures):
        with pytest.raises((InvalidCredentials, LoginLocked)):
            auth.authenticate("Mei", "bad", device=device)
    with pytest.raises(LoginLocked):
        auth.authenticate("Mei", "s3cret", device=device)


def test_signing_secrets_are_shared_by_every_process_of_a_site(setup):
    site, auth, clock, records, user = setup
    first = auth.signing_secret("login_csrf")
    assert len(first) == 64 and Authenticator(site, SETTINGS).signing_secret("login_csrf") == first
    assert auth.signing_secret("other") != first
