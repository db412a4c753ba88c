"""Errors raised by the formula engine.

The tree::

    FormulaError                    base: a message, a hint, and where in the formula text
    ├── FormulaSyntaxError          the text is not a formula (bad token, unbalanced parenthesis…)
    ├── FormulaTypeError            it parses but does not type-check: unknown field or function,
    │                               wrong argument types, a function not allowed in this context
    ├── FormulaLimitError           too long, too deep, too many nodes, SQL too large
    ├── FormulaCompileError         a checked formula that a backend cannot compile
    │                               (e.g. PRIORVALUE in SQL, an unsupported dialect)
    ├── FormulaEvaluationError      evaluation failed on a record: division by zero,
    │                               a value out of range, a bad value in a field
    └── FormulaErrors               several of the above found together (``.errors``)

Every error carries ``line`` and ``column`` (1-based) and ``start``/``end`` (0-based character
offsets, end exclusive) relative to the formula text, so callers embedding a formula in a larger
file (a YAML package) can add their own offset. ``err.errors`` is a tuple of the individual
errors for every class (``(err,)`` for a single one), so callers can always iterate it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "FormulaCompileError",
    "FormulaError",
    "FormulaErrors",
    "FormulaEvaluationError",
    "FormulaLimitError",
    "FormulaSyntaxError",
    "FormulaTypeError",
    "caret_excerpt",
    "position_of",
]


def position_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of a 0-based character offset in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1


def caret_excerpt(text: str, start: int, end: int | None = None) -> str:
    """The line of ``text`` holding ``start``, and under it a caret line marking ``start:end``."""
    start = max(0, min(start, len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end]
    stop = line_end if end is None else max(start + 1, min(end, line_end))
    width = max(1, stop - start)
    # Tabs keep their width in the caret line so the caret sits under the right character.
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: start - line_start])
    return f"{line}\n{pad}{'^' * width}"


class FormulaError(Exception):
    """Base of every formula error: message, hint and position in the formula text."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        start: int | None = None,
        end: int | None = None,
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.start = start
        self.end = end
        self.line = line
        self.column = column
        self.text = text
        if text is not None and start is not None and (line is None or column is None):
            self.line, self.column = position_of(text, start)

    @property
    def errors(self) -> tuple[FormulaError, ...]:
        """The individual errors: ``(self,)`` here, every error for :class:`FormulaErrors`."""
        return (self,)

    @property
    def span(self) -> tuple[int, int] | None:
        """``(start, end)`` character offsets in the formula, or None when unknown."""
        if self.start is None:
            return None
        return (self.start, self.end if self.end is not None else self.start + 1)

    def located(self, start: int, end: int, text: str | None = None) -> FormulaError:
        """This error with a position, unless it already has one (the innermost wins)."""
        if self.start is None:
            self.start, self.end = start, end
            if text is not None:
                self.text = text
                self.line, self.column = position_of(text, start)
        return self

    def describe(self) -> str:
        """``line:col: message``, the caret excerpt and the hint, as the CLI prints it."""
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        parts = [f"{where}{self.message}"]
        if self.text is not None and self.start is not None:
            parts.append(caret_excerpt(self.text, self.start, self.end))
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class FormulaSyntaxError(FormulaError):
    """The text does not parse."""


class FormulaTypeError(FormulaError):
    """The formula parses but is not well typed, or names something unknown."""


class FormulaLimitError(FormulaError):
    """The formula exceeds a size limit (length, nodes, depth, generated SQL)."""


class FormulaCompileError(FormulaError):
    """A checked formula cannot be compiled by the requested backend."""


class FormulaEvaluationError(FormulaError):
    """Evaluating a formula on a record failed (division by zero, out of range, bad value)."""


class FormulaErrors(FormulaError):
    """Several formula errors reported together; ``errors`` lists them in text order."""

    def __init__(self, errors: Sequence[FormulaError] | Iterable[FormulaError]) -> None:
        items = tuple(sorted(errors, key=lambda e: (e.start if e.start is not None else -1)))
        if not items:
            raise ValueError("FormulaErrors needs at least one error")
        first = items[0]
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        super().__init__(
            first.message + more,
            hint=first.hint,
            start=first.start,
            end=first.end,
            line=first.line,
            column=first.column,
            text=first.text,
        )
        self._errors = items

    @property
    def errors(self) -> tuple[FormulaError, ...]:
        return self._errors

    def describe(self) -> str:
        return "\n".join(err.describe() for err in self._errors)

    def __str__(self) -> str:
        return "; ".join(str(err) for err in self._errors)
