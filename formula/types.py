"""The types of the formula language.

A :class:`FormulaType` is a kind plus, for numbers, an optional scale and, for references, the
target object. Numbers form a small tower: ``number``, ``currency`` and ``percent`` all hold exact
decimals and mix in arithmetic (see :func:`arithmetic_result`); a ``percent`` holds the number the
record holds (``15`` for 15 %), the engine never rescales it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BOOLEAN",
    "CURRENCY",
    "DATE",
    "DATETIME",
    "ERROR",
    "MULTIPICKLIST",
    "NULL",
    "NUMBER",
    "PERCENT",
    "PICKLIST",
    "TEXT",
    "TIME",
    "FormulaType",
    "Kind",
    "NUMERIC_KINDS",
    "arithmetic_result",
    "assignable",
    "currency",
    "number",
    "parse_type",
    "percent",
    "reference",
    "unify",
]


class Kind(enum.Enum):
    """What a formula value is."""

    BOOLEAN = "boolean"
    NUMBER = "number"
    CURRENCY = "currency"
    PERCENT = "percent"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    PICKLIST = "picklist"
    MULTIPICKLIST = "multipicklist"
    REFERENCE = "reference"
    NULL = "null"
    #: Internal: the type of an expression that already failed to check (stops cascades).
    ERROR = "error"

    # Members are singletons compared by identity, so identity hashing agrees with equality and
    # skips Enum's Python-level __hash__ (sets and dicts of kinds are everywhere in the checker).
    __hash__ = object.__hash__


NUMERIC_KINDS = frozenset({Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT})


@dataclass(frozen=True, slots=True)
class FormulaType:
    """A formula type: a :class:`Kind`, a decimal ``scale`` for numbers, a ``target`` for references."""

    kind: Kind
    scale: int | None = None
    target: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_null(self) -> bool:
        return self.kind is Kind.NULL

    def __str__(self) -> str:
        if self.kind is Kind.REFERENCE and self.target:
            return f"reference({self.target})"
        if self.kind in NUMERIC_KINDS and self.scale is not None:
            return f"{self.kind.value}({self.scale})"
        return self.kind.value


def number(scale: int | None = None) -> FormulaType:
    """A number, with ``scale`` decimal places when known."""
    return FormulaType(Kind.NUMBER, scale)


def currency(scale: int | None = 2) -> FormulaType:
    """An amount of money (exact decimal)."""
    return FormulaType(Kind.CURRENCY, scale)


def percent(scale: int | None = None) -> FormulaType:
    """A percentage, held as the number of percent (15 means 15 %)."""
    return FormulaType(Kind.PERCENT, scale)


def reference(target: str) -> FormulaType:
    """The id of a record of object ``target`` (a lookup, master-detail, user… field)."""
    return FormulaType(Kind.REFERENCE, None, target)


BOOLEAN = FormulaType(Kind.BOOLEAN)
NUMBER = FormulaType(Kind.NUMBER)
CURRENCY = FormulaType(Kind.CURRENCY)
PERCENT = FormulaType(Kind.PERCENT)
TEXT = FormulaType(Kind.TEXT)
DATE = FormulaType(Kind.DATE)
DATETIME = FormulaType(Kind.DATETIME)
TIME = FormulaType(Kind.TIME)
PICKLIST = FormulaType(Kind.PICKLIST)
MULTIPICKLIST = FormulaType(Kind.MULTIPICKLIST)
NULL = FormulaType(Kind.NULL)
ERROR = FormulaType(Kind.ERROR)


def parse_type(spec: str) -> FormulaType:
    """A type from its printed form: ``number``, ``number(2)``, ``currency``, ``reference(user)``…"""
    spec = spec.strip().lower()
    name, _, rest = spec.partition("(")
    argument = rest.rstrip(")").strip() if rest else None
    try:
        kind = Kind(name.strip().replace("-", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"unknown formula type {spec!r}") from None
    if kind is Kind.REFERENCE:
        return reference(argument or "")
    if kind in NUMERIC_KINDS and argument:
        return FormulaType(kind, int(argument))
    return FormulaType(kind)


def _numeric_kind(kinds: Iterable[Kind]) -> Kind:
    kinds = set(kinds)
    if Kind.CURRENCY in kinds:
        return Kind.CURRENCY
    if kinds == {Kind.PERCENT}:
        return Kind.PERCENT
    return Kind.NUMBER


def _max_scale(*types: FormulaType) -> int | None:
    scales = [t.scale for t in types if t.is_numeric]
    if not scales or any(s is None for s in scales):
        return None
    return max(s for s in scales if s is not None)


def arithmetic_result(op: str, left: FormulaType, right: FormulaType) -> FormulaType:
    """The numeric type of ``left op right`` for ``+ - * / ^`` on two numeric (or null) types.

    Currency wins over number and percent (``amount * 0.1`` is money), except that money divided
    by money is a plain ratio; two percents added stay a percent; everything else is a number.
    """
    sides = [t for t in (left, right) if t.is_numeric] or [NUMBER]
    if op in ("+", "-"):
        return FormulaType(_numeric_kind(t.kind for t in sides), _max_scale(*sides))
    if op == "*":
        kind = _numeric_kind(t.kind for t in sides)
        scale = None
        if left.scale is not None and right.scale is not None:
            scale = left.scale + right.scale
        return FormulaType(kind, scale)
    if op == "/":
        if left.kind is Kind.CURRENCY and right.kind is not Kind.CURRENCY:
            return FormulaType(Kind.CURRENCY)
        return NUMBER
    return NUMBER


def unify(types: Iterable[FormulaType]) -> FormulaType | None:
    """The common type of branches (IF, CASE…), or None when they do not agree.

    NULL joins anything; numeric kinds join as in arithmetic; references join when they point
    at the same object; everything else must be the same kind.
    """
    real = [t for t in types if t.kind is not Kind.NULL]
    if not real:
        return NULL
    if any(t.kind is Kind.ERROR for t in real):
        return ERROR
    if all(t.is_numeric for t in real):
        return FormulaType(_numeric_kind(t.kind for t in real), _max_scale(*real))
    first = real[0]
    if all(t.kind is first.kind for t in real):
        if first.kind is Kind.REFERENCE and len({t.target for t in real}) > 1:
            return None
        return FormulaType(first.kind, None, first.target)
    return None


def assignable(value: FormulaType, expected: FormulaType) -> bool:
    """Whether a formula of type ``value`` can feed something that expects ``expected``."""
    if value.kind in (Kind.NULL, Kind.ERROR):
        return True
    if expected.is_numeric:
        return value.is_numeric
    if expected.kind in (Kind.TEXT, Kind.PICKLIST):
        return value.kind in (Kind.TEXT, Kind.PICKLIST)
    if expected.kind is Kind.REFERENCE:
        return value.kind is Kind.REFERENCE and (
            not expected.target or not value.target or value.target == expected.target
        )
    return value.kind is expected.kind
