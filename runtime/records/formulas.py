"""Formulas in the record pipeline: validation rules, default formulas, formula fields, roll-up filters.

Each formula text is checked once per metadata version (through the metadata layer's
:class:`~metadata.formula_schema.RegistryResolver`) and compiled to a Python closure; formula
fields and roll-up filters are also compiled to SQL when the formula layer offers a SQL backend
(``formula.compile_sql``), so lists can filter and sort on them. Cross-object paths such as
``parent.name`` are prefetched into the record mapping under their dotted key before a closure
runs, which is what the formula evaluator reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

import formula
from metadata.formula_schema import RegistryResolver, formula_type_of
from metadata.registry import Registry
from runtime.records.context import Actor
from runtime.errors import FieldError
from runtime.records.messages import field_error
from runtime.records.model import ObjectModel, formula_output

UTC = ZoneInfo("UTC")

#: loads {dotted path: value} for the cross-object paths of a formula, given the record
Prefetch = Callable[[ObjectModel, Mapping[str, Any], frozenset[tuple[str, ...]]], Mapping[str, Any]]


@dataclass(frozen=True)
class Compiled:
    """A checked formula, its Python closure and what it reads."""

    text: str
    checked: Any
    run: Any
    dependencies: Any

    @property
    def fields(self) -> frozenset[str]:
        return self.dependencies.fields

    @property
    def cross_object(self) -> frozenset[tuple[str, ...]]:
        return frozenset(path for path in self.dependencies.paths if len(path) > 1)


class FormulaSupport:
    """The formulas of one registry, checked and compiled on first use."""

    def __init__(self, registry: Registry, zone: Callable[[], ZoneInfo] = lambda: UTC):
        self.registry = registry
        #: the site's time zone, asked at each evaluation (a setting may change while we live)
        self.zone = zone
        self.resolver = RegistryResolver(registry)
        self._compiled: dict[tuple, Compiled] = {}
        self.compile_sql = getattr(formula, "compile_sql", None)

    def compiled(self, object_name: str, text: str, context: str, *, expected=None, blank_as: str = "blank") -> Compiled:
        """The compiled formula; raises ``formula.FormulaError`` when the text does not check."""
        key = (object_name, text, context, str(expected), blank_as)
        found = self._compiled.get(key)
        if found is None:
            checked = formula.check(text, self.resolver, object_name=object_name, context=context, expected_type=expected, blank_as=blank_as)
            found = Compiled(text, checked, formula.compile_python(checked), formula.dependencies(checked))
            self._compiled[key] = found
        return found

    def field_formula(self, model: ObjectModel, field_name: str) -> Compiled:
        definition = model.fields[field_name].definition
        return self.compiled(model.name, definition.expression, "field", blank_as=definition.blank_as)

    def formula_inputs(self, model: ObjectModel, compiled: Compiled) -> tuple[frozenset[str] | None, list[str]]:
        """What ``compiled`` reads through the formula fields it names.

        Returns the stored fields of ``model`` it reads, directly or through formula fields (None
        when it also reads other records, the clock or the user: then any change may matter), and
        the formula fields to compute before it runs, each after the formula fields it reads.
        """
        stored: set[str] = set()
        sequence: list[str] = []
        bounded = True
        visiting: set[str] = set()

        def visit(current: Compiled) -> None:
            nonlocal bounded
            if current.cross_object or current.dependencies.reads_clock or current.dependencies.globals:
                bounded = False
            for name in current.fields:
                spec = model.fields.get(name)
                if spec is not None and spec.type == "formula":
                    if name in sequence or name in visiting:
                        continue  # the metadata checks refuse cycles; never loop here
                    visiting.add(name)
                    try:
                        visit(self.field_formula(model, name))
                    except formula.FormulaError:
                        bounded = False
                    sequence.append(name)
                else:
                    stored.add(name)

        visit(compiled)
        return (frozenset(stored) if bounded else None), sequence

    def with_formula_fields(
        self, model: ObjectModel, names: list[str], record: Mapping[str, Any], actor: Actor, prefetch: Prefetch
    ) -> dict[str, Any]:
        """``record`` with formula fields ``names`` computed in sequence, each seeing those before it."""
        scope = dict(record)
        for name in names:
            scope.update(self.field_values(model, [name], scope, actor, prefetch))
        return scope

    def env(self, actor: Actor) -> dict[str, Any]:
        """The globals of an evaluation for ``actor``; ``$Today`` is the date in the site's zone."""
        return {"$User.id": actor.user_id, "$Now": actor.moment(), "$Today": actor.today(self.zone())}

    # -- the pipeline's steps ------------------------------------------------------------

    def default_value(self, model: ObjectModel, field_name: str, record: Mapping[str, Any], actor: Actor, prefetch: Prefetch) -> Any:
        """The value of a field's default formula for a new record."""
        definition = model.fields[field_name].definition
        compiled = self.compiled(model.name, definition.default_formula, "default", expected=formula_type_of(definition, self.registry))
        scope = _with_related(model, record, compiled, prefetch)
        return compiled.run(scope, prior=None, is_new=True, env=self.env(actor))

    def record_fields(self, model: ObjectModel, compiled: Compiled) -> frozenset[str]:
        """The fields of the record itself ``compiled`` reads, directly or through formula fields
        (a cross-object path counts as its reference field: ``parent.name`` reads ``parent``)."""
        found: set[str] = set()
        pending = list(compiled.fields)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            spec = model.fields.get(name)
            if spec is not None and spec.type == "formula":
                try:
                    pending.extend(self.field_formula(model, name).fields)
                except formula.FormulaError:
                    pass
        return frozenset(found)

    def rule_holds(self, model: ObjectModel, condition: str, record: Mapping[str, Any], prior: Mapping[str, Any] | None, actor: Actor, prefetch: Prefetch) -> bool:
        """Whether a validation rule's condition is TRUE for ``record`` (raises ``formula.FormulaError``)."""
        compiled = self.compiled(model.name, condition, "validation")
        scope = _with_related(model, record, compiled, prefetch)
        return compiled.run(scope, prior=prior, is_new=prior is None, env=self.env(actor)) is True

    def validation_errors(
        self,
        model: ObjectModel,
        record: Mapping[str, Any],
        prior: Mapping[str, Any] | None,
        actor: Actor,
        prefetch: Prefetch,
        changed: frozenset[str] | None = None,
    ) -> list[FieldError]:
        """Every active validation rule whose condition is TRUE for ``record``, as errors.

        On update (``changed`` names the fields the save changes) a rule is judged only when the
        save changes a field it reads: a record that broke a rule before the rule existed, or
        before it was tightened, stays editable in every other field. A rule that reads no field
        of the record is always judged.
        """
        errors = []
        for rule in model.definition.validation_rules:
            if not rule.active:
                continue
            try:
                if changed is not None:
                    reads = self.record_fields(model, self.compiled(model.name, rule.condition, "validation"))
                    if reads and not reads & changed:
                        continue
                failed = self.rule_holds(model, rule.condition, record, prior, actor, prefetch)
            except formula.FormulaError as error:
                errors.append(field_error(rule.field, "formula_failed", field=rule.api_name, detail=str(error).splitlines()[0]))
                continue
            if failed is True:
                errors.append(field_error(rule.field, "validation_rule", message_en=rule.message.en, message_zh=rule.message.text("zh")))
        return errors

    def field_rule_errors(
        self, model: ObjectModel, record: Mapping[str, Any], prior: Mapping[str, Any] | None, changed: frozenset[str], actor: Actor, prefetch: Prefetch
    ) -> list[FieldError]:
        """What the object's field rules refuse on save, as forms show it live.

        ``required_when`` TRUE on the record being saved makes a blank field an error, unless a
        ``visible_when`` of the same field hides it. ``read_only_when`` is judged on the stored
        record (``prior``): a field locked there may not be changed by this save, even together
        with the change that would unlock it. Platform jobs (``actor.system``) may change locked fields.
        """
        errors: list[FieldError] = []
        env = self.env(actor)
        business_type = record.get("business_type")

        def holds(text: str, scope: Mapping[str, Any], earlier: Mapping[str, Any] | None, is_new: bool) -> bool:
            compiled = self.compiled(model.name, text, "rule")
            return compiled.run(_with_related(model, scope, compiled, prefetch), prior=earlier, is_new=is_new, env=env) is True

        for rule in model.definition.field_rules:
            if not rule.active or (rule.business_types is not None and business_type not in rule.business_types):
                continue
            try:
                if rule.required_when and _is_blank(record.get(rule.field)) and (prior is None or self._requirement_touched(model, rule, changed)) and holds(rule.required_when, record, prior, prior is None):
                    if not (rule.visible_when and not holds(rule.visible_when, record, prior, prior is None)):
                        errors.append(field_error(rule.field, "required"))
                if rule.read_only_when and prior is not None and not actor.system and rule.field in changed:
                    if holds(rule.read_only_when, prior, None, False):
                        errors.append(field_error(rule.field, "read_only"))
            except formula.FormulaError as error:
                errors.append(field_error(rule.field, "formula_failed", field=rule.api_name, detail=str(error).splitlines()[0]))
        return errors

    def _requirement_touched(self, model: ObjectModel, rule, changed: frozenset[str]) -> bool:
        """Whether an update changes the field a ``required_when`` rule requires or a field its formulas read
        (the same principle as validation rules: older records stay editable in other fields)."""
        reads = {rule.field}
        for text in (rule.required_when, rule.visible_when):
            if text:
                reads |= self.record_fields(model, self.compiled(model.name, text, "rule"))
        return bool(reads & changed)

    def field_values(self, model: ObjectModel, names: list[str], record: Mapping[str, Any], actor: Actor, prefetch: Prefetch) -> dict[str, Any]:
        """Formula field values computed in Python for one record (those SQL did not compute)."""
        values = {}
        env = self.env(actor)
        for name in names:
            compiled = self.field_formula(model, name)
            scope = _with_related(model, record, compiled, prefetch)
            try:
                values[name] = formula_output(model.fields[name], compiled.run(scope, prior=None, is_new=False, env=env))
            except formula.FormulaError:
                values[name] = None  # a formula that fails on a record's data shows blank, as in lists
        return values

    # -- SQL -----------------------------------------------------------------------------

    def sql(self, compiled: Compiled, columns: Callable[[tuple[str, ...]], Any], dialect: str) -> sa.ColumnElement | None:
        """The SQL expression of a compiled formula, or None when the SQL backend cannot express it."""
        if self.compile_sql is None:
            return None
        if compiled.dependencies.reads_clock or compiled.dependencies.globals:
            # The clock and $User would be bound once into a statement that is reused: these are
            # computed in Python after the fetch instead (and cannot be filtered or sorted on).
            return None
        try:
            return self.compile_sql(compiled.checked, columns, dialect=dialect).expression
        except (formula.FormulaError, KeyError, LookupError):
            return None


def _with_related(model: ObjectModel, record: Mapping[str, Any], compiled: Compiled, prefetch: Prefetch) -> Mapping[str, Any]:
    paths = compiled.cross_object
    if not paths:
        return record
    return {**record, **prefetch(model, record, paths)}


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)
