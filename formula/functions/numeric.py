"""Math functions: ABS, CEILING, FLOOR, ROUND, MCEILING, MFLOOR, TRUNC, MOD, EXP, LN, LOG, SQRT,
MAX, MIN, POWER, SIGN.

Exact decimal arithmetic throughout. Results that cannot be exact (EXP, LN, LOG, SQRT, powers)
are rounded half-up to 16 decimals, the same rule the SQL backend applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal

from formula.errors import FormulaEvaluationError
from formula.functions.registry import NUM, Function, Overload, same_as
from formula.types import FormulaType, Kind, number, shared, unify
from formula.values import _WIDE, CTX, MAX_INTEGER_DIGITS, ONE, ZERO, divide, round_inexact

__all__ = ["FUNCTIONS", "clamp_digits", "power"]

#: Largest |exponent| a power may have.
MAX_EXPONENT = 10_000
#: EXP(x) for x above this is out of range (e^69 < 10^30 < e^70); below -EXP_FLOOR it is 0.
EXP_LIMIT = 69
EXP_FLOOR = 100
#: ROUND and TRUNC keep between -ROUND_LIMIT and ROUND_LIMIT decimals.
ROUND_LIMIT = 40


def clamp_digits(n: Decimal) -> int:
    """A digits argument (ROUND, TRUNC): truncated to an integer, kept within ±ROUND_LIMIT."""
    return max(-ROUND_LIMIT, min(ROUND_LIMIT, int(n)))


def _integral(value: Decimal, rounding: str) -> Decimal:
    return value.to_integral_value(rounding=rounding, context=CTX)


def _round(value: Decimal, digits: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-clamp_digits(digits)), rounding=ROUND_HALF_UP, context=_WIDE)


def _trunc(value: Decimal, digits: Decimal = ZERO) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-clamp_digits(digits)), rounding=ROUND_DOWN, context=_WIDE)


def _mod(a: Decimal, b: Decimal) -> Decimal:
    if not b:
        raise FormulaEvaluationError("division by zero in MOD")
    return _WIDE.remainder(a, b)


def _out_of_range(what: str) -> FormulaEvaluationError:
    return FormulaEvaluationError(
        f"{what} is out of range", hint=f"results must stay below 10^{MAX_INTEGER_DIGITS}"
    )


def power(base: Decimal, exponent: Decimal) -> Decimal:
    """``base ^ exponent``, guarded against huge results before any work is done."""
    if abs(exponent) > MAX_EXPONENT:
        raise _out_of_range("power")
    if not base:
        if exponent < 0:
            raise FormulaEvaluationError("division by zero: 0 raised to a negative power")
        return ONE if not exponent else ZERO
    if base < 0 and exponent != exponent.to_integral_value():
        raise FormulaEvaluationError("a negative number has no fractional power")
    size = CTX.multiply(exponent, _WIDE.log10(abs(base)))
    if size >= MAX_INTEGER_DIGITS:
        raise _out_of_range("power")
    if exponent == exponent.to_integral_value():
        n = int(exponent)
        if n < 0:
            return divide(ONE, _WIDE.power(base, -n))
        return round_inexact(_WIDE.power(base, n))
    return round_inexact(_WIDE.power(base, exponent))


def _exp(x: Decimal) -> Decimal:
    if x > EXP_LIMIT:
        raise _out_of_range("EXP")
    if x < -EXP_FLOOR:
        return round_inexact(ZERO)
    return round_inexact(_WIDE.exp(x))


def _ln(x: Decimal) -> Decimal:
    if x <= 0:
        raise FormulaEvaluationError("LN needs a number greater than 0")
    return round_inexact(_WIDE.ln(x))


def _log(x: Decimal) -> Decimal:
    if x <= 0:
        raise FormulaEvaluationError("LOG needs a number greater than 0")
    return round_inexact(_WIDE.log10(x))


def _sqrt(x: Decimal) -> Decimal:
    if x < 0:
        raise FormulaEvaluationError("SQRT needs a number that is not negative")
    return round_inexact(_WIDE.sqrt(x))


def _sign(x: Decimal) -> Decimal:
    return Decimal((x > 0) - (x < 0))


def _max(*values: Decimal) -> Decimal:
    return max(values)


def _min(*values: Decimal) -> Decimal:
    return min(values)


def _joined(types: Sequence[FormulaType]) -> FormulaType:
    joined = unify(types)
    if joined is None or joined.kind is Kind.NULL:
        return number()
    return shared(joined.kind)


def _integer_like(types: Sequence[FormulaType]) -> FormulaType:
    t = types[0]
    return shared(t.kind if t.is_numeric else Kind.NUMBER, 0)


def _f(name: str, signature: str, doc: str, *overloads: Overload, **kw) -> Function:
    return Function(name, "math", signature, doc, tuple(overloads), **kw)


FUNCTIONS = [
    _f("ABS", "ABS(number)", "The absolute value.", Overload("ABS", (NUM,), same_as(0), CTX.abs)),
    _f(
        "CEILING",
        "CEILING(number)",
        "Rounds up to an integer, away from zero for negative numbers (CEILING(-2.5) = -3).",
        Overload("CEILING", (NUM,), _integer_like, lambda x: _integral(x, ROUND_UP)),
    ),
    _f(
        "FLOOR",
        "FLOOR(number)",
        "Rounds down to an integer, towards zero for negative numbers (FLOOR(-2.5) = -2).",
        Overload("FLOOR", (NUM,), _integer_like, lambda x: _integral(x, ROUND_DOWN)),
    ),
    _f(
        "MCEILING",
        "MCEILING(number)",
        "Rounds up to the next integer towards +∞ (MCEILING(-2.5) = -2).",
        Overload("MCEILING", (NUM,), _integer_like, lambda x: _integral(x, ROUND_CEILING)),
    ),
    _f(
        "MFLOOR",
        "MFLOOR(number)",
        "Rounds down to the next integer towards −∞ (MFLOOR(-2.5) = -3).",
        Overload("MFLOOR", (NUM,), _integer_like, lambda x: _integral(x, ROUND_FLOOR)),
    ),
    _f(
        "ROUND",
        "ROUND(number, digits)",
        "Rounds half away from zero to ``digits`` decimals (negative digits round to tens, hundreds…).",
        Overload("ROUND", (NUM, NUM), same_as(0), _round),
    ),
    _f(
        "TRUNC",
        "TRUNC(number[, digits])",
        "Cuts off decimals beyond ``digits`` (default 0), towards zero.",
        Overload("TRUNC", (NUM,), same_as(0), _trunc),
        Overload("TRUNC", (NUM, NUM), same_as(0), _trunc),
    ),
    _f(
        "MOD",
        "MOD(number, divisor)",
        "The remainder of a division, with the sign of ``number``; a zero divisor is an error.",
        Overload("MOD", (NUM, NUM), same_as(0), _mod),
    ),
    _f("EXP", "EXP(number)", "e raised to a power.", Overload("EXP", (NUM,), number(), _exp)),
    _f("LN", "LN(number)", "The natural logarithm.", Overload("LN", (NUM,), number(), _ln)),
    _f("LOG", "LOG(number)", "The base-10 logarithm.", Overload("LOG", (NUM,), number(), _log)),
    _f("SQRT", "SQRT(number)", "The square root.", Overload("SQRT", (NUM,), number(), _sqrt)),
    _f(
        "POWER",
        "POWER(number, exponent)",
        "Same as number ^ exponent.",
        Overload("POW", (NUM, NUM), number(), power),
    ),
    _f("SIGN", "SIGN(number)", "-1, 0 or 1.", Overload("SIGN", (NUM,), number(0), _sign)),
    _f(
        "MAX",
        "MAX(number, number, …)",
        "The largest of the numbers; blank if any is blank.",
        Overload("MAX", (NUM,), _joined, _max, variadic=True),
    ),
    _f(
        "MIN",
        "MIN(number, number, …)",
        "The smallest of the numbers; blank if any is blank.",
        Overload("MIN", (NUM,), _joined, _min, variadic=True),
    ),
]
