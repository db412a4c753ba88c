"""Operators: arithmetic on numbers, dates and datetimes, text concatenation, comparisons.

The parser's operator symbols map to these functions (``&&``/``||``/``!`` map to AND/OR/NOT
in :mod:`formula.functions.logical`).
"""

from __future__ import annotations

import datetime as dt
import operator
from decimal import ROUND_HALF_UP, Decimal

from formula.functions.numeric import power
from formula.functions.registry import (
    BOOL,
    DATE,
    DATETIME,
    NUM,
    REF,
    TEXT,
    TIME,
    Function,
    Overload,
    same_as,
)
from formula.types import BOOLEAN, DATE as DATE_T, DATETIME as DATETIME_T, NUMBER, TEXT as TEXT_T
from formula.types import Kind, arithmetic_result, number
from formula.values import CTX, divide

__all__ = ["BINARY_OPERATORS", "UNARY_OPERATORS", "COMPARISON_KINDS", "comparison_overload"]

_DAY_SECONDS = Decimal(86400)


def _arith(op: str):
    return lambda types: arithmetic_result(op, types[0], types[1])


def _date_plus(d: dt.date, n: Decimal) -> dt.date:
    return d + dt.timedelta(days=int(n))


def _date_minus(d: dt.date, n: Decimal) -> dt.date:
    return d - dt.timedelta(days=int(n))


