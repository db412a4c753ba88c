"""The type checker: syntax tree + schema → typed tree, or every error found.

:func:`check` is the entry point the rest of the platform uses (the metadata checks, the record
pipeline, the CLI). It parses, resolves field paths through a :class:`~formula.schema.SchemaResolver`,
picks an overload for every operator and function, enforces the context rules and the expected
result type, and returns a :class:`CheckedFormula` that the backends compile.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from formula.ast import (
    Binary,
    Call,
    FieldRef,
    GlobalRef,
    Literal,
    Node,
    Span,
    TGlobal,
    TLiteral,
    Typed,
    Unary,
    new_tapply,
    new_tfield,
    new_tliteral,
)
from formula.errors import FormulaError, FormulaErrors, FormulaLimitError, FormulaTypeError
from formula.functions import FUNCTIONS, OPERATORS, UNARY_OPERATORS, Function, Overload, TypingProblem
from formula.functions.registry import describe_kinds
from formula.limits import MAX_PATH_HOPS
from formula.parser import parse
from formula.schema import SchemaResolver
from formula.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    ERROR,
    NULL,
    TEXT,
    FormulaType,
    Kind,
    assignable,
    number,
)

__all__ = ["BLANK_MODES", "CONTEXTS", "CheckedFormula", "check"]

#: Where a formula can live. ``field``: a formula field; ``validation``: a validation rule
#: (boolean, true means the record is invalid); ``default``: a field's default value;
#: ``rule``: a field rule condition (boolean: hide/require/read-only when true).
CONTEXTS = ("field", "validation", "default", "rule")
_BOOLEAN_CONTEXTS = ("validation", "rule")
#: ``blank``: blank numbers stay blank (arithmetic on them is blank); ``zero``: blank number,
#: currency and percent fields read as 0.
BLANK_MODES = ("blank", "zero")

_BUILTIN_GLOBALS = {"$today": ("$Today", DATE), "$now": ("$Now", DATETIME)}
_CONTEXT_WORDS = {
    "field": "formula fields",
    "validation": "validation rules",
    "default": "default values",
    "rule": "field rules",
}


@dataclass(frozen=True, eq=False)
class CheckedFormula:
    """A formula that type-checked: its text, typed tree, result type and the options it was checked with."""

    text: str
    tree: Typed
    type: FormulaType
    object_name: str | None = None
    context: str | None = None
    blank_as: str = "blank"

    @property
    def blank_as_zero(self) -> bool:
        return self.blank_as == "zero"


def check(
    text: str,
    resolver: SchemaResolver | None = None,
    *,
    object_name: str | None = None,
    context: str | None = None,
    expected_type: FormulaType | None = None,
    blank_as: str = "blank",
) -> CheckedFormula:
    """Parse and type-check ``text`` for ``object_name``.

    ``context`` is one of :data:`CONTEXTS` (None: no context rules). Validation rules and field
    rules must be boolean; give ``expected_type`` to require a type in other contexts (e.g. the
    field's type for a default). Raises a :class:`~formula.errors.FormulaError` — a
    :class:`~formula.errors.FormulaErrors` when several problems are found; iterate ``err.errors``
    for each one's ``line``, ``column``, ``start``, ``end``, ``message`` and ``hint``.
    """
    if context is not None and context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
    if blank_as not in BLANK_MODES:
        raise ValueError(f"blank_as must be one of {BLANK_MODES}, not {blank_as!r}")
    tree = parse(text)
    checker = _Checker(text, resolver, object_name, context)
    typed = checker.visit(tree)
    if expected_type is None and context in _BOOLEAN_CONTEXTS:
        expected_type = BOOLEAN
    if expected_type is not None and not checker.errors and not assignable(typed.type, expected_type):
        where = f"{_CONTEXT_WORDS[context][:-1]}" if context else "this formula"
        checker.fail(
            f"formula returns {typed.type}, but {where} needs {expected_type}",
            tree.span,
            hint="compare the value to get a boolean, e.g. amount > 0"
            if expected_type == BOOLEAN
            else None,
        )
    if checker.errors:
        if len(checker.errors) == 1:
            raise checker.errors[0]
        raise FormulaErrors(checker.errors)
    return CheckedFormula(text, typed, typed.type, object_name, context, blank_as)


def _suggest(name: str, candidates: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return close[0] if close else None


class _Checker:
    def __init__(
        self, text: str, resolver: SchemaResolver | None, object_name: str | None, context: str | None
    ) -> None:
        self.text = text
        self.resolver = resolver
        self.object_name = object_name
        self.context = context
        self.errors: list[FormulaError] = []

    # -- errors ----------------------------------------------------------------------

    def fail(self, message: str, span: Span, *, hint: str | None = None, cls=FormulaTypeError) -> Typed:
        self.errors.append(
            cls(message, hint=hint, start=span.start, end=span.end, line=span.line, column=span.column, text=self.text)
        )
        return TLiteral(ERROR, span, None)

    def segment_span(self, node: Node, index: int, path: Sequence[str]) -> Span:
        """The span of one name of a dotted path (whitespace around dots is allowed)."""
        position = node.span.start
        for i, name in enumerate(path):
            found = self.text.find(name, position, node.span.end)
            if found == -1:
                return node.span
            if i == index:
                line = self.text.count("\n", 0, found) + 1
                column = found - (self.text.rfind("\n", 0, found) + 1) + 1
                return Span(found, found + len(name), line, column)
            position = found + len(name)
        return node.span

    # -- nodes -----------------------------------------------------------------------

    def visit(self, node: Node) -> Typed:
        # One dictionary look-up instead of a chain of isinstance tests: every node passes here.
        method = _VISITORS.get(node.__class__)
        if method is None:
            raise TypeError(f"unknown node {node!r}")  # pragma: no cover
        return method(self, node)

    def literal(self, node: Literal) -> Typed:
        kind = node.kind
        if kind == "number":
            # The scale is the number of decimals written: read from the value's plain text
            # (a third of the cost of as_tuple()), or from its exponent when printed as 1E-7.
            value = node.value
            written = str(value)
            if "E" in written:
                exponent = value.as_tuple().exponent
                scale = -exponent if exponent < 0 else 0
            else:
                point = written.find(".")
                scale = 0 if point < 0 else len(written) - point - 1
            literal_type = _NUMBER_LITERAL_TYPES.get(scale)
            if literal_type is None:
                literal_type = number(scale)
            return new_tliteral(literal_type, node.span, value)
        if kind == "text":
            return new_tliteral(TEXT, node.span, node.value or None)
        if kind == "boolean":
            return new_tliteral(BOOLEAN, node.span, node.value)
        return new_tliteral(NULL, node.span, None)

    def resolve_path(self, node: Node, start_object: str, path: Sequence[str], prefix: str) -> FormulaType | None:
        if len(path) - 1 > MAX_PATH_HOPS:
            self.fail(
                f"path follows {len(path) - 1} lookups; the limit is {MAX_PATH_HOPS}",
                node.span,
                cls=FormulaLimitError,
            )
            return None
        resolver = self.resolver
        current = start_object
        field_type: FormulaType | None = None
        for i, name in enumerate(path):
            field_type = resolver.field_type(current, name) if resolver is not None else None
            if field_type is None:
                names = list(resolver.field_names(current)) if resolver is not None else []
                suggestion = _suggest(name, names)
                where = f"'{prefix}{'.'.join(path[:i])}' ({current})" if i else f"{current}"
                hint = f"did you mean '{suggestion}'?" if suggestion else None
                self.fail(f"unknown field '{name}' on {where}", self.segment_span(node, i, path), hint=hint)
                return None
            if i < len(path) - 1:
                if field_type.kind is not Kind.REFERENCE or not field_type.target:
                    self.fail(
                        f"'{name}' is a {field_type} field, not a lookup: '.{path[i + 1]}' cannot follow it",
                        self.segment_span(node, i + 1, path),
                    )
                    return None
                current = field_type.target
        return field_type

    def field(self, node: FieldRef) -> Typed:
        if self.object_name is None or self.resolver is None:
            return self.fail(
                f"unknown field '{'.'.join(node.path)}': this formula has no object",
                node.span,
                hint="give the object the formula belongs to",
            )
        if self.context == "default" and len(node.path) > 1:
            return self.fail(
                "default values cannot reference other records' fields",
                node.span,
                hint="defaults are computed before the record's lookups are saved",
            )
        path = node.path
        if len(path) == 1:  # a field of the object itself: the commonest case, asked directly
            field_type = self.resolver.field_type(self.object_name, path[0])
            if field_type is not None:
                return new_tfield(field_type, node.span, path)
        field_type = self.resolve_path(node, self.object_name, path, "")
        if field_type is None:
            return TLiteral(ERROR, node.span, None)
        return new_tfield(field_type, node.span, path)

    def global_ref(self, node: GlobalRef) -> Typed:
        builtin = _BUILTIN_GLOBALS.get(node.name.lower())
        if builtin is not None:
            key, global_type = builtin
            if node.path:
                return self.fail(f"{key} has no fields", node.span)
            return TGlobal(global_type, node.span, key)
        target = self.resolver.global_object(node.name) if self.resolver is not None else None
        if target is None:
            return self.fail(
                f"unknown global '{node.name}'",
                node.span,
                hint="known globals: $Today, $Now, and those of your schema such as $User.id",
            )
        canonical = "$" + node.name[1:2].upper() + node.name[2:].lower()
        if not node.path:
            return self.fail(f"write a field of {canonical}, e.g. {canonical}.id", node.span)
        field_type = self.resolve_path(node, target, node.path, canonical + ".")
        if field_type is None:
            return TLiteral(ERROR, node.span, None)
        return TGlobal(field_type, node.span, canonical + "." + ".".join(node.path))

    def unary(self, node: Unary) -> Typed:
        operand = self.visit(node.operand)
        if operand.type.kind is Kind.ERROR:
            return operand
        if node.op == "!":
            return self.apply(FUNCTIONS["NOT"], node, [operand], "!")
        if node.op == "+":
            if operand.type.is_numeric or operand.type.kind is Kind.NULL:
                return operand
            return self.fail(f"'+' needs a number, not {operand.type}", node.span)
        return self.apply(UNARY_OPERATORS["-"], node, [operand], "-")

    def binary(self, node: Binary) -> Typed:
        left_node = node.left
        right_node = node.right
        left = _VISITORS[left_node.__class__](self, left_node)
        right = _VISITORS[right_node.__class__](self, right_node)
        left_kind = left.type.kind
        right_kind = right.type.kind
        if left_kind is _ERROR_KIND or right_kind is _ERROR_KIND:
            return TLiteral(ERROR, node.span, None)
        op = node.op
        if op == "&&" or op == "||":
            return self.apply(_AND if op == "&&" else _OR, node, [left, right], op)
        if op in _COMPARISON_SYMBOLS:
            if (left_kind is Kind.NULL or right_kind is Kind.NULL) and (
                isinstance(left_node, Literal) or isinstance(right_node, Literal)
            ):
                return self.fail(
                    "comparing with NULL is never true",
                    node.span,
                    hint="test for a blank value with ISBLANK(value)",
                )
            if left_kind is Kind.PICKLIST or right_kind is Kind.PICKLIST:
                return self.fail(
                    "picklist values cannot be compared with operators",
                    node.span,
                    hint='use ISPICKVAL(field, "value") or TEXT(field)',
                )
        elif (op == "&" or op == "+") and (left_kind is Kind.PICKLIST or right_kind is Kind.PICKLIST):
            return self.fail(
                f"'{op}' cannot join a picklist", node.span, hint="convert it with TEXT(field)"
            )
        function = _OPERATORS[op]
        overload = _CHOSEN.get((function, left_kind, right_kind))
        if overload is not None:  # as apply() does, for an operator already met with these kinds
            result = overload.result
            if result.__class__ is not FormulaType:
                result = result([left.type, right.type])
            return new_tapply(result, node.span, overload, (left, right))
        return self.apply(function, node, [left, right], op)

    def call(self, node: Call) -> Typed:
        function = _FUNCTIONS.get(node.name)
        visitors = _VISITORS
        args = []
        for arg in node.args:  # a loop, not a comprehension: Python 3.11 runs those as a call
            args.append(visitors[arg.__class__](self, arg))
        if function is None:
            suggestion = _suggest(node.name, list(FUNCTIONS))
            return self.fail(
                f"unknown function {node.name}",
                node.name_span,
                hint=f"did you mean {suggestion}?" if suggestion else None,
            )
        if function.contexts is not None and self.context is not None and self.context not in function.contexts:
            allowed = " and ".join(_CONTEXT_WORDS[c] for c in sorted(function.contexts))
            return self.fail(
                f"{function.name} is not available in {_CONTEXT_WORDS[self.context]}",
                node.name_span,
                hint=f"{function.name} only works in {allowed}",
            )
        for arg in args:
            if arg.type.kind is _ERROR_KIND:
                return TLiteral(ERROR, node.span, None)
        return self.apply(function, node, args, function.name)

    def apply(self, function: Function, node: Node, args: list[Typed], shown: str) -> Typed:
        if function.resolve is not None:
            try:
                overload, result = function.resolve(node, args)
            except TypingProblem as problem:
                span = node.span
                if problem.index is not None and isinstance(node, Call) and problem.index < len(node.args):
                    span = node.args[problem.index].span
                return self.fail(problem.message, span, hint=problem.hint)
            return new_tapply(result, node.span, overload, tuple(args))
        # The overload depends only on the argument count and kinds: look it up by them, and
        # choose it (arity, then the first overload that accepts) only for a new combination.
        count = len(args)
        if count == 2:
            first = args[0].type
            second = args[1].type
            types = [first, second]
            key = (function, first.kind, second.kind)
        elif count == 1:
            first = args[0].type
            types = [first]
            key = (function, first.kind)
        else:
            types = [arg.type for arg in args]
            key = (function, *[t.kind for t in types])
        overload = _CHOSEN.get(key)
        if overload is None:
            if not function.arity_ok(len(args)):
                return self.fail(
                    f"{shown} does not take {len(args)} argument{'s' if len(args) != 1 else ''}",
                    node.span,
                    hint=f"write {function.signature}",
                )
            for candidate in function.overloads:
                if candidate.accepts(types):
                    overload = candidate
                    break
            else:
                return self.fail(
                    *self._mismatch(function, args, shown), node.span, hint=self._mismatch_hint(function, args)
                )
            if len(_CHOSEN) < _CHOSEN_LIMIT:
                _CHOSEN[key] = overload
        result = overload.result
        if result.__class__ is not FormulaType:
            result = result(types)
        return new_tapply(result, node.span, overload, tuple(args))

    def _mismatch(self, function: Function, args: list[Typed], shown: str) -> tuple[str]:
        got = ", ".join(str(arg.type) for arg in args)
        if function.family == "operator" and len(args) == 2:
            return (f"'{shown}' cannot combine {args[0].type} and {args[1].type}",)
        if function.family == "operator":
            return (f"'{shown}' cannot apply to {got}",)
        expected = " or ".join(
            f"({', '.join(describe_kinds(k) for k in o.params)}{', …' if o.variadic else ''})"
            for o in _distinct_params(function.overloads)
        )
        return (f"{shown} cannot take ({got}); it takes {expected}",)

    def _mismatch_hint(self, function: Function, args: list[Typed]) -> str | None:
        kinds = [arg.type.kind for arg in args]
        if Kind.PICKLIST in kinds:
            return "convert picklists with TEXT(field), or test them with ISPICKVAL(field, value)"
        if function.name in ("&", "+") and Kind.TEXT in kinds:
            return "join text with &, converting other values with TEXT(value)"
        if function.name == "-" and Kind.TEXT in kinds:
            return "convert text to a number with VALUE(text)"
        return f"write {function.signature}"


_ERROR_KIND = Kind.ERROR
#: A number literal's scale (2 for 1.25) → its type, number(2), for the usual scales.
_NUMBER_LITERAL_TYPES = {scale: number(scale) for scale in range(32)}
_FUNCTIONS = dict(FUNCTIONS)  # a plain dict: a look-up through the read-only proxy costs more
_OPERATORS = dict(OPERATORS)
_AND = FUNCTIONS["AND"]
_OR = FUNCTIONS["OR"]
_COMPARISON_SYMBOLS = frozenset(("=", "<>", "<", ">", "<=", ">="))
#: (function, argument kinds…) → the overload chosen for them; bounded (a variadic function
#: could otherwise add a key per argument count).
_CHOSEN: dict[tuple, Overload] = {}
_CHOSEN_LIMIT = 10_000

_VISITORS = {
    Literal: _Checker.literal,
    FieldRef: _Checker.field,
    GlobalRef: _Checker.global_ref,
    Unary: _Checker.unary,
    Binary: _Checker.binary,
    Call: _Checker.call,
}


def _distinct_params(overloads: Sequence[Overload]) -> list[Overload]:
    seen = set()
    out = []
    for overload in overloads:
        key = (overload.params, overload.variadic)
        if key not in seen:
            seen.add(key)
            out.append(overload)
    return out
