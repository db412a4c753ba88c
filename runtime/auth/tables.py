"""The sign-in platform tables: credentials, sessions, API tokens, failed-login counters (per
username and per client address), known sign-in devices and the site's signing keys.

Listed in ``runtime.schema.PLATFORM_TABLE_MODULES``; created with the site, or when a site made
before them first opens. User ids are not foreign keys to the ``user`` object's table: that table
is built from metadata and migrated separately, and platform tables must not block its changes.
"""

from __future__ import annotations

import sqlalchemy as sa

from runtime.types import ID_TYPE, UtcDateTime

CREDENTIAL = "tessera_credential"
SESSION = "tessera_session"
API_TOKEN = "tessera_api_token"
LOGIN_THROTTLE = "tessera_login_throttle"
LOGIN_ADDRESS = "tessera_login_address"
LOGIN_DEVICE = "tessera_login_device"
AUTH_SECRET = "tessera_auth_secret"

_HASH = sa.String(64)  # hex SHA-256


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Add the sign-in tables to ``metadata`` (pure: no database)."""
    credential = sa.Table(
        CREDENTIAL,
        metadata,
        sa.Column("user_id", ID_TYPE, primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )
    session = sa.Table(
        SESSION,
        metadata,
        sa.Column("id_hash", _HASH, primary_key=True),
        sa.Column("user_id", ID_TYPE, nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    token = sa.Table(
        API_TOKEN,
        metadata,
        sa.Column("token_hash", _HASH, primary_key=True),
        sa.Column("user_id", ID_TYPE, nullable=False, index=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    throttle = sa.Table(
        LOGIN_THROTTLE,
        metadata,
        # keyed by the username typed, so unknown usernames are throttled the same way
        sa.Column("username", sa.String(150), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", UtcDateTime(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
    )
    address = sa.Table(
        LOGIN_ADDRESS,
        metadata,
        # failures from one client address, whatever usernames they tried (guessing across accounts)
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
    )
    device = sa.Table(
        LOGIN_DEVICE,
        metadata,
        # a browser that signed in as a username before: a lock on that username does not apply to it
        sa.Column("token_hash", _HASH, primary_key=True),
        sa.Column("username", sa.String(150), nullable=False, index=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    secret = sa.Table(
        AUTH_SECRET,
        metadata,
        # random keys shared by every process of the site (signing the login form's CSRF token)
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    return {
        CREDENTIAL: credential, SESSION: session, API_TOKEN: token, LOGIN_THROTTLE: throttle,
        LOGIN_ADDRESS: address, LOGIN_DEVICE: device, AUTH_SECRET: secret,
    }
