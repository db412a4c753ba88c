"""Errors of the runtime layer.

    DataError                   base of every error raised by ``runtime``
    ├── SiteError               the database is not a Tessera site, or is one already
    ├── RecordError             records and queries: ``errors`` lists FieldError (field, code, en, zh)
    │   ├── RecordValidationError   input or record breaks a type, business-type or validation rule
    │   │   └── BulkRecordError     rows of a bulk create are invalid (``failures`` by input index)
    │   ├── RecordNotFoundError     no live record with that id the actor may see
    │   ├── RecordPermissionError   the actor may not do this to the object, or set these fields
    │   ├── RecordConflictError     optimistic concurrency: the record changed since it was read
    │   ├── DeleteRestrictedError   records refer to it through a restrict reference (named)
    │   └── QueryError              a filter, sort, field list, cursor or page size is not valid
    │       └── AggregateError      a grouping or measure does not fit its field (named)
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
    "AggregateError",
    "BulkRecordError",
    "DeleteRestrictedError",
    "FieldError",
    "QueryError",
    "RecordConflictError",
    "RecordError",
    "RecordNotFoundError",
    "RecordPermissionError",
    "RecordValidationError",
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


# --- records and queries --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``field`` is None when it concerns the whole record."""

    field: str | None
    code: str
    message_en: str
    message_zh: str

    def message(self, language: str = "en") -> str:
        """The message in ``language`` ('en' or 'zh…')."""
        return self.message_zh if language.startswith("zh") else self.message_en

    def as_dict(self, language: str = "en") -> dict[str, str | None]:
        """The error as plain data for an API response."""
        return {"field": self.field, "code": self.code, "message": self.message(language)}


class RecordError(DataError):
    """Base of record and query errors: carries every problem found, never an HTTP status."""

    def __init__(self, errors: Iterable[FieldError], *, object_name: str | None = None, index: int | None = None):
        self.errors = tuple(errors)
        self.object_name = object_name
        #: for bulk operations: the position of the offending record in the input
        self.index = index
        summary = "; ".join(
            f"{error.field}: {error.message_en}" if error.field else error.message_en for error in self.errors
        )
        where = f"{object_name}" if object_name else "record"
        if index is not None:
            where += f" #{index}"
        super().__init__(f"{where}: {summary}")

    @property
    def codes(self) -> list[str]:
        """The codes of the errors, in sequence (handy in tests and logs)."""
        return [error.code for error in self.errors]

    def messages(self, language: str = "en") -> list[dict[str, str | None]]:
        """The errors as plain data in ``language``."""
        return [error.as_dict(language) for error in self.errors]


class RecordValidationError(RecordError):
    """The input or the resulting record is not valid."""


class RecordNotFoundError(RecordError):
    """No live record with that id."""


class RecordPermissionError(RecordError):
    """The actor's profile does not allow the action on the object, or the fields given."""


class RecordConflictError(RecordError):
    """The record was changed (or deleted) since the caller read it."""


class DeleteRestrictedError(RecordError):
    """Child records refer to the record through a ``restrict`` reference."""


class QueryError(RecordError):
    """A filter, sort, field list, cursor or page size is not valid."""


class AggregateError(QueryError):
    """A grouping, measure, sort or limit of an aggregate does not fit the field it names."""


class BulkRecordError(RecordValidationError):
    """Some records of a bulk create are invalid; ``failures`` maps each input index to its errors."""

    def __init__(self, failures, *, object_name: str):
        self.failures = {index: tuple(errors) for index, errors in sorted(failures.items())}
        flat = [
            FieldError(f"[{index}].{error.field}" if error.field else f"[{index}]", error.code, error.message_en, error.message_zh)
            for index, errors in self.failures.items()
            for error in errors
        ]
        super().__init__(flat, object_name=object_name, index=next(iter(self.failures)))
