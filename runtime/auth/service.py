"""The :class:`Authenticator`: passwords, sessions, API tokens and the failed-login lock.

Sessions and API tokens are random secrets handed to the client once; the database keeps only
their SHA-256, so reading the table does not let anyone sign in. Each is revocable server-side
(``revoked_at``) and expires. A user who is disabled (``active`` false) or removed stops being
resolved at once: every lookup joins the ``user`` table, so no cached session outlives the change.

Sign-in is throttled two ways. Repeated failures for one username lock sign-in for that username
for a while, whether or not the user exists (the answer never tells which usernames exist); the
lock expires, and a browser that signed in as that username before (a *known device*: a random
secret handed out at sign-in, kept as a hash) is not held by it, so a guesser cannot lock the
owner out for good, and the owner's sign-in from such a device clears it. Repeated failures from
one client address lock that address, whichever usernames it tries, so guessing one password for
each of many usernames is throttled too. An administrator clears a username's lock with
:meth:`Authenticator.unlock`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from runtime.auth.errors import InvalidCredentials, LoginLocked
from runtime.auth.tables import API_TOKEN, AUTH_SECRET, CREDENTIAL, LOGIN_ADDRESS, LOGIN_DEVICE, LOGIN_THROTTLE, SESSION

__all__ = ["AuthSettings", "Authenticator", "Grant"]

USER_OBJECT = "user"


@dataclass(frozen=True)
class AuthSettings:
    """How long grants live and how hard sign-in is throttled."""

    session_lifetime: dt.timedelta = dt.timedelta(days=7)
    token_lifetime: dt.timedelta = dt.timedelta(days=30)
    #: consecutive failures (within ``failure_window``) that lock a username
    max_failures: int = 5
    failure_window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    #: failures from one client address (any usernames) within ``failure_window`` that lock it
    max_address_failures: int = 20
    #: how long a browser that signed in stays a known device for that username
    device_lifetime: dt.timedelta = dt.timedelta(days=90)
    #: argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile)
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4


@dataclass(frozen=True)
class Grant:
    """A session or API token just issued: ``secret`` is shown to the client once, never stored."""

    secret: str
    user_id: str
    expires_at: dt.datetime
    csrf_token: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    """A live session: whose it is and the CSRF token bound to it (and the user record's
    ``version`` as the lookup found it, so a caller may keep the record it read for that version)."""

    user_id: str
    csrf_token: str
    user_version: int | None = None


@dataclass(frozen=True)
class TokenHolder:
    """Whose a live API token is (and the user record's ``version`` as the lookup found it)."""

    user_id: str
    user_version: int | None = None


def _username_key(username: Any) -> str:
    """The throttle key of a typed username: trimmed, lower case, at most 150 characters."""
    # no username holds a NUL (text fields refuse it), and PostgreSQL refuses one in a query
    return username.strip().lower()[:150].replace("\x00", "\ufffd") if isinstance(username, str) else ""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


class Authenticator:
    """Signs users in and resolves the sessions and tokens they present, for one site."""

    def __init__(self, site, settings: AuthSettings | None = None, *, clock: Callable[[], dt.datetime] = _utcnow):
        self.site = site
        self.settings = settings or AuthSettings()
        self.clock = clock
        self.hasher = PasswordHasher(
            time_cost=self.settings.argon2_time_cost,
            memory_cost=self.settings.argon2_memory_cost,
            parallelism=self.settings.argon2_parallelism,
        )
        self._decoy_hash: str | None = None
        self._lookups: dict[str, tuple[tuple[sa.Table, sa.Table], sa.Select]] = {}

    @property
    def _decoy(self) -> str:
        """A hash verified against when the username is unknown, so both cases take the same time."""
        if self._decoy_hash is None:
            self._decoy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._decoy_hash

    # -- tables ----------------------------------------------------------------------------

    @property
    def _credential(self) -> sa.Table:
        return self.site.platform[CREDENTIAL]

    @property
    def _session(self) -> sa.Table:
        return self.site.platform[SESSION]

    @property
    def _token(self) -> sa.Table:
        return self.site.platform[API_TOKEN]

    @property
    def _throttle(self) -> sa.Table:
        return self.site.platform[LOGIN_THROTTLE]

    @property
    def _address(self) -> sa.Table:
        return self.site.platform[LOGIN_ADDRESS]

    @property
    def _device(self) -> sa.Table:
        return self.site.platform[LOGIN_DEVICE]

    @property
    def _user(self) -> sa.Table:
        return self.site.table(USER_OBJECT)

    def _active_user(self) -> sa.ColumnElement[bool]:
        user = self._user
        return sa.and_(user.c.deleted_at.is_(None), sa.func.coalesce(user.c.active, sa.true()) == sa.true())

    def _lookup(self, table: sa.Table, hash_column: str, *columns: str) -> sa.Select:
        """The SELECT that finds the live row behind a presented secret's hash, joined to an active
        user; built once per table version, since every request runs one (SQLAlchemy then reuses
        its compiled form)."""
        user = self._user
        cached = self._lookups.get(hash_column)
        if cached is None or cached[0] != (table, user):
            statement = (
                sa.select(*(table.c[name] for name in columns), user.c.version.label("user_version"))
                .select_from(table.join(user, user.c.id == table.c.user_id))
                .where(table.c[hash_column] == sa.bindparam("digest"), table.c.revoked_at.is_(None), self._active_user())
            )
            cached = self._lookups[hash_column] = ((table, user), statement)
        return cached[1]

    # -- passwords -------------------------------------------------------------------------

    def set_password(self, user_id: str, password: str, *, connection: sa.Connection | None = None) -> None:
        """Store (or replace) a user's password, as an argon2id hash; ends the user's sessions and tokens."""
        if not isinstance(password, str) or not password:
            raise ValueError("a password must be a non-empty string")
        hashed = self.hasher.hash(password)
        now = self.clock()
        with self._connection(connection) as conn:
            table = self._credential
            updated = conn.execute(sa.update(table).where(table.c.user_id == user_id).values(password_hash=hashed, changed_at=now))
            if updated.rowcount == 0:
                conn.execute(sa.insert(table).values(user_id=user_id, password_hash=hashed, changed_at=now))
            self._revoke_user(conn, user_id, now)

    def authenticate(self, username: str, password: str, *, address: str | None = None, device: str | None = None) -> str:
        """The id of the active user with this username and password.

        ``address``: the client's address, for the per-address limit (None: not limited by
        address). ``device``: the known-device secret the client presented (see
        :meth:`remember_device`); while it is known for this username, neither lock applies and a
        success clears the username's lock. Raises :class:`LoginLocked` while the username or the
        address is locked, :class:`InvalidCredentials` otherwise (unknown user, wrong password,
        disabled user alike).
        """
        key = _username_key(username)
        address = address[:64].replace("\x00", "\ufffd") if isinstance(address, str) and address else None
        now = self.clock()
        with self.site.begin() as conn:
            known = self._known_device(conn, device, key, now)
            if not known:
                self._check_address(conn, address, now)
                self._check_lock(conn, key, now)
            user, credential = self._user, self._credential
            row = conn.execute(
                sa.select(user.c.id, credential.c.password_hash)
                .select_from(user.join(credential, credential.c.user_id == user.c.id))
                .where(sa.func.lower(user.c.username) == key, self._active_user())
            ).first()
        stored = row.password_hash if row is not None else self._decoy
        ok = False
        if isinstance(password, str):
            try:
                ok = self.hasher.verify(stored, password) and row is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        if not ok:
            with self.site.begin() as conn:
                if known:
                    # guesses through a known device count against that device, which stops being
                    # known after as many failures as lock a username
                    self._device_failure(conn, device, now)
                    locked = False
                else:
                    locked = self._record_failure(conn, key, now)
                    locked = self._address_failure(conn, address, now) or locked
            if locked:
                raise LoginLocked(int(self.settings.lockout.total_seconds()))
            raise InvalidCredentials()
        with self.site.begin() as conn:
            conn.execute(sa.delete(self._throttle).where(self._throttle.c.username == key))
            if known:
                conn.execute(sa.update(self._device).where(self._device.c.token_hash == _digest(device)).values(failures=0))
            if self.hasher.check_needs_rehash(stored):
                conn.execute(
                    sa.update(self._credential)
                    .where(self._credential.c.user_id == row.id)
                    .values(password_hash=self.hasher.hash(password), changed_at=now)
                )
        return row.id

    def unlock(self, username: str) -> bool:
        """Clear the failed sign-in lock (and count) of a username; whether there was one."""
        with self.site.begin() as conn:
            deleted = conn.execute(sa.delete(self._throttle).where(self._throttle.c.username == _username_key(username)))
        return deleted.rowcount > 0

    def remember_device(self, username: str, *, replacing: str | None = None) -> Grant:
        """A known-device secret for the browser that just signed in as ``username`` (kept as a
        hash); presented at a later sign-in, the username's lock does not hold that browser back.
        ``replacing``: the device secret the browser presented, which the new one replaces."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.settings.device_lifetime
        with self.site.begin() as conn:
            # keep the table small: expired devices and the one replaced go
            gone = [self._device.c.expires_at <= now]
            if replacing:
                gone.append(self._device.c.token_hash == _digest(replacing))
            conn.execute(sa.delete(self._device).where(sa.or_(*gone)))
            conn.execute(
                sa.insert(self._device).values(token_hash=_digest(secret), username=_username_key(username), failures=0, created_at=now, expires_at=expires)
            )
        return Grant(secret, "", expires)

    def _known_device(self, conn: sa.Connection, device: str | None, key: str, now: dt.datetime) -> bool:
        if not device or not isinstance(device, str):
            return False
        table = self._device
        row = conn.execute(sa.select(table.c.username, table.c.failures, table.c.expires_at).where(table.c.token_hash == _digest(device))).first()
        return row is not None and row.username == key and _aware(row.expires_at) > now and row.failures < self.settings.max_failures

    def _device_failure(self, conn: sa.Connection, device: str, now: dt.datetime) -> None:
        table = self._device
        conn.execute(sa.update(table).where(table.c.token_hash == _digest(device)).values(failures=table.c.failures + 1))

    def _check_address(self, conn: sa.Connection, address: str | None, now: dt.datetime) -> None:
        if address is None:
            return
        locked_until = _aware(conn.execute(sa.select(self._address.c.locked_until).where(self._address.c.address == address)).scalar())
        if locked_until is not None and locked_until > now:
            raise LoginLocked(int((locked_until - now).total_seconds()) + 1)

    def _address_failure(self, conn: sa.Connection, address: str | None, now: dt.datetime) -> bool:
        """Count a failure from ``address`` (in a window from its first failure); whether it locks it.

        A success from the address does not reset the count: a guesser holding one account of
        their own could otherwise clear it between guesses.
        """
        if address is None:
            return False
        table, settings = self._address, self.settings
        row = conn.execute(sa.select(table).where(table.c.address == address)).first()
        # a new window after the last one ran out, or after a lock expired
        fresh = row is None or row.locked_until is not None or _aware(row.window_start) <= now - settings.failure_window
        failures, start = (1, now) if fresh else (row.failures + 1, _aware(row.window_start))
        locked_until = now + settings.lockout if failures >= settings.max_address_failures else None
        values = {"failures": failures, "window_start": start, "locked_until": locked_until}
        if row is None:
            conn.execute(sa.insert(table).values(address=address, **values))
        else:
            conn.execute(sa.update(table).where(table.c.address == address).values(**values))
        return locked_until is not None

    def signing_secret(self, name: str) -> str:
        """A random key of the site, the same in every process (made the first time it is asked for)."""
        table = self.site.platform[AUTH_SECRET]
        query = sa.select(table.c.value).where(table.c.name == name)
        with self.site.engine.connect() as conn:
            found = conn.execute(query).scalar()
        if found is not None:
            return found
        try:
            with self.site.begin() as conn:
                conn.execute(sa.insert(table).values(name=name, value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:
            pass  # another process made it first: theirs is the one
        with self.site.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def _check_lock(self, conn: sa.Connection, key: str, now: dt.datetime) -> None:
        locked_until = conn.execute(sa.select(self._throttle.c.locked_until).where(self._throttle.c.username == key)).scalar()
        locked_until = _aware(locked_until)
        if locked_until is not None and locked_until > now:
            raise LoginLocked(int((locked_until - now).total_seconds()) + 1)

    def _record_failure(self, conn: sa.Connection, key: str, now: dt.datetime) -> bool:
        """Count a failure; whether it locks the username."""
        table, settings = self._throttle, self.settings
        row = conn.execute(sa.select(table).where(table.c.username == key)).first()
        failures = 1
        if row is not None and _aware(row.last_failure_at) > now - settings.failure_window and row.locked_until is None:
            failures = row.failures + 1
        locked_until = now + settings.lockout if failures >= settings.max_failures else None
        values = {"failures": 0 if locked_until else failures, "last_failure_at": now, "locked_until": locked_until}
        if row is None:
            conn.execute(sa.insert(table).values(username=key, **values))
        else:
            conn.execute(sa.update(table).where(table.c.username == key).values(**values))
        return locked_until is not None

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, user_id: str) -> Grant:
        """A new session for ``user_id`` with its own CSRF token."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.settings.session_lifetime
        with self.site.begin() as conn:
            conn.execute(
                sa.insert(self._session).values(id_hash=_digest(secret), user_id=user_id, csrf_token=csrf, created_at=now, expires_at=expires)
            )
        return Grant(secret, user_id, expires, csrf)

    def session(self, secret: str, *, connection: sa.Connection | None = None) -> SessionInfo | None:
        """The live session behind ``secret``, or None (unknown, expired, revoked, user disabled)."""
        if not secret:
            return None
        statement = self._lookup(self._session, "id_hash", "user_id", "csrf_token", "expires_at")
        with self._reading(connection) as conn:
            row = conn.execute(statement, {"digest": _digest(secret)}).first()
        if row is None or _aware(row.expires_at) <= self.clock():
            return None
        return SessionInfo(row.user_id, row.csrf_token, row.user_version)

    def end_session(self, secret: str) -> None:
        """Revoke the session behind ``secret`` (signing out); unknown secrets are ignored."""
        with self.site.begin() as conn:
            conn.execute(
                sa.update(self._session)
                .where(self._session.c.id_hash == _digest(secret), self._session.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    # -- API tokens ------------------------------------------------------------------------

    def issue_token(self, user_id: str) -> Grant:
        """A new bearer token for ``user_id``."""
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.settings.token_lifetime
        with self.site.begin() as conn:
            conn.execute(sa.insert(self._token).values(token_hash=_digest(secret), user_id=user_id, created_at=now, expires_at=expires))
        return Grant(secret, user_id, expires)

    def token_user(self, secret: str, *, connection: sa.Connection | None = None) -> str | None:
        """The user id of a live token, or None (unknown, expired, revoked, user disabled)."""
        holder = self.token_holder(secret, connection=connection)
        return holder.user_id if holder is not None else None

    def token_holder(self, secret: str, *, connection: sa.Connection | None = None) -> TokenHolder | None:
        """Whose a live token is, or None (unknown, expired, revoked, user disabled)."""
        if not secret:
            return None
        statement = self._lookup(self._token, "token_hash", "user_id", "expires_at")
        with self._reading(connection) as conn:
            row = conn.execute(statement, {"digest": _digest(secret)}).first()
        if row is None or _aware(row.expires_at) <= self.clock():
            return None
        return TokenHolder(row.user_id, row.user_version)

    def revoke_token(self, secret: str) -> bool:
        """Revoke a token; whether a live one was revoked."""
        with self.site.begin() as conn:
            result = conn.execute(
                sa.update(self._token)
                .where(self._token.c.token_hash == _digest(secret), self._token.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        return result.rowcount == 1

    # -- whole users -----------------------------------------------------------------------

    def revoke_user(self, user_id: str) -> None:
        """End every session and token of a user (after disabling them, or a password change)."""
        with self.site.begin() as conn:
            self._revoke_user(conn, user_id, self.clock())

    def _revoke_user(self, conn: sa.Connection, user_id: str, now: dt.datetime) -> None:
        for table in (self._session, self._token):
            conn.execute(sa.update(table).where(table.c.user_id == user_id, table.c.revoked_at.is_(None)).values(revoked_at=now))

    def has_password(self, user_id: str) -> bool:
        with self.site.engine.connect() as conn:
            return conn.execute(sa.select(self._credential.c.user_id).where(self._credential.c.user_id == user_id)).first() is not None

    def _connection(self, connection: sa.Connection | None):
        if connection is not None:
            return nullcontext(connection)
        return self.site.begin()

    def _reading(self, connection: sa.Connection | None):
        return nullcontext(connection) if connection is not None else self.site.engine.connect()
