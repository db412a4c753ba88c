"""Sign-in: password credentials, server-side sessions, API tokens and failed-login throttling.

Storage is four platform tables (:mod:`runtime.auth.tables`); :class:`Authenticator` is the
one entry point. Only hashes are stored: argon2 for passwords, SHA-256 for session ids and API
tokens (both are 256-bit random values, so a fast hash is enough and a stolen table holds
nothing usable). The web layer (``admin_ui.web``) turns cookies and headers into calls here.
"""

from runtime.auth.errors import AuthError, InvalidCredentials, LoginLocked
from runtime.auth.service import Authenticator, AuthSettings, Grant

__all__ = ["AuthError", "AuthSettings", "Authenticator", "Grant", "InvalidCredentials", "LoginLocked"]
