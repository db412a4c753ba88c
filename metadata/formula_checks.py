"""Type-checking every formula of a registry, located in the YAML it came from.

Formulas live in five places — formula fields, formula defaults, validation rule conditions,
field rules and roll-up filters — and each is checked in its own formula context (see
:data:`formula.CONTEXTS`): ISNEW / ISCHANGED / PRIORVALUE only where a save is happening,
no other record's fields in a default, a boolean where the platform needs a condition, the
declared return type for a formula field.

A problem is reported at the line and column of the YAML value holding the formula, and its
message names the place inside the formula too (``formula 1:9``), because a formula is often a
quoted or folded YAML scalar whose characters do not map one to one onto the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from formula import BOOLEAN, FormulaError, FormulaType, Kind, dependencies, shared_cache
from formula.ast import TApply, TField, TLiteral, walk
from formula.checker import CheckedFormula
from metadata.errors import Problem
from metadata.formula_schema import RegistryResolver, formula_type_of
from metadata.merged import Registry
from metadata.models import CHOICE_TYPES
from metadata.validation import did_you_mean

__all__ = ["FormulaSite", "check_formulas", "formula_sites"]

#: Field types whose default formula may give text where the field holds a reference: a default
#: such as ``$User.id`` fills a user field with the id of the user who creates the record.
_ID_TEXT_TARGETS = (Kind.REFERENCE,)


@dataclass(frozen=True)
class FormulaSite:
    """One formula in the metadata: where it is, what it is called, how it must be checked."""

    key: tuple[str, ...]  # the registry origin key of the definition holding it
    subpath: tuple[str, ...]  # the data path of the formula below that definition
    what: str  # how a problem names it: "validation rule 'r' condition"
    text: str
    object_name: str
    context: str
    expected: FormulaType | None = None  # a type the result must be assignable to
    blank_as: str = "blank"
    boolean: bool = False  # the result must be a condition (checked here, with our wording)


def formula_sites(registry: Registry) -> Iterator[FormulaSite]:
    """Every formula of every object in ``registry``, with the context it is checked in."""
    for object_def in registry.objects.values():
        name = object_def.api_name
        for definition in object_def.fields:
            key = ("field", name, definition.api_name)
            if definition.type == "formula":
                yield FormulaSite(
                    key,
                    ("expression",),
                    f"formula field '{definition.api_name}'",
                    definition.expression,
                    name,
                    "field",
                    expected=formula_type_of(definition, registry),
                    blank_as=definition.blank_as,
                )
            default = getattr(definition, "default_formula", None)
            if default is not None:
                expected = formula_type_of(definition, registry)
                if expected is not None and expected.kind in _ID_TEXT_TARGETS:
                    expected = None  # checked below: a reference or its id as text
                yield FormulaSite(
                    key,
                    ("default_formula",),
                    f"default formula of field '{definition.api_name}'",
                    default,
                    name,
                    "default",
                    expected=expected,
                )
            if definition.type == "rollup" and definition.filter is not None:
                if definition.child_object in registry.objects:  # a missing child is reported elsewhere
                    yield FormulaSite(
                        key,
                        ("filter",),
                        f"roll-up '{definition.api_name}' filter on '{definition.child_object}'",
                        definition.filter,
                        definition.child_object,
                        "field",
                        boolean=True,
                    )
        for rule in object_def.validation_rules:
            yield FormulaSite(
                ("validation_rule", name, rule.api_name),
                ("condition",),
                f"validation rule '{rule.api_name}' condition",
                rule.condition,
                name,
                "validation",
            )
        for rule in object_def.field_rules:
            for attribute in ("visible_when", "required_when", "read_only_when"):
                text = getattr(rule, attribute)
                if text is not None:
                    yield FormulaSite(
                        ("field_rule", name, rule.api_name),
                        (attribute,),
                        f"field rule '{rule.api_name}' {attribute}",
                        text,
                        name,
                        "rule",
                    )


class _FormulaChecker:
    def __init__(self, registry: Registry, problems: list[Problem]):
        self.registry = registry
        self.problems = problems
        self.resolver = RegistryResolver(registry)

    def report(self, site: FormulaSite, message: str, hint: str | None = None, *, line: int | None = None, column: int | None = None) -> None:
        where = f", formula {line}:{column}" if line is not None else ""
        origin = self.registry.origins.get(site.key)
        text = f"{site.what}{where}: {message}"
        if origin is None:  # a definition without a recorded place (should not happen): still say what is wrong
            self.problems.append(Problem("<metadata>", 1, 1, text, hint))
            return
        self.problems.append(origin.problem(site.subpath, text, hint))

    def site(self, site: FormulaSite) -> CheckedFormula | None:
        try:
            checked = shared_cache().check(
                site.text,
                self.resolver,
                object_name=site.object_name,
                context=site.context,
                expected_type=site.expected,
                blank_as=site.blank_as,
            )
        except FormulaError as error:
            for item in error.errors:
                self.report(site, item.message, item.hint, line=item.line, column=item.column)
            return None
        result = checked.type
        if site.boolean and result.kind not in (Kind.BOOLEAN, Kind.NULL):
            self.report(
                site,
                f"formula returns {result}, but a filter needs {BOOLEAN}",
                "compare the value to get a boolean, e.g. amount > 0",
                line=1,
                column=1,
            )
        if site.context == "default" and site.expected is None:
            self.reference_default(site, checked)
        self.picklist_values(site, checked)
        return checked

    def reference_default(self, site: FormulaSite, checked: CheckedFormula) -> None:
        expected = formula_type_of(self.registry.field(site.object_name, site.key[2]), self.registry)
        result = checked.type
        if result.kind in (Kind.TEXT, Kind.NULL):
            return
        if result.kind is Kind.REFERENCE and (not result.target or result.target == expected.target):
            return
        self.report(
            site,
            f"formula returns {result}, but field '{site.key[2]}' needs {expected}",
            f"give a record id, e.g. $User.id for a reference to {expected.target}" if expected.target == "user" else None,
            line=1,
            column=1,
        )

    def picklist_values(self, site: FormulaSite, checked: CheckedFormula) -> None:
        """ISPICKVAL(field, 'value') and INCLUDES(field, 'value') must name a value the field has."""
        for node in walk(checked.tree):
            if not (isinstance(node, TApply) and node.key in ("ISPICKVAL", "INCLUDES") and len(node.args) == 2):
                continue
            field_node, value_node = node.args
            if not isinstance(field_node, TField) or not isinstance(value_node, TLiteral):
                continue
            if not isinstance(value_node.value, str):
                continue
            values = self.values_of(site.object_name, field_node.path)
            if values is None or value_node.value in values:
                continue
            self.report(
                site,
                f"'{value_node.value}' is not a value of '{'.'.join(field_node.path)}'",
                did_you_mean(value_node.value, values),
                line=value_node.span.line,
                column=value_node.span.column,
            )

    def target_of(self, object_name: str, path: tuple[str, ...]) -> tuple[str, str] | None:
        """The (object, field) a path ends on, or None when it does not end on a declared field."""
        current = object_name
        for name in path[:-1]:
            definition = self.declared(current, name)
            targets = getattr(definition, "targets", ())
            if definition is None or len(targets) != 1:
                return None
            current = targets[0]
        return (current, path[-1]) if self.declared(current, path[-1]) is not None else None

    def declared(self, object_name: str, field_name: str):
        object_def = self.registry.objects.get(object_name)
        if object_def is None:
            return None
        return next((item for item in object_def.fields if item.api_name == field_name), None)

    def values_of(self, object_name: str, path: tuple[str, ...]) -> set[str] | None:
        """The value names of the picklist at ``path``, or None when they cannot be known."""
        target = self.target_of(object_name, path)
        if target is None:
            return None
        current = target[0]
        definition = self.declared(*target)
        if definition.type not in CHOICE_TYPES:
            return None
        value_set = getattr(definition, "value_set", None)
        if value_set is not None and value_set not in self.registry.value_sets:
            return None  # the missing value set is reported on the field
        return {value.api_name for value in self.registry.picklist_values(current, path[-1])}

    def cycles(self, reads: dict[tuple[str, str], tuple[FormulaSite, set[tuple[str, str]]]]) -> None:
        """Formula fields that read themselves, directly or through other formula fields."""
        state: dict[tuple[str, str], str] = {}
        for start in reads:
            if state.get(start) == "done":
                continue
            # iterative depth-first search; a node met again while on the trail closes a cycle
            state[start] = "visiting"
            iterators = {start: iter(sorted(reads[start][1]))}
            trail = [start]
            while trail:
                current = trail[-1]
                following = next(iterators[current], None)
                if following is None:
                    state[current] = "done"
                    trail.pop()
                    continue
                if following not in reads:
                    continue
                if state.get(following) == "visiting":
                    cycle = trail[trail.index(following):] + [following]
                    shown = " → ".join(field if obj == following[0] else f"{obj}.{field}" for obj, field in cycle)
                    self.report(reads[following][0], f"formula fields read each other in a cycle: {shown}")
                elif state.get(following) is None:
                    state[following] = "visiting"
                    iterators[following] = iter(sorted(reads[following][1]))
                    trail.append(following)


def check_formulas(registry: Registry, problems: list[Problem]) -> None:
    """Type-check every formula in ``registry``, appending one located Problem per error."""
    checker = _FormulaChecker(registry, problems)
    reads: dict[tuple[str, str], tuple[FormulaSite, set[tuple[str, str]]]] = {}
    for site in formula_sites(registry):
        checked = checker.site(site)
        if checked is not None and site.key[0] == "field" and site.subpath == ("expression",):
            targets = {checker.target_of(site.object_name, path) for path in dependencies(checked).paths}
            reads[(site.object_name, site.key[2])] = (site, {target for target in targets if target is not None})
    checker.cycles(reads)
