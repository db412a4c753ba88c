"""The filter language: a JSON tree checked against an object's fields into a typed tree.

    {"and": [{"status": {"in": ["open", "won"]}}, {"amount": {"gte": 1000}}]}
    {"or": [{"close_date": {"eq": "this_month"}}, {"not": {"owner.name": {"starts_with": "Li"}}}]}

A node is ``{"and": [...]}``, ``{"or": [...]}``, ``{"not": node}`` or a map of field paths to
conditions; several entries in one map are joined with AND. A condition is ``{op: value, ...}``
or a bare value, which means ``eq``. Field paths follow single-target references with dots
(``parent.name``). Every problem is collected and reported together, each naming the field and
operator concerned; a name that is not a field of the object never reaches SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from runtime.errors import FieldError, QueryError
from runtime.query.dates import day_start, resolve_relative
from runtime.records import coercion as c
from runtime.records import model as m
from runtime.records.messages import field_error

MAX_DEPTH = 12
MAX_NODES = 300
MAX_IN_VALUES = 1000
MAX_PATH_HOPS = 3

ORDERED_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "between", "is_null")
OPERATORS: dict[str, tuple[str, ...]] = {
    m.TEXT: ORDERED_OPS[:8] + ("contains", "starts_with", "is_null"),
    m.INTEGER: ORDERED_OPS,
    m.DECIMAL: ORDERED_OPS,
    m.DATE: ORDERED_OPS,
    m.DATETIME: ORDERED_OPS,
    m.TIME: ORDERED_OPS,
    m.BOOLEAN: ("eq", "ne", "is_null"),
    m.CHOICE: ("eq", "ne", "in", "not_in", "is_null"),
    m.CHOICES: ("contains", "is_null"),
    m.REFERENCE: ("eq", "ne", "in", "not_in", "is_null"),
    m.ID: ("eq", "ne", "in", "not_in"),
    m.JSON_LIST: ("is_null",),
    m.GEOLOCATION: ("is_null",),
}
ALL_OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "between", "contains", "starts_with", "is_null")
_KIND_NAMES = {
    m.TEXT: "text", m.INTEGER: "integer", m.DECIMAL: "number", m.DATE: "date", m.DATETIME: "date/time",
    m.TIME: "time", m.BOOLEAN: "checkbox", m.CHOICE: "picklist", m.CHOICES: "multi-value", m.REFERENCE: "reference",
    m.ID: "id", m.JSON_LIST: "file", m.GEOLOCATION: "geolocation",
}


# --- the typed tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPath:
    """A checked field path: the specs along the way (all but the last are references)."""

    text: str
    specs: tuple[m.FieldSpec, ...]
    objects: tuple[str, ...]  # the object each spec belongs to

    @property
    def leaf(self) -> m.FieldSpec:
        return self.specs[-1]


@dataclass(frozen=True)
class Condition:
    """``path op value`` with ``value`` already of the field's type.

    ``op`` is one of :data:`ALL_OPERATORS` or ``range`` (a relative date: ``value`` is a
    half-open (start, end) pair, either end possibly None) or ``outside`` (its negation).
    """

    path: FieldPath
    op: str
    value: Any


@dataclass(frozen=True)
class All:
    children: tuple[Any, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    child: Any


Filter = Condition | All | AnyOf | Not


def walk(node: Filter) -> Iterator[Condition]:
    """Every condition of a typed filter."""
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, Not):
        yield from walk(node.child)
    else:
        for child in node.children:
            yield from walk(child)


# --- paths ------------------------------------------------------------------------------


def resolve_path(models: m.ObjectModels, object_name: str, text: Any, errors: list[FieldError], *, code: str = "invalid_filter") -> FieldPath | None:
    """The :class:`FieldPath` ``text`` names from ``object_name``, or None with an error added
    (``code`` for a malformed path: a sort reports its own)."""
    if not isinstance(text, str) or not text:
        errors.append(field_error(None, code, detail=f"field names are texts, got {text!r}"))
        return None
    parts = text.split(".")
    if len(parts) > MAX_PATH_HOPS + 1:
        errors.append(field_error(text, code, detail=f"at most {MAX_PATH_HOPS} references in a path"))
        return None
    specs, objects = [], []
    current = object_name
    for index, part in enumerate(parts):
        model = models.get(current)
        spec = model.fields.get(part)
        if spec is None:
            errors.append(field_error(text, "unknown_field", field=".".join(parts[: index + 1]) if index else part))
            return None
        specs.append(spec)
        objects.append(current)
        if index < len(parts) - 1:
            if spec.kind != m.REFERENCE or len(spec.targets) != 1 or spec.targets[0] not in models:
                errors.append(field_error(text, code, detail=f"'{part}' is not a single-object reference to follow"))
                return None
            current = spec.targets[0]
    return FieldPath(text, tuple(specs), tuple(objects))


# --- values -----------------------------------------------------------------------------


def _value_coercer(spec: m.FieldSpec) -> Callable[[Any], Any]:
    kind = spec.kind
    if kind in (m.TEXT, m.ID, m.REFERENCE):
        def text(value):
            if type(value) is not str:
                raise c.Invalid("invalid_type", expected="a text")
            return c.check_text(value)
        return text
    if kind == m.INTEGER:
        return c.integer_coercer(None, None)
    if kind == m.DECIMAL:
        return c.to_decimal
    if kind == m.DATE:
        return c.coerce_date
    if kind == m.DATETIME:
        return c.coerce_datetime
    if kind == m.TIME:
        return c.coerce_time
    if kind == m.BOOLEAN:
        def boolean(value):
            if type(value) is not bool:
                raise c.Invalid("invalid_type", expected="true or false")
            return value
        return boolean
    if kind in (m.CHOICE, m.CHOICES):
        choices = spec.choices

        def choice(value):
            if type(value) is not str:
                raise c.Invalid("invalid_type", expected="a text")
            if choices is not None and value not in choices:
                raise c.Invalid("invalid_choice", value=value)
            return c.check_text(value)
        return choice
    def nothing(value):  # pragma: no cover - only is_null applies to the other kinds
        raise c.Invalid("invalid_type", expected="a list")
    return nothing


class _Checker:
    def __init__(self, models: m.ObjectModels, object_name: str, today: dt.date, zone: dt.tzinfo):
        self.models = models
        self.object_name = object_name
        self.today = today
        self.zone = zone
        self.errors: list[FieldError] = []
        self.nodes = 0

    def fail(self, field: str | None, code: str, /, **params) -> None:
        self.errors.append(field_error(field, code, **params))

    def node(self, tree: Any, depth: int) -> Filter | None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            if not any(error.code == "invalid_filter" and "too" in error.message_en for error in self.errors):
                self.fail(None, "invalid_filter", detail=f"too deep or too large (at most {MAX_DEPTH} levels, {MAX_NODES} nodes)")
            return None
        if not isinstance(tree, dict) or not tree:
            self.fail(None, "invalid_filter", detail=f"expected a non-empty object, got {tree!r}")
            return None
        parts: list[Filter] = []
        for key, value in tree.items():
            if key in ("and", "or"):
                if not isinstance(value, list) or not value:
                    self.fail(None, "invalid_filter", detail=f"'{key}' takes a non-empty list")
                    continue
                children = [self.node(child, depth + 1) for child in value]
                if all(child is not None for child in children):
                    parts.append(All(tuple(children)) if key == "and" else AnyOf(tuple(children)))
            elif key == "not":
                child = self.node(value, depth + 1)
                if child is not None:
                    parts.append(Not(child))
            else:
                parts.extend(self.field_conditions(key, value))
        if self.errors:
            return None
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def field_conditions(self, key: str, value: Any) -> list[Condition]:
        path = resolve_path(self.models, self.object_name, key, self.errors)
        if path is None:
            return []
        if not isinstance(value, dict) or (path.leaf.kind == m.GEOLOCATION and set(value) == {"lat", "lng"}):
            value = {"eq": value}
        if not value:
            self.fail(key, "invalid_filter", detail="an empty condition")
            return []
        return [cond for op, operand in value.items() if (cond := self.condition(path, op, operand)) is not None]

    def condition(self, path: FieldPath, op: Any, operand: Any) -> Condition | None:
        spec = path.leaf
        allowed = OPERATORS[spec.kind]
        if op not in ALL_OPERATORS:
            self.fail(path.text, "unknown_operator", operator=op, allowed=", ".join(allowed))
            return None
        if op not in allowed:
            self.fail(path.text, "operator_not_allowed", operator=op, type=_KIND_NAMES[spec.kind], allowed=", ".join(allowed))
            return None
        if op == "is_null":
            if type(operand) is not bool:
                self.fail(path.text, "invalid_filter", detail="is_null takes true or false")
                return None
            return Condition(path, op, operand)
        if spec.kind in (m.DATE, m.DATETIME) and isinstance(operand, str) and op in ("eq", "ne", "lt", "lte", "gt", "gte"):
            span = resolve_relative(operand, self.today)
            if span is not None:
                return self.relative(path, op, span)
            if operand.isidentifier():
                self.fail(path.text, "invalid_relative_date", value=operand)
                return None
        coerce = _value_coercer(spec)
        try:
            if op in ("in", "not_in"):
                if not isinstance(operand, list) or not operand or len(operand) > MAX_IN_VALUES:
                    self.fail(path.text, "invalid_filter", detail=f"'{op}' takes a list of 1 to {MAX_IN_VALUES} values")
                    return None
                return Condition(path, op, tuple(coerce(item) for item in operand))
            if op == "between":
                if not isinstance(operand, list) or len(operand) != 2:
                    self.fail(path.text, "invalid_filter", detail="'between' takes a list of two values [low, high]")
                    return None
                return Condition(path, op, (coerce(operand[0]), coerce(operand[1])))
            if op in ("contains", "starts_with") and spec.kind == m.TEXT:
                if type(operand) is not str or not operand:
                    raise c.Invalid("invalid_type", expected="a text")
                return Condition(path, op, c.check_text(operand))
            if operand is None:
                self.fail(path.text, "invalid_filter", detail=f"compare with null through is_null, not '{op}'")
                return None
            return Condition(path, op, coerce(operand))
        except c.Invalid as invalid:
            params = {**invalid.params, "field": path.text}
            self.fail(path.text, invalid.code, **params)
            return None

    def relative(self, path: FieldPath, op: str, span: tuple[dt.date, dt.date]) -> Condition:
        start, end = span
        if path.leaf.kind == m.DATETIME:
            start, end = day_start(start, self.zone), day_start(end, self.zone)
        # [start, end): eq → inside, ne → outside, lt → before start, gte → from start, …
        bounds = {
            "eq": ("range", (start, end)),
            "ne": ("outside", (start, end)),
            "lt": ("range", (None, start)),
            "gte": ("range", (start, None)),
            "lte": ("range", (None, end)),
            "gt": ("range", (end, None)),
        }
        kind, value = bounds[op]
        return Condition(path, kind, value)


def parse_filter(models: m.ObjectModels, object_name: str, tree: Any, *, today: dt.date, zone: dt.tzinfo) -> Filter | None:
    """The typed filter for ``tree`` on ``object_name`` (None for no filter); raises QueryError listing every problem."""
    if tree is None or tree == {}:
        return None
    checker = _Checker(models, object_name, today, zone)
    result = checker.node(tree, 1)
    if checker.errors:
        raise QueryError(checker.errors, object_name=object_name)
    return result
