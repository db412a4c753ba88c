"""The Python backend: a checked formula compiled to nested closures, evaluated on records.

No Python source is generated or evaluated: every node becomes a small closure over its
children's closures and the overload's implementation. Values never expose Python objects to
the formula (there is no attribute access in the language).

A record is a mapping of field name → value. A cross-object path such as ``owner.name`` is read
from the key ``"owner.name"`` (what a prefetch of :func:`formula.dependencies` paths provides)
or, failing that, by walking nested mappings (``{"owner": {"name": …}}``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from formula.ast import TApply, TField, TGlobal, TLiteral, Typed
from formula.checker import CheckedFormula
from formula.errors import FormulaCompileError, FormulaError, FormulaEvaluationError
from formula.functions.logical import is_blank
from formula.functions.operators import comparison_overload
from formula.regex import compile_pattern
from formula.types import FormulaType, Kind
from formula.values import UTC, ZERO, converter

__all__ = ["CompiledFormula", "compile_python"]

_MISSING = object()
_NUMERIC = (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT)
_SCOPED_KEYS = frozenset({"ISNEW", "ISCHANGED", "PRIORVALUE", "TODAY", "NOW", "TIMENOW"})
_COMPARE = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}

Closure = Callable[[Any], Any]
#: Overload key → the _Compiler method compiling it as a special form (None: an ordinary call),
#: filled in as keys are met.
_SPECIAL: dict[str, Any] = {}
#: Python classes whose values a field reader may return as they are (no conversion needed).
_ALREADY_CANONICAL = {
    Kind.NUMBER: Decimal,
    Kind.CURRENCY: Decimal,
    Kind.PERCENT: Decimal,
    Kind.TEXT: str,
    Kind.PICKLIST: str,
    Kind.BOOLEAN: bool,
    Kind.DATE: dt.date,
}


class _Scope:
    """What a scoped evaluation sees besides the record: prior values, newness, globals, clock."""

    __slots__ = ("record", "prior", "is_new", "env", "_now")

    def __init__(self, record, prior, is_new, env) -> None:
        self.record = record
        self.prior = prior
        self.is_new = (prior is None) if is_new is None else is_new
        self.env = env or {}
        self._now = None

    def now(self) -> dt.datetime:
        if self._now is None:
            value = self.env.get("$Now")
            self._now = converter(FormulaType(Kind.DATETIME))(value) if value is not None else dt.datetime.now(UTC)
        return self._now

    def today(self) -> dt.date:
        value = self.env.get("$Today")
        if value is not None:
            return converter(FormulaType(Kind.DATE))(value)
        return self.now().date()


class CompiledFormula:
    """A formula ready to run on records: ``compiled(record, prior=…, is_new=…, env=…)``.

    ``env`` supplies globals by key (``"$User.id"``, or nested ``{"$User": {"id": …}}``) and the
    clock (``"$Now"``, ``"$Today"``; default: the current UTC time). ``is_new`` defaults to
    ``prior is None``. Returns the canonical value (see :mod:`formula.values`); raises
    :class:`~formula.errors.FormulaEvaluationError` and nothing else for bad data.
    """

    __slots__ = ("checked", "type", "_fn", "_scoped", "_blank_text")

    def __init__(self, checked: CheckedFormula, fn: Closure, scoped: bool) -> None:
        self.checked = checked
        self.type = checked.type
        self._fn = fn
        self._scoped = scoped
        self._blank_text = checked.type.kind in (Kind.TEXT, Kind.PICKLIST, Kind.MULTIPICKLIST)

    def __call__(
        self,
        record: Mapping[str, Any] | None = None,
        *,
        prior: Mapping[str, Any] | None = None,
        is_new: bool | None = None,
        env: Mapping[str, Any] | None = None,
    ) -> Any:
        if record is None:
            record = {}
        argument = _Scope(record, prior, is_new, env) if self._scoped else record
        try:
            value = self._fn(argument)
        except FormulaError as exc:
            exc.located(0, len(self.checked.text), self.checked.text)
            raise
        except (ArithmeticError, ValueError, RecursionError) as exc:
            raise FormulaEvaluationError(
                f"evaluation failed: {exc}", start=0, end=len(self.checked.text), text=self.checked.text
            ) from None
        if self._blank_text and not value:
            return None
        return value

    evaluate = __call__


def compile_python(checked: CheckedFormula) -> CompiledFormula:
    """Compile a checked formula into a :class:`CompiledFormula` (closures, no ``eval``)."""
    # Most formulas read only the record: compile for that, and start over with the scope
    # (prior values, globals, clock) on meeting a node that needs it, rather than walking the
    # tree beforehand to find out.
    try:
        fn, _ = _Compiler(checked, False).compile(checked.tree)
        return CompiledFormula(checked, fn, False)
    except _NeedsScope:
        pass
    fn, _ = _Compiler(checked, True).compile(checked.tree)
    return CompiledFormula(checked, fn, True)


class _NeedsScope(Exception):
    """Raised while compiling without a scope, on a node that needs one (globals, ISNEW, NOW…)."""


def _constant_of(part: tuple[Closure, bool]) -> Any:
    """The value of a constant operand, or ``_MISSING`` when it is not one (or fails)."""
    fn, constant = part
    if not constant:
        return _MISSING
    try:
        return fn(None)
    except FormulaError:
        return _MISSING


def _locate(exc: FormulaError, node: Typed, text: str) -> FormulaError:
    return exc.located(node.span.start, node.span.end, text)


class _Compiler:
    def __init__(self, checked: CheckedFormula, scoped: bool) -> None:
        self.checked = checked
        self.text = checked.text
        self.scoped = scoped
        self.blank_zero = checked.blank_as_zero

    def compile(self, node: Typed) -> tuple[Closure, bool]:
        """(closure, is_constant)."""
        cls = node.__class__
        if cls is TApply:
            return self.apply(node)
        if cls is TField:
            return self.field(node), False
        if cls is TLiteral:
            value = node.value
            return (lambda s: value), True
        if cls is TGlobal:
            if not self.scoped:
                raise _NeedsScope
            return self.global_value(node), False
        raise FormulaCompileError(f"cannot compile {node!r}")  # pragma: no cover

    # -- reading values ------------------------------------------------------------------

    def reader(self, path: tuple[str, ...], formula_type: FormulaType) -> Callable[[Mapping], Any]:
        """A function reading ``path`` from a record mapping, converted to the canonical type."""
        convert = converter(formula_type)
        kind = formula_type.kind
        name = ".".join(path)
        fast = _ALREADY_CANONICAL.get(kind)
        zero = self.blank_zero and kind in _NUMERIC

        if len(path) == 1 and fast is not None and not zero:
            if kind is Kind.BOOLEAN:

                def read(r):
                    v = r.get(name)
                    return v if v.__class__ is bool else convert(v, name)

                return read

            def read(r):
                v = r.get(name)
                if v is None or v.__class__ is fast:
                    return v
                return convert(v, name)

            return read

        if len(path) == 1:

            def raw(r):
                return r.get(name)

        else:

            def raw(r):
                value = r.get(name, _MISSING)
                if value is not _MISSING:
                    return value
                current = r
                for segment in path:
                    if current is None:
                        return None
                    if not isinstance(current, Mapping):
                        raise FormulaEvaluationError(f"cannot follow '{segment}' in {name}: no related record data")
                    current = current.get(segment)
                return current

        def read(r):
            v = raw(r)
            if fast is not None and v.__class__ is fast:
                return v
            v = convert(v, name)
            if v is None and zero:
                return ZERO
            return v

        return read

    def field(self, node: TField) -> Closure:
        read = self.reader(node.path, node.type)
        if not self.scoped:
            return read
        return lambda s: read(s.record)

    def global_value(self, node: TGlobal) -> Closure:
        key = node.key
        if key == "$Today":
            return lambda s: s.today()
        if key == "$Now":
            return lambda s: s.now()
        convert = converter(node.type)
        head, _, rest = key.partition(".")
        segments = rest.split(".")

        def read(s):
            env = s.env
            value = env.get(key, _MISSING)
            if value is _MISSING:
                value = env.get(head)
                for segment in segments:
                    value = value.get(segment) if isinstance(value, Mapping) else None
            return convert(value, key)

        return read

    # -- operators and functions ---------------------------------------------------------

    def apply(self, node: TApply) -> tuple[Closure, bool]:
        overload = node.overload
        key = overload.key
        special = _SPECIAL.get(key, _MISSING)
        if special is _MISSING:
            special = _SPECIAL[key] = getattr(_Compiler, "_" + key.lower(), None)
        if special is not None:
            if not self.scoped and key in _SCOPED_KEYS:
                raise _NeedsScope
            return special(self, node), False
        compile = self.compile
        parts = []
        fns = []
        constant = True
        for arg in node.args:  # a loop, not comprehensions: Python 3.11 runs those as calls
            part = compile(arg)
            parts.append(part)
            fns.append(part[0])
            if not part[1]:
                constant = False
        if overload.nulls == "propagate" and "op" in overload.info:
            fn = self.comparison(node, fns, parts)
        else:
            fn = self.call(node, fns, parts)
        if not constant:
            return fn, False
        try:  # every operand is constant: so is the result, worked out now
            value = fn(None)
        except FormulaError:
            return fn, False
        return (lambda s: value), True

    def comparison(self, node: TApply, fns: list[Closure], parts) -> Closure:
        compare = _COMPARE[node.overload.info["op"]]
        if node.overload.py is not compare:
            compare = node.overload.py
        left, right = fns
        if parts[1][1]:
            constant = right(None)
            if constant is None:
                return lambda s: False
            return lambda s: (a := left(s)) is not None and compare(a, constant)

        def fn(s):
            a = left(s)
            if a is None:
                return False
            b = right(s)
            return b is not None and compare(a, b)

        return fn

    def call(self, node: TApply, fns: list[Closure], parts=()) -> Closure:
        impl = node.overload.py
        if impl is None:  # pragma: no cover - every non-special overload has one
            raise FormulaCompileError(f"{node.key} has no Python implementation")
        propagate = node.overload.nulls == "propagate"
        null_result = False if node.type.kind is Kind.BOOLEAN else None
        text = self.text
        located = _locate

        def failed(exc: Exception) -> FormulaEvaluationError:
            error = FormulaEvaluationError(str(exc) or exc.__class__.__name__)
            if isinstance(exc, FormulaEvaluationError):
                error = exc
            elif isinstance(exc, OverflowError | ValueError):
                error = FormulaEvaluationError("value out of range")
            return located(error, node, text)

        if len(fns) == 1:
            (a,) = fns
            if propagate:

                def fn(s):
                    x = a(s)
                    if x is None:
                        return null_result
                    try:
                        return impl(x)
                    except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                        raise failed(exc) from None

            else:

                def fn(s):
                    try:
                        return impl(a(s))
                    except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                        raise failed(exc) from None

            return fn
        if len(fns) == 2:
            a, b = fns
            constant = _constant_of(parts[1]) if len(parts) == 2 else _MISSING
            if constant is not _MISSING and (constant is not None or not propagate):
                # ISPICKVAL(stage, "won"), LEFT(name, 3)…: the literal is read once, not per record

                def fn(s):
                    x = a(s)
                    if x is None and propagate:
                        return null_result
                    try:
                        return impl(x, constant)
                    except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                        raise failed(exc) from None

                return fn
            if propagate:

                def fn(s):
                    x = a(s)
                    if x is None:
                        return null_result
                    y = b(s)
                    if y is None:
                        return null_result
                    try:
                        return impl(x, y)
                    except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                        raise failed(exc) from None

            else:

                def fn(s):
                    try:
                        return impl(a(s), b(s))
                    except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                        raise failed(exc) from None

            return fn

        def fn(s):
            values = [f(s) for f in fns]
            if propagate and None in values:
                return null_result
            try:
                return impl(*values)
            except (FormulaEvaluationError, ArithmeticError, ValueError) as exc:
                raise failed(exc) from None

        return fn

    # -- special forms (named _<key>) ------------------------------------------------------

    def _fns(self, node: TApply) -> list[Closure]:
        return [self.compile(arg)[0] for arg in node.args]

    def _chain(self, node: TApply) -> list[Closure]:
        """The operands of ``a || b || c`` (parsed as OR(OR(a, b), c)) as one flat list: one call fewer per link."""
        fns: list[Closure] = []
        for arg in node.args:
            if isinstance(arg, TApply) and arg.key == node.key:
                fns.extend(self._chain(arg))
            else:
                fns.append(self.compile(arg)[0])
        return fns

    def _and(self, node: TApply) -> Closure:
        fns = self._chain(node)
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            a, b = fns
            return lambda s: a(s) and b(s)
        if len(fns) == 3:
            a, b, c = fns
            return lambda s: a(s) and b(s) and c(s)

        def fn(s):
            for f in fns:
                if not f(s):
                    return False
            return True

        return fn

    def _or(self, node: TApply) -> Closure:
        fns = self._chain(node)
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            a, b = fns
            return lambda s: a(s) or b(s)
        if len(fns) == 3:
            a, b, c = fns
            return lambda s: a(s) or b(s) or c(s)

        def fn(s):
            for f in fns:
                if f(s):
                    return True
            return False

        return fn

    def _not(self, node: TApply) -> Closure:
        (a,) = self._fns(node)
        return lambda s: not a(s)

    def _if(self, node: TApply) -> Closure:
        condition, yes, no = self._fns(node)
        return lambda s: yes(s) if condition(s) else no(s)

    def _ifs(self, node: TApply) -> Closure:
        fns = self._fns(node)
        pairs = [(fns[i], fns[i + 1]) for i in range(0, len(fns) - 1, 2)]
        otherwise = fns[-1]

        def fn(s):
            for condition, value in pairs:
                if condition(s):
                    return value(s)
            return otherwise(s)

        return fn

    def _case(self, node: TApply) -> Closure:
        fns = self._fns(node)
        subject = fns[0]
        pairs = [(fns[i], fns[i + 1]) for i in range(1, len(fns) - 1, 2)]
        otherwise = fns[-1]
        kind = node.args[0].type.kind
        if kind is Kind.NULL:
            return otherwise
        overload = comparison_overload(kind)
        equal = overload.py
        propagate = overload.nulls == "propagate"

        def fn(s):
            x = subject(s)
            for value, result in pairs:
                y = value(s)
                if propagate and (x is None or y is None):
                    continue
                if equal(x, y):
                    return result(s)
            return otherwise(s)

        return fn

    def _blankvalue(self, node: TApply) -> Closure:
        value, substitute = self._fns(node)

        def fn(s):
            v = value(s)
            return substitute(s) if is_blank(v) else v

        return fn

    _nullvalue = _blankvalue

    def _regex(self, node: TApply) -> Closure:
        text, _ = self._fns(node)
        pattern = compile_pattern(node.args[1].value or "")
        return lambda s: pattern.fullmatch(text(s) or "")

    def _today(self, node: TApply) -> Closure:
        return lambda s: s.today()

    def _now(self, node: TApply) -> Closure:
        return lambda s: s.now()

    def _timenow(self, node: TApply) -> Closure:
        return lambda s: s.now().time().replace(tzinfo=None)

    def _isnew(self, node: TApply) -> Closure:
        return lambda s: s.is_new

    def _prior_reader(self, node: TApply):
        field = node.args[0]
        if not isinstance(field, TField):  # pragma: no cover - the checker ensures it
            raise FormulaCompileError("PRIORVALUE/ISCHANGED need a field")
        return self.reader(field.path, field.type)

    def _priorvalue(self, node: TApply) -> Closure:
        read = self._prior_reader(node)

        def fn(s):
            if s.is_new or s.prior is None:
                return read(s.record)
            return read(s.prior)

        return fn

    def _ischanged(self, node: TApply) -> Closure:
        read = self._prior_reader(node)
        blank_text = node.args[0].type.kind in (Kind.TEXT, Kind.PICKLIST)

        def fn(s):
            if s.is_new or s.prior is None:
                return False
            before, after = read(s.prior), read(s.record)
            if blank_text:
                return (before or "") != (after or "")
            return before != after

        return fn
