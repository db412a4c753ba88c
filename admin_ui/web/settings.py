"""The settings a web app is built from: which database, how sign-in behaves, cookie flags."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from runtime.auth import AuthSettings
from runtime.site import DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    """Everything :func:`admin_ui.web.app.create_app` needs; no module reads the environment."""

    database_url: str = DEFAULT_DATABASE_URL
    #: an engine to use instead of ``database_url`` (tests, or a caller managing the pool)
    engine: sa.Engine | None = None
    #: make an empty database a site (system and CRM packages) instead of refusing it
    initialise: bool = True
    auth: AuthSettings = field(default_factory=AuthSettings)
    session_cookie: str = "tessera_session"
    #: send cookies only over HTTPS (turn on behind TLS)
    secure_cookies: bool = False
    #: largest request body accepted (CSV imports included)
    max_body_bytes: int = 50 * 1024 * 1024
    #: the month (1–12) the fiscal year starts in: aggregates count quarters and years from it
    fiscal_year_start_month: int = 1
