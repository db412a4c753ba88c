"""Errors of sign-in.

    AuthError               base (a runtime DataError)
    ├── InvalidCredentials  unknown user, wrong password or disabled user (never says which)
    └── LoginLocked         too many failed attempts: ``retry_after`` seconds until the next try
"""

from __future__ import annotations

from runtime.errors import DataError


class AuthError(DataError):
    """Base of sign-in errors; ``code`` is stable, the messages are in English and Chinese."""

    code = "auth_failed"
    message_en = "Sign-in failed."
    message_zh = "登录失败。"

    def __init__(self) -> None:
        super().__init__(self.message_en)

    def message(self, language: str = "en") -> str:
        return self.message_zh if language.startswith("zh") else self.message_en


class InvalidCredentials(AuthError):
    """The username and password do not match an active user."""

    code = "invalid_credentials"
    message_en = "The username or password is incorrect."
    message_zh = "用户名或密码不正确。"


class LoginLocked(AuthError):
    """Sign-in for this username is locked for a while after repeated failures."""

    code = "login_locked"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        self.message_en = f"Too many failed sign-in attempts; try again in {self.retry_after} seconds."
        self.message_zh = f"登录失败次数过多，请在 {self.retry_after} 秒后重试。"
        super().__init__()