def _seconds(n: Decimal) -> int:
    """Days as whole seconds, rounded half-up."""
    return int(CTX.multiply(n, _DAY_SECONDS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _datetime_plus(t: dt.datetime, n: Decimal) -> dt.datetime:
    return t + dt.timedelta(seconds=_seconds(n))


def _datetime_minus(t: dt.datetime, n: Decimal) -> dt.datetime:
    return t - dt.timedelta(seconds=_seconds(n))


def exact_seconds(delta: dt.timedelta) -> Decimal:
    """A timedelta as an exact number of seconds."""
    whole = Decimal(delta.days * 86400 + delta.seconds)
    return CTX.add(whole, Decimal(delta.microseconds).scaleb(-6))


def _datetime_diff(a: dt.datetime, b: dt.datetime) -> Decimal:
    return divide(exact_seconds(a - b), _DAY_SECONDS)


def _text_plus(a: str | None, b: str | None) -> str:
    return (a or "") + (b or "")


PLUS = Function(
    "+",
    "operator",
    "a + b",
    "Adds numbers; adds a number of days to a date or datetime; joins text.",
    (
        Overload("ADD", (NUM, NUM), _arith("+"), CTX.add),
        Overload("ADD_DATE_NUMBER", (DATE, NUM), DATE_T, _date_plus),
        Overload("ADD_NUMBER_DATE", (NUM, DATE), DATE_T, lambda n, d: _date_plus(d, n)),
        Overload("ADD_DATETIME_NUMBER", (DATETIME, NUM), DATETIME_T, _datetime_plus),
        Overload("ADD_NUMBER_DATETIME", (NUM, DATETIME), DATETIME_T, lambda n, t: _datetime_plus(t, n)),
        Overload("CONCAT", (TEXT, TEXT), TEXT_T, _text_plus, nulls="pass"),
    ),
)

MINUS = Function(
    "-",
    "operator",
    "a - b",
    "Subtracts numbers; date − date is a number of days; date − number is a date.",
    (
        Overload("SUB", (NUM, NUM), _arith("-"), CTX.subtract),
        Overload("SUB_DATE_NUMBER", (DATE, NUM), DATE_T, _date_minus),
        Overload("SUB_DATE_DATE", (DATE, DATE), number(0), lambda a, b: Decimal((a - b).days)),
        Overload("SUB_DATETIME_NUMBER", (DATETIME, NUM), DATETIME_T, _datetime_minus),
        Overload("SUB_DATETIME_DATETIME", (DATETIME, DATETIME), NUMBER, _datetime_diff),
    ),
)

TIMES = Function(
    "*", "operator", "a * b", "Multiplies numbers.", (Overload("MUL", (NUM, NUM), _arith("*"), CTX.multiply),)
)

DIVIDE = Function(
    "/",
    "operator",
    "a / b",
    "Divides numbers, rounding half-up to 16 decimals; dividing by zero is an error.",
    (Overload("DIV", (NUM, NUM), _arith("/"), divide),),
)

CARET = Function(
    "^",
    "operator",
    "a ^ b",
    "Raises a to the power b (same as POWER).",
    (Overload("POW", (NUM, NUM), NUMBER, power),),
)

AMPERSAND = Function(
    "&",
    "operator",
    "a & b",
    "Joins two texts (blank text joins as empty).",
    (Overload("CONCAT", (TEXT, TEXT), TEXT_T, _text_plus, nulls="pass"),),
)

NEGATE = Function(
    "-",
    "operator",
    "-a",
    "The opposite of a number.",
    (Overload("NEG", (NUM,), same_as(0), CTX.minus),),
)

# --- comparisons -----------------------------------------------------------------------

_COMPARE = {
    "=": ("EQ", operator.eq),
    "<>": ("NE", operator.ne),
    "<": ("LT", operator.lt),
    ">": ("GT", operator.gt),
    "<=": ("LE", operator.le),
    ">=": ("GE", operator.ge),
}

#: Kinds that compare with < > <= >= (and = <>).
COMPARISON_KINDS = {
    "NUMBER": NUM,
    "DATE": DATE,
    "DATETIME": DATETIME,
    "TIME": TIME,
}
#: Kinds that only compare for equality.
EQUALITY_KINDS = {"TEXT": TEXT, "BOOLEAN": BOOL, "REFERENCE": REF}


def _text_eq(a, b):
    return (a or "") == (b or "")


def _text_ne(a, b):
    return (a or "") != (b or "")


def _reference_text(fn):
    return lambda a, b: fn(str(a), b)


def _build_comparisons() -> dict[str, Function]:
    functions: dict[str, Function] = {}
    for symbol, (name, fn) in _COMPARE.items():
        overloads = []
        for word, kinds in COMPARISON_KINDS.items():
            overloads.append(
                Overload(f"{name}_{word}", (kinds, kinds), BOOLEAN, fn, info={"op": symbol, "kind": word})
            )
        if symbol in ("=", "<>"):
            text_fn = _text_eq if symbol == "=" else _text_ne
            overloads.append(
                Overload(f"{name}_TEXT", (TEXT, TEXT), BOOLEAN, text_fn, nulls="pass", info={"op": symbol, "kind": "TEXT"})
            )
            overloads.append(
                Overload(f"{name}_BOOLEAN", (BOOL, BOOL), BOOLEAN, fn, info={"op": symbol, "kind": "BOOLEAN"})
            )
            overloads.append(
                Overload(f"{name}_REFERENCE", (REF, REF), BOOLEAN, fn, info={"op": symbol, "kind": "REFERENCE"})
            )
            overloads.append(
                Overload(
                    f"{name}_REFERENCE_TEXT",
                    (REF, TEXT),
                    BOOLEAN,
                    _reference_text(fn),
                    info={"op": symbol, "kind": "REFERENCE_TEXT"},
                )
            )
            overloads.append(
                Overload(
                    f"{name}_TEXT_REFERENCE",
                    (TEXT, REF),
                    BOOLEAN,
                    lambda a, b, fn=fn: fn(a, str(b)),
                    info={"op": symbol, "kind": "TEXT_REFERENCE"},
                )
            )
        doc = f"Compares two values with {symbol}; a comparison with a blank number, date or time is false."
        functions[symbol] = Function(symbol, "operator", f"a {symbol} b", doc, tuple(overloads))
    return functions


COMPARISONS = _build_comparisons()


def comparison_overload(kind: Kind, symbol: str = "=") -> Overload:
    """The comparison overload for values of ``kind`` (used by CASE)."""
    function = COMPARISONS[symbol]
    word = {
        Kind.NUMBER: "NUMBER",
        Kind.CURRENCY: "NUMBER",
        Kind.PERCENT: "NUMBER",
        Kind.PICKLIST: "TEXT",
    }.get(kind, kind.name)
    name = _COMPARE[symbol][0]
    for overload in function.overloads:
        if overload.key == f"{name}_{word}":
            return overload
    raise KeyError(kind)


BINARY_OPERATORS = {
    "+": PLUS,
    "-": MINUS,
    "*": TIMES,
    "/": DIVIDE,
    "^": CARET,
    "&": AMPERSAND,
    **COMPARISONS,
}
UNARY_OPERATORS = {"-": NEGATE}
