"""Errors of the runtime layer.

    DataError                   base of every error raised by ``runtime``
    ├── SiteError               the database is not a Tessera site, or is one already
    └── MigrationError          a plan cannot be computed, is refused, or failed (nothing changed)
        ├── ConversionError     values of a field do not convert to its new type (rows listed)
        ├── DataLossError       the plan archives data and that was not allowed
        ├── DriftError          the database does not match the metadata (differences listed)
        └── ArchiveError        an archive cannot be restored or purged

Errors say what they are about (object, field, row ids), never an HTTP status or an exit code:
``admin_ui`` maps them. Errors of the database driver are wrapped where they cross into runtime.
The name ``DataError`` is ours; SQLAlchemy's DBAPI error of the same name is always written
``sqlalchemy.exc.DataError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ArchiveError",
    "ConversionError",
    "DataError",
    "DataLossError",
    "DriftError",
    "MigrationError",
    "SiteError",
    "UnconvertibleValue",
]


class DataError(Exception):
    """Base of every error raised by ``runtime``."""


class SiteError(DataError):
    """The database is not an initialised Tessera site (or already is one)."""


class MigrationError(DataError):
    """A migration cannot be planned or applied; when raised by apply, nothing was changed."""


@dataclass(frozen=True)
class UnconvertibleValue:
    """One stored value that does not convert to a field's new type."""

    record_id: str
    value: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.record_id}: {self.value!r} ({self.reason})"


class ConversionError(MigrationError):
    """Values of ``object_name.field_name`` do not convert to ``new_type``; ``values`` lists them."""

    #: how many offending rows the message shows (``values`` holds every one)
    SHOWN = 20

    def __init__(self, object_name: str, field_name: str, old_type: str, new_type: str, values: Sequence[UnconvertibleValue]):
        self.object_name = object_name
        self.field_name = field_name
        self.old_type = old_type
        self.new_type = new_type
        self.values = tuple(values)
        lines = [str(value) for value in self.values[: self.SHOWN]]
        if len(self.values) > self.SHOWN:
            lines.append(f"… and {len(self.values) - self.SHOWN} more")
        count = len(self.values)
        super().__init__(
            f"cannot change {object_name}.{field_name} from {old_type} to {new_type}: "
            f"{count} value{'s' if count != 1 else ''} do not convert (record id: value):\n  "
            + "\n  ".join(lines)
            + "\nFix or clear those values, or keep the old type; nothing was changed."
        )


class DataLossError(MigrationError):
    """The plan archives fields or objects and the caller did not allow it."""

    def __init__(self, steps: Iterable[str]):
        self.steps = tuple(steps)
        super().__init__(
            "the plan removes data (it is archived and can be restored, but leaves the live tables):\n  "
            + "\n  ".join(self.steps)
            + "\nApply again allowing data loss to go ahead; nothing was changed."
        )


class DriftError(MigrationError):
    """The live database differs from what the metadata describes; ``differences`` lists how."""

    def __init__(self, differences: Iterable[str]):
        self.differences = tuple(differences)
        super().__init__("the database does not match the metadata:\n  " + "\n  ".join(self.differences))


class ArchiveError(MigrationError):
    """An archive cannot be restored or purged as asked."""
