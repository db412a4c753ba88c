"""Logical functions: IF, IFS, CASE, AND, OR, NOT, XOR, ISBLANK, BLANKVALUE, NULLVALUE.

IF, IFS, CASE, AND, OR, BLANKVALUE and NULLVALUE evaluate lazily (only the branch taken), so
``IF(d = 0, 0, n / d)`` never divides by zero. A blank condition counts as false.
"""

from __future__ import annotations

from collections.abc import Sequence

from formula.functions.registry import ANY, BOOL, Function, Overload, TypingProblem
from formula.types import BOOLEAN, FormulaType, Kind, unify

__all__ = ["FUNCTIONS", "is_blank"]


def is_blank(value) -> bool:
    """Blank: None, empty text, an empty multi-picklist selection."""
    return value is None or value == "" or value == ()


def _branches(name: str, args: Sequence, indexes: Sequence[int]) -> FormulaType:
    types = [args[i].type for i in indexes]
    joined = unify(types)
    if joined is None:
        described = ", ".join(str(t) for t in types)
        raise TypingProblem(
            f"{name} branches have different types ({described})",
            index=indexes[-1],
            hint="make every branch the same type, e.g. with TEXT() or VALUE()",
        )
    return joined


def _condition(name: str, args: Sequence, index: int) -> None:
    kind = args[index].type.kind
    if kind not in (Kind.BOOLEAN, Kind.NULL, Kind.ERROR):
        raise TypingProblem(
            f"{name} condition must be boolean, not {args[index].type}",
            index=index,
            hint="compare the value, e.g. amount > 0, or test it with ISBLANK()",
        )


_IF = Overload("IF", (BOOL, ANY, ANY), BOOLEAN)
_IFS = Overload("IFS", (ANY,), BOOLEAN, variadic=True)
_CASE = Overload("CASE", (ANY,), BOOLEAN, variadic=True)
_BLANKVALUE = Overload("BLANKVALUE", (ANY, ANY), BOOLEAN)


def _resolve_if(call, args):
    if len(args) != 3:
        raise TypingProblem(f"IF takes 3 arguments (condition, if true, if false), got {len(args)}")
    _condition("IF", args, 0)
    return _IF, _branches("IF", args, (1, 2))


def _resolve_ifs(call, args):
    if len(args) < 3 or len(args) % 2 == 0:
        raise TypingProblem(
            f"IFS takes condition/value pairs and a final else value (an odd count ≥ 3), got {len(args)}"
        )
    for i in range(0, len(args) - 1, 2):
        _condition("IFS", args, i)
    return _IFS, _branches("IFS", args, [*range(1, len(args) - 1, 2), len(args) - 1])


def _resolve_case(call, args):
    from formula.functions.operators import comparison_overload

    if len(args) < 4 or len(args) % 2 == 1:
        raise TypingProblem(
            "CASE takes an expression, value/result pairs and a final else result "
            f"(an even count ≥ 4), got {len(args)}"
        )
    subject = args[0].type
    if subject.kind in (Kind.MULTIPICKLIST, Kind.BOOLEAN, Kind.REFERENCE):
        raise TypingProblem(f"CASE cannot compare {subject} values", index=0)
    for i in range(1, len(args) - 1, 2):
        value = args[i].type
        if value.kind in (Kind.NULL, Kind.ERROR) or subject.kind in (Kind.NULL, Kind.ERROR):
            continue
        same = (subject.is_numeric and value.is_numeric) or (
            subject.kind in (Kind.TEXT, Kind.PICKLIST) and value.kind is Kind.TEXT
        ) or subject.kind is value.kind
        if not same:
            raise TypingProblem(f"CASE value {value} does not match the expression's type {subject}", index=i)
    if subject.kind not in (Kind.NULL, Kind.ERROR):
        comparison_overload(subject.kind)
    return _CASE, _branches("CASE", args, [*range(2, len(args) - 1, 2), len(args) - 1])


def _resolve_blankvalue(call, args):
    if len(args) != 2:
        raise TypingProblem(f"{call.name} takes 2 arguments (value, substitute), got {len(args)}")
    overload = _BLANKVALUE if call.name == "BLANKVALUE" else _NULLVALUE
    return overload, _branches(call.name, args, (0, 1))


_NULLVALUE = Overload("NULLVALUE", (ANY, ANY), BOOLEAN)


def _f(name: str, signature: str, doc: str, *overloads: Overload, **kw) -> Function:
    return Function(name, "logical", signature, doc, tuple(overloads), **kw)


FUNCTIONS = [
    _f(
        "IF",
        "IF(condition, if_true, if_false)",
        "``if_true`` when the condition holds, else ``if_false`` (only the branch taken is evaluated).",
        _IF,
        resolve=_resolve_if,
    ),
    _f(
        "IFS",
        "IFS(condition1, value1, condition2, value2, …, else_value)",
        "The value of the first condition that holds, else the last argument.",
        _IFS,
        resolve=_resolve_ifs,
    ),
    _f(
        "CASE",
        "CASE(expression, value1, result1, value2, result2, …, else_result)",
        "The result paired with the first value equal to the expression, else the last argument. "
        "Works on numbers, text, picklists, dates, datetimes and times.",
        _CASE,
        resolve=_resolve_case,
    ),
    _f(
        "AND",
        "AND(condition, …)",
        "Whether every condition holds (same as ``&&``).",
        Overload("AND", (BOOL,), BOOLEAN, variadic=True),
    ),
    _f(
        "OR",
        "OR(condition, …)",
        "Whether any condition holds (same as ``||``).",
        Overload("OR", (BOOL,), BOOLEAN, variadic=True),
    ),
    _f("NOT", "NOT(condition)", "The opposite (same as ``!``).", Overload("NOT", (BOOL,), BOOLEAN, lambda a: not a)),
    _f(
        "XOR",
        "XOR(condition1, condition2)",
        "Whether exactly one of the two holds.",
        Overload("XOR", (BOOL, BOOL), BOOLEAN, lambda a, b: a != b),
    ),
    _f(
        "ISBLANK",
        "ISBLANK(value)",
        "Whether the value is blank: no number/date, empty text, no selection. A checkbox is never blank.",
        Overload("ISBLANK", (ANY,), BOOLEAN, is_blank, nulls="pass"),
    ),
    _f(
        "BLANKVALUE",
        "BLANKVALUE(value, substitute)",
        "``value``, or ``substitute`` when it is blank.",
        _BLANKVALUE,
        resolve=_resolve_blankvalue,
    ),
    _f(
        "NULLVALUE",
        "NULLVALUE(value, substitute)",
        "Same as BLANKVALUE (kept for Salesforce formulas).",
        _NULLVALUE,
        resolve=_resolve_blankvalue,
    ),
]
