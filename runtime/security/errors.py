"""Security errors: bad assignments and unknown names, each with a code, never an HTTP status."""

from __future__ import annotations

from runtime.errors import DataError


class SecurityError(DataError):
    """An assignment names something that does not exist, or cannot hold."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code
