"""Record context and picklists: ISNEW, ISCHANGED, PRIORVALUE, REGEX, ISPICKVAL, INCLUDES.

ISNEW, ISCHANGED and PRIORVALUE look at the record being saved; they are allowed in validation
rules and field rules only, and never compile to SQL.
"""

from __future__ import annotations

from formula.ast import TField, TLiteral
from formula.functions.registry import ANY, MPICK, PICK, TEXT, Function, Overload, TypingProblem
from formula.regex import RegexSyntaxError, compile_pattern
from formula.types import BOOLEAN, Kind

__all__ = ["FUNCTIONS", "SAVE_CONTEXTS"]

#: Contexts in which the record's previous values exist.
SAVE_CONTEXTS = frozenset({"validation", "rule"})

_ISCHANGED = Overload("ISCHANGED", (ANY,), BOOLEAN)
_PRIORVALUE = Overload("PRIORVALUE", (ANY,), BOOLEAN)
_REGEX = Overload("REGEX", (TEXT, TEXT), BOOLEAN)


def _field_argument(call, args):
    if len(args) != 1:
        raise TypingProblem(f"{call.name} takes 1 argument (a field), got {len(args)}")
    arg = args[0]
    if arg.type.kind is Kind.ERROR:
        return arg
    if not isinstance(arg, TField) or len(arg.path) != 1:
        raise TypingProblem(
            f"{call.name} needs a field of this object",
            index=0,
            hint=f"write {call.name}(field_name)",
        )
    return arg


def _resolve_ischanged(call, args):
    _field_argument(call, args)
    return _ISCHANGED, BOOLEAN


def _resolve_priorvalue(call, args):
    arg = _field_argument(call, args)
    return _PRIORVALUE, arg.type


def _resolve_regex(call, args):
    if len(args) != 2:
        raise TypingProblem(f"REGEX takes 2 arguments (text, pattern), got {len(args)}")
    if args[0].type.kind not in (Kind.TEXT, Kind.NULL, Kind.ERROR):
        hint = "use TEXT(picklist) for a picklist" if args[0].type.kind is Kind.PICKLIST else None
        raise TypingProblem(f"REGEX needs text, not {args[0].type}", index=0, hint=hint)
    pattern = args[1]
    if not isinstance(pattern, TLiteral) or pattern.type.kind is not Kind.TEXT:
        raise TypingProblem("REGEX needs its pattern written as a text literal", index=1)
    try:
        compile_pattern(pattern.value or "")
    except RegexSyntaxError as exc:
        raise TypingProblem(
            f"bad REGEX pattern: {exc.message} (at pattern character {exc.offset + 1})",
            index=1,
            hint="supported: literals . [ ] \\d \\w \\s ( ) | * + ? {n,m}",
        ) from None
    return _REGEX, BOOLEAN


def _includes(values, item):
    return bool(item) and item in (values or ())


FUNCTIONS = [
    Function(
        "ISNEW",
        "record",
        "ISNEW()",
        "Whether the record is being created (not updated).",
        (Overload("ISNEW", (), BOOLEAN),),
        contexts=SAVE_CONTEXTS,
        sql=False,
    ),
    Function(
        "ISCHANGED",
        "record",
        "ISCHANGED(field)",
        "Whether the field's value differs from its value before this save (false for a new record).",
        (_ISCHANGED,),
        resolve=_resolve_ischanged,
        contexts=SAVE_CONTEXTS,
        sql=False,
    ),
    Function(
        "PRIORVALUE",
        "record",
        "PRIORVALUE(field)",
        "The field's value before this save (its current value for a new record).",
        (_PRIORVALUE,),
        resolve=_resolve_priorvalue,
        contexts=SAVE_CONTEXTS,
        sql=False,
    ),
    Function(
        "REGEX",
        "record",
        "REGEX(text, pattern)",
        "Whether the whole text matches the pattern (a literal). Linear-time engine; see docs.",
        (_REGEX,),
        resolve=_resolve_regex,
    ),
    Function(
        "ISPICKVAL",
        "picklist",
        "ISPICKVAL(picklist, value)",
        "Whether the picklist's value is ``value``.",
        (Overload("ISPICKVAL", (PICK, TEXT), BOOLEAN, lambda p, v: (p or "") == (v or ""), nulls="pass"),),
    ),
    Function(
        "INCLUDES",
        "picklist",
        "INCLUDES(multipicklist, value)",
        "Whether ``value`` is among the selected values.",
        (Overload("INCLUDES", (MPICK, TEXT), BOOLEAN, _includes, nulls="pass"),),
    ),
]
