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
    "shared",
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


_SHARED: dict[tuple[Kind, int | None, str | None], FormulaType] = {}


def shared(kind: Kind, scale: int | None = None, target: str | None = None) -> FormulaType:
    """``FormulaType(kind, scale, target)``, one instance per value (types are immutable).

    The checker makes a type for nearly every node; reusing them skips a dataclass
    construction each time. At most a few thousand are kept (types are compared by value, so
    a fresh instance past that is just as good).
    """
    key = (kind, scale, target)
    found = _SHARED.get(key)
    if found is None:
        found = FormulaType(kind, scale, target)
        if len(_SHARED) < 4096:
            _SHARED[key] = found
    return found


def number(scale: int | None = None) -> FormulaType:
    """A number, with ``scale`` decimal places when known."""
    return shared(Kind.NUMBER, scale)


def currency(scale: int | None = 2) -> FormulaType:
    """An amount of money (exact decimal)."""
    return shared(Kind.CURRENCY, scale)


def percent(scale: int | None = None) -> FormulaType:
    """A percentage, held as the number of percent (15 means 15 %)."""
    return shared(Kind.PERCENT, scale)


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
    # Written out for speed (the checker asks for every arithmetic operator): the numeric sides
    # decide the kind as in _numeric_kind; a non-numeric (null) side does not count.
    left_kind = left.kind
    right_kind = right.kind
    left_numeric = left_kind in NUMERIC_KINDS
    right_numeric = right_kind in NUMERIC_KINDS
    if op == "+" or op == "-" or op == "*":
        if left_numeric and right_numeric:
            if left_kind is Kind.CURRENCY or right_kind is Kind.CURRENCY:
                kind = Kind.CURRENCY
            elif left_kind is Kind.PERCENT and right_kind is Kind.PERCENT:
                kind = Kind.PERCENT
            else:
                kind = Kind.NUMBER
        elif left_numeric:
            kind = left_kind
        elif right_numeric:
            kind = right_kind
        else:
            kind = Kind.NUMBER
        left_scale = left.scale
        right_scale = right.scale
        if op == "*":
            scale = None if left_scale is None or right_scale is None else left_scale + right_scale
        elif left_numeric and right_numeric:
            scale = None if left_scale is None or right_scale is None else max(left_scale, right_scale)
        elif left_numeric:
            scale = left_scale
        elif right_numeric:
            scale = right_scale
        else:
            scale = None
        return shared(kind, scale)
    if op == "/":
        if left_kind is Kind.CURRENCY and right_kind is not Kind.CURRENCY:
            return shared(Kind.CURRENCY)
        return NUMBER
    return NUMBER


def unify(types: Iterable[FormulaType]) -> FormulaType | None:
    """The common type of branches (IF, CASE…), or None when they do not agree.

    NULL joins anything; numeric kinds join as in arithmetic; references join when they point
    at the same object; everything else must be the same kind.
    """
    # Loops rather than comprehensions and generators (the checker asks for every IF, CASE,
    # MAX…; Python 3.11 runs each comprehension as a call).
    real = []
    numeric = True
    for t in types:
        kind = t.kind
        if kind is Kind.NULL:
            continue
        if kind is Kind.ERROR:
            return ERROR
        real.append(t)
        if kind not in NUMERIC_KINDS:
            numeric = False
    if not real:
        return NULL
    first = real[0]
    if numeric:
        currency = False
        percent = True
        scale = first.scale
        for t in real:
            kind = t.kind
            if kind is Kind.CURRENCY:
                currency = True
            if kind is not Kind.PERCENT:
                percent = False
            if scale is not None:
                scale = None if t.scale is None else max(scale, t.scale)
        kind = Kind.CURRENCY if currency else Kind.PERCENT if percent else Kind.NUMBER
        return shared(kind, scale)
    kind = first.kind
    for t in real:
        if t.kind is not kind:
            return None
    if kind is Kind.REFERENCE:
        for t in real:
            if t.target != first.target:
                return None
    return shared(kind, None, first.target)


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
