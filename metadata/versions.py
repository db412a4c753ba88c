"""Package versions (``1.2.0``) and version ranges (``>=1.0,<2``)."""

from __future__ import annotations

import operator
import re

_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+){0,2})$")
_OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


class SpecifierError(ValueError):
    """A version or range that cannot be read."""


def parse_version(text: str) -> tuple[int, int, int]:
    """``'1.2'`` → ``(1, 2, 0)``."""
    if not isinstance(text, str) or not _VERSION.match(text.strip()):
        raise SpecifierError(f"invalid version {text!r}: use numbers such as 1.0.0")
    parts = [int(part) for part in text.strip().split(".")]
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


def parse_specifier(text: str) -> list[tuple[str, tuple[int, int, int]]]:
    """``'>=1.0,<2'`` → ``[('>=', (1, 0, 0)), ('<', (2, 0, 0))]``."""
    clauses = []
    for clause in str(text).split(","):
        match = _CLAUSE.match(clause.strip())
        if not match:
            raise SpecifierError(f"invalid version range {text!r}: use clauses such as '>=1.0' joined by ','")
        clauses.append((match.group(1), parse_version(match.group(2))))
    return clauses


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` lies in the range ``specifier``."""
    wanted = parse_version(version)
    return all(_OPERATORS[op](wanted, bound) for op, bound in parse_specifier(specifier))
