"""Errors of CSV import: problems located by row (the header is row 1, as a spreadsheet shows it).

    CsvImportError (a RecordValidationError)   rows are bad and nothing was imported
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from runtime.errors import FieldError, RecordValidationError


@dataclass(frozen=True)
class RowError:
    """One problem in one row of the file: ``row`` counts lines as a spreadsheet does (header = 1)."""

    row: int
    error: FieldError

    def as_dict(self, language: str = "en") -> dict:
        return {"row": self.row, **self.error.as_dict(language)}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.error.field}" if self.error.field else "")
        return f"{where}: {self.error.message_en}"


class CsvImportError(RecordValidationError):
    """The file has bad rows and the import was all-or-nothing: nothing was written."""

    def __init__(self, rows: Iterable[RowError], *, object_name: str):
        self.rows = tuple(rows)
        flat = [
            FieldError(
                f"row {row.row}: {row.error.field}" if row.error.field else f"row {row.row}",
                row.error.code,
                row.error.message_en,
                row.error.message_zh,
            )
            for row in self.rows
        ]
        super().__init__(flat, object_name=object_name)

    def row_messages(self, language: str = "en") -> list[dict]:
        return [row.as_dict(language) for row in self.rows]
