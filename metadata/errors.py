"""Errors of the metadata layer.

    MetadataError
    ├── PackageError            a package cannot be loaded: carries every Problem found at once
    └── UnknownObjectError      a name that is not in the registry was asked for

A Problem is one finding with its place: file, line and column (1-based), a message and an
optional hint. Loading never stops at the first problem: an admin fixes them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a package, with where it is."""

    file: str
    line: int
    column: int
    message: str
    hint: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class MetadataError(Exception):
    """Base of every error raised by ``metadata``."""


class PackageError(MetadataError):
    """A package (or set of packages) has problems; ``problems`` lists them all, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        summary = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in metadata:\n{summary}")


class UnknownObjectError(MetadataError, KeyError):
    """An object, field or other name not present in the registry."""

    def __init__(self, kind: str, name: str):
        self.kind = kind
        self.name = name
        super().__init__(f"unknown {kind} '{name}'")

    def __str__(self) -> str:
        return self.args[0]


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as shown in problems: relative to ``root`` when it lies below it."""
    if root is not None:
        try:
            return str(path.relative_to(root.parent))
        except ValueError:
            pass
    return str(path)
