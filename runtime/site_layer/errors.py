"""Errors of the site layer (admin changes to metadata); all are ``runtime.errors.DataError``.

    DataError
    └── SetupError                  a change to the site's metadata is refused (``problems`` says where)
        ├── ComponentNotFoundError  no component of that kind and name
        ├── StaleComponentError     the component changed since the caller read it (its version)
        └── ChangeSetError          a change set cannot be reverted (unknown, or changed since)

A :class:`SetupProblem` is one finding: the JSON path into the component it is about
(``fields[3].formula``), a code, the message in English and Chinese, and for a formula the
position inside it. Nothing here knows HTTP: ``admin_ui`` maps the classes to statuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import DataError

__all__ = ["ChangeSetError", "ComponentNotFoundError", "SetupError", "SetupProblem", "StaleComponentError"]


@dataclass(frozen=True)
class SetupProblem:
    """One thing wrong with a change: where (a JSON path, None for the whole change), what and why."""

    path: str | None
    code: str
    message_en: str
    message_zh: str
    #: the component the path is in, when it is not the one being changed: "layouts/vehicle_default"
    component: str | None = None
    #: inside a formula: {"line": 1, "column": 7}
    position: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        """The problem as plain data, its message in ``language``."""
        data: dict[str, Any] = {
            "field": self.path,
            "code": self.code,
            "message": self.message_zh if language.startswith("zh") else self.message_en,
        }
        if self.component is not None:
            data["component"] = self.component
        if self.position is not None:
            data["position"] = self.position
        data.update(self.extra)
        return data


class SetupError(DataError):
    """A change to the site's metadata is refused; nothing was changed."""

    def __init__(self, problems: Iterable[SetupProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{problem.path}: {problem.message_en}" if problem.path else problem.message_en for problem in self.problems))

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    def messages(self, language: str = "en") -> list[dict[str, Any]]:
        return [problem.as_dict(language) for problem in self.problems]


class ComponentNotFoundError(SetupError):
    """No component of that kind and name is installed."""


class StaleComponentError(SetupError):
    """The component's version is not the one the caller read (another admin saved it since)."""


class ChangeSetError(SetupError):
    """A change set is unknown, or what it changed has changed again since."""
