"""Cross-reference checks over a merged registry.

Each check walks one kind of reference — lookup targets, value sets, layouts, stages, roll-ups —
and reports a located problem with a did-you-mean hint where a close name exists. Formulas are
type-checked by :mod:`metadata.formula_checks`, called from :func:`check_registry`.
"""

from __future__ import annotations

from collections import Counter

from metadata.errors import Problem
from metadata.formula_checks import check_formulas
from metadata.merged import Registry
from metadata.models import (
    CHOICE_TYPES,
    REFERENCE_TYPES,
    SYSTEM_FIELD_NAMES,
    Layout,
    ObjectDef,
    ValueSet,
)
from metadata.validation import did_you_mean


#: Prefix of the platform's own tables (metadata store, history, archives); objects may not use it.
RESERVED_OBJECT_PREFIX = "tessera"
NAME_FIELD_TYPES = frozenset({"text", "auto_number", "email", "phone", "formula"})
NUMERIC_TYPES = frozenset({"integer", "number", "currency", "percent"})
ORDERED_TYPES = NUMERIC_TYPES | {"date", "datetime", "time"}
#: Fields that may hold a stage path's win rate (0–100, with the key events' fractional shares).
WIN_RATE_TYPES = frozenset({"number", "percent"})
#: Field types a unique group cannot hold: computed (no column, or kept by the platform), two
#: columns, lists, or text too long to index on every database.
UNIQUE_UNSUPPORTED_TYPES = frozenset(
    {"formula", "rollup", "geolocation", "multi_picklist", "tags", "file", "image", "long_text", "rich_text", "textarea"}
)
#: System fields a unique group may name ("one per owner", "one per business type").
UNIQUE_SYSTEM_FIELDS = frozenset({"owner", "business_type"})


class _Checker:
    def __init__(self, registry: Registry, problems: list[Problem]):
        self.registry = registry
        self.problems = problems

    def missing(self, folder: str, name: str) -> bool:
        """Whether ``name`` is neither defined nor in a file that failed to load (already reported)."""
        table = getattr(self.registry, folder)
        return name not in table and name not in self.registry.broken.get(folder, ())

    def dangling(self, definition) -> bool:
        """Whether a reference field points at an object that does not exist (reported on the field)."""
        return any(target not in self.registry.objects for target in getattr(definition, "targets", ()))

    def report(self, key: tuple[str, ...], subpath: tuple, message: str, hint: str | None = None, *, at_key: bool = False) -> None:
        origin = self.registry.origins[key]
        self.problems.append(origin.problem(subpath, message, hint, key=at_key))

    # -- objects -----------------------------------------------------------------------------

    def objects(self) -> None:
        for package in self.registry.packages:
            namespace = package.manifest.namespace
            for object_def, _ in package.objects:
                if namespace and not object_def.api_name.startswith(f"{namespace}_"):
                    self.report(
                        ("object", object_def.api_name),
                        ("api_name",),
                        f"object '{object_def.api_name}' of package '{package.name}' must start with '{namespace}_'",
                    )
        for object_def in self.registry.objects.values():
            if object_def.api_name.startswith(RESERVED_OBJECT_PREFIX):
                self.report(
                    ("object", object_def.api_name),
                    ("api_name",),
                    f"object names starting with '{RESERVED_OBJECT_PREFIX}' are reserved for the platform's own tables",
                )
            self.object(object_def)
        self.master_detail_cycles()

    def object(self, object_def: ObjectDef) -> None:
        name = object_def.api_name
        fields = {definition.api_name: definition for definition in object_def.fields}
        for definition in object_def.fields:
            key = ("field", name, definition.api_name)
            if definition.api_name in SYSTEM_FIELD_NAMES:
                self.report(key, ("api_name",), f"'{definition.api_name}' is a system field every object has; choose another name")
            self.field(object_def, fields, definition, key)
        readable = set(fields) | SYSTEM_FIELD_NAMES
        if object_def.name_field not in readable:
            self.report(("object", name), ("name_field",), f"name field '{object_def.name_field}' is not a field of '{name}'", did_you_mean(object_def.name_field, fields))
        elif object_def.name_field in fields and fields[object_def.name_field].type not in NAME_FIELD_TYPES:
            self.report(("object", name), ("name_field",), f"name field '{object_def.name_field}' must be text, auto-number or formula, not {fields[object_def.name_field].type}")
        self.stages(object_def, fields)
        self.unique_groups(object_def, fields)
        self.business_types(object_def, fields)
        for rule in object_def.validation_rules:
            if rule.field is not None and rule.field not in readable:
                self.report(("validation_rule", name, rule.api_name), ("field",), f"unknown field '{rule.field}' on '{name}'", did_you_mean(rule.field, fields))
        type_names = {business_type.api_name for business_type in object_def.business_types}
        for rule in object_def.field_rules:
            key = ("field_rule", name, rule.api_name)
            if rule.field not in fields:
                self.report(key, ("field",), f"unknown field '{rule.field}' on '{name}'", did_you_mean(rule.field, fields))
            for index, type_name in enumerate(rule.business_types or []):
                if type_name not in type_names:
                    self.report(key, ("business_types", index), f"unknown business type '{type_name}' on '{name}'", did_you_mean(type_name, type_names))

    def field(self, object_def: ObjectDef, fields: dict, definition, key: tuple) -> None:
        kind = definition.type
        if kind in REFERENCE_TYPES:
            for index, target in enumerate(definition.targets):
                if self.missing("objects", target):
                    subpath = ("to", index) if isinstance(getattr(definition, "to", None), list) else ("to",)
                    if kind in {"user", "department"}:
                        subpath = ("type",)
                    self.report(key, subpath, f"unknown object '{target}'", did_you_mean(target, self.registry.objects))
        if kind in CHOICE_TYPES:
            self.choice(object_def, fields, definition, key)
        if kind == "region":
            value_set = self.registry.value_sets.get(definition.value_set)
            if value_set is None:
                if self.missing("value_sets", definition.value_set):
                        self.report(key, ("value_set",), f"unknown value set '{definition.value_set}'", did_you_mean(definition.value_set, self.registry.value_sets))
            elif not value_set.hierarchical:
                self.report(key, ("value_set",), f"value set '{definition.value_set}' is not hierarchical")
        if kind == "rollup":
            self.rollup(object_def, definition, key)

    def choice(self, object_def: ObjectDef, fields: dict, definition, key: tuple) -> None:
        if definition.value_set is not None and definition.value_set not in self.registry.value_sets:
            if self.missing("value_sets", definition.value_set):
                self.report(key, ("value_set",), f"unknown value set '{definition.value_set}'", did_you_mean(definition.value_set, self.registry.value_sets))
            return
        values = [value.api_name for value in self.registry.picklist_values(object_def.api_name, definition.api_name)]
        for value_name, count in Counter(values).items():
            if count > 1:
                self.report(key, ("values",), f"duplicate value '{value_name}'")
        allowed = set(values)
        defaults = definition.default if isinstance(definition.default, list) else [definition.default]
        for value_name in defaults:
            if value_name is not None and value_name not in allowed:
                self.report(key, ("default",), f"default '{value_name}' is not a value of '{definition.api_name}'", did_you_mean(value_name, allowed))
        if definition.controlling_field is None:
            return
        controller = fields.get(definition.controlling_field)
        if controller is None or controller.type not in {"picklist", "checkbox"}:
            message = (
                f"unknown field '{definition.controlling_field}' on '{object_def.api_name}'"
                if controller is None
                else f"controlling field '{definition.controlling_field}' must be a picklist or checkbox, not {controller.type}"
            )
            self.report(key, ("controlling_field",), message, did_you_mean(definition.controlling_field, fields) if controller is None else None)
            return
        if getattr(controller, "value_set", None) is not None and controller.value_set not in self.registry.value_sets:
            return  # the controller's own value set is missing, reported on the controller
        if controller.type == "checkbox":
            controlling_values = {"true", "false"}
        else:
            controlling_values = {value.api_name for value in self.registry.picklist_values(object_def.api_name, controller.api_name)}
        for controlling_value, dependents in (definition.dependencies or {}).items():
            if controlling_value not in controlling_values:
                self.report(key, ("dependencies", controlling_value), f"'{controlling_value}' is not a value of controlling field '{controller.api_name}'", did_you_mean(controlling_value, controlling_values), at_key=True)
            for index, value_name in enumerate(dependents):
                if value_name not in allowed:
                    self.report(key, ("dependencies", controlling_value, index), f"'{value_name}' is not a value of '{definition.api_name}'", did_you_mean(value_name, allowed))

    def rollup(self, object_def: ObjectDef, definition, key: tuple) -> None:
        child = self.registry.objects.get(definition.child_object)
        if child is None:
            if self.missing("objects", definition.child_object):
                    self.report(key, ("child_object",), f"unknown object '{definition.child_object}'", did_you_mean(definition.child_object, self.registry.objects))
            return
        child_fields = {item.api_name: item for item in child.fields}
        relation = child_fields.get(definition.relation_field)
        if relation is None:
            self.report(key, ("relation_field",), f"unknown field '{definition.relation_field}' on '{child.api_name}'", did_you_mean(definition.relation_field, child_fields))
        elif not self.dangling(relation) and (relation.type not in REFERENCE_TYPES or object_def.api_name not in relation.targets):
            self.report(key, ("relation_field",), f"'{child.api_name}.{definition.relation_field}' does not refer to '{object_def.api_name}'")
        if definition.summarized_field is None:
            return
        summarized = child_fields.get(definition.summarized_field)
        if summarized is None:
            self.report(key, ("summarized_field",), f"unknown field '{definition.summarized_field}' on '{child.api_name}'", did_you_mean(definition.summarized_field, child_fields))
            return
        summarized_type = self.value_type(summarized)
        wanted = NUMERIC_TYPES if definition.function == "sum" else ORDERED_TYPES
        if summarized_type not in wanted:
            self.report(key, ("summarized_field",), f"{definition.function} needs a {'numeric' if definition.function == 'sum' else 'numeric or date'} field; '{definition.summarized_field}' is {summarized_type}")

    def value_type(self, definition, depth: int = 0) -> str:
        """The type of the values a field holds: a formula's return type, a roll-up's result type."""
        if definition.type == "formula":
            return definition.return_type
        if definition.type != "rollup" or depth > 10:
            return definition.type
        if definition.function == "count":
            return "integer"
        child = self.registry.objects.get(definition.child_object)
        summarized = next((item for item in (child.fields if child else []) if item.api_name == definition.summarized_field), None)
        return self.value_type(summarized, depth + 1) if summarized is not None else "number"

    def master_detail_cycles(self) -> None:
        masters: dict[str, list[tuple[str, str]]] = {}
        for object_def in self.registry.objects.values():
            for definition in object_def.fields:
                if definition.type == "master_detail":
                    masters.setdefault(object_def.api_name, []).append((definition.to, definition.api_name))
        reported: set[frozenset[str]] = set()
        for start in masters:
            stack = [(start, [start], None)]
            while stack:
                current, trail, first_field = stack.pop()
                for parent, field_name in masters.get(current, []):
                    origin_field = first_field or field_name
                    if parent == start:
                        cycle = frozenset(trail)
                        if cycle not in reported:
                            reported.add(cycle)
                            self.report(("field", start, origin_field), ("to",), f"master-detail cycle: {' → '.join(trail + [start])}")
                    elif parent not in trail and len(trail) < 50:
                        stack.append((parent, trail + [parent], origin_field))

    def stages(self, object_def: ObjectDef, fields: dict) -> None:
        name = object_def.api_name
        stage_field = object_def.stage_field
        self.win_rate_field(object_def, fields)
        if stage_field is None:
            for business_type in object_def.business_types:
                if business_type.stages is not None:
                    self.report(("business_type", name, business_type.api_name), ("stages",), f"object '{name}' has no stage_field, so its business types cannot have stages")
            return
        definition = fields.get(stage_field)
        if definition is None or definition.type != "picklist":
            message = f"unknown field '{stage_field}' on '{name}'" if definition is None else f"stage field '{stage_field}' must be a picklist, not {definition.type}"
            self.report(("object", name), ("stage_field",), message, did_you_mean(stage_field, fields) if definition is None else None)
            return
        values = {value.api_name for value in self.registry.picklist_values(name, stage_field)}
        if not object_def.business_types:
            self.report(("object", name), ("stage_field",), f"object '{name}' has a stage field but no business type to arrange its stages")
        for business_type in object_def.business_types:
            key = ("business_type", name, business_type.api_name)
            if business_type.stages is None:
                self.report(key, ("api_name",), f"business type '{business_type.api_name}' needs 'stages' because '{name}' has a stage field")
                continue
            seen: set[str] = set()
            for index, stage in enumerate(business_type.stages):
                if stage.value not in values:
                    self.report(key, ("stages", index, "value"), f"'{stage.value}' is not a value of stage field '{stage_field}'", did_you_mean(stage.value, values))
                if stage.value in seen:
                    self.report(key, ("stages", index, "value"), f"stage '{stage.value}' appears twice")
                seen.add(stage.value)
                self.key_event_shares(key, business_type.stages, index)
                event_names = Counter(event.api_name for event in stage.key_events)
                for event_name, count in event_names.items():
                    if count > 1:
                        self.report(key, ("stages", index, "key_events"), f"duplicate key event '{event_name}'")

    def unique_groups(self, object_def: ObjectDef, fields: dict) -> None:
        """Each ``unique`` group names stored, single-column fields (or owner / business type), once."""
        name = object_def.api_name
        seen: dict[frozenset[str], int] = {}
        for index, group in enumerate(object_def.unique):
            for position, field_name in enumerate(group):
                subpath = ("unique", index, position)
                definition = fields.get(field_name)
                if definition is None:
                    if field_name not in UNIQUE_SYSTEM_FIELDS:
                        choices = set(fields) | UNIQUE_SYSTEM_FIELDS
                        self.report(("object", name), subpath, f"unknown field '{field_name}' on '{name}'", did_you_mean(field_name, choices))
                elif definition.type in UNIQUE_UNSUPPORTED_TYPES:
                    self.report(("object", name), subpath, f"field '{field_name}' is {definition.type}, which a unique group cannot hold")
            key = frozenset(group)
            if key in seen:
                self.report(("object", name), ("unique", index), f"unique group {group} repeats group {seen[key] + 1}")
            seen.setdefault(key, index)

    def win_rate_field(self, object_def: ObjectDef, fields: dict) -> None:
        """The field the platform keeps at the stage path's win rate: a stored number or percent."""
        name, target = object_def.api_name, object_def.win_rate_field
        if target is None:
            return
        if object_def.stage_field is None:
            self.report(("object", name), ("win_rate_field",), f"object '{name}' has no stage_field, so it has no win rate to keep in '{target}'")
            return
        definition = fields.get(target)
        if definition is None:
            self.report(("object", name), ("win_rate_field",), f"unknown field '{target}' on '{name}'", did_you_mean(target, fields))
        elif definition.type not in WIN_RATE_TYPES:
            self.report(("object", name), ("win_rate_field",), f"win rate field '{target}' must be a percent or number field, not {definition.type}")

    def key_event_shares(self, key: tuple, stages: list, index: int) -> None:
        """Key events of an open stage may add at most the points up to the next open stage (or 100)."""
        stage = stages[index]
        if stage.outcome != "open" or not stage.key_events:
            return
        following = [later.win_rate for later in stages[index + 1:] if later.outcome == "open"]
        gap = (following[0] if following else 100) - stage.win_rate
        total = sum(event.win_rate_share for event in stage.key_events)
        if total > gap:
            self.report(
                key,
                ("stages", index, "key_events"),
                f"key events of stage '{stage.value}' add {total} points of win rate, more than the {gap} "
                "points up to the next stage",
            )

    def business_types(self, object_def: ObjectDef, fields: dict) -> None:
        name = object_def.api_name
        types = object_def.business_types
        defaults = [business_type for business_type in types if business_type.default]
        if types and len(defaults) != 1:
            where = ("business_type", name, (defaults[1] if len(defaults) > 1 else types[0]).api_name)
            self.report(where, ("default",) if defaults else ("api_name",), f"object '{name}' needs exactly one default business type, has {len(defaults)}")
        for business_type in types:
            key = ("business_type", name, business_type.api_name)
            if business_type.layout is not None:
                layout = self.registry.layouts.get(business_type.layout)
                if layout is None:
                    if self.missing("layouts", business_type.layout):
                            self.report(key, ("layout",), f"unknown layout '{business_type.layout}'", did_you_mean(business_type.layout, self.registry.layouts))
                elif layout.object != name:
                    self.report(key, ("layout",), f"layout '{business_type.layout}' is for object '{layout.object}', not '{name}'")
            for index, field_name in enumerate(business_type.required_fields):
                if field_name not in fields:
                    self.report(key, ("required_fields", index), f"unknown field '{field_name}' on '{name}'", did_you_mean(field_name, fields))
            for field_name, subset in business_type.picklist_values.items():
                definition = fields.get(field_name)
                if definition is None or definition.type not in CHOICE_TYPES:
                    message = f"unknown field '{field_name}' on '{name}'" if definition is None else f"'{field_name}' is not a picklist"
                    self.report(key, ("picklist_values", field_name), message, did_you_mean(field_name, fields) if definition is None else None, at_key=True)
                    continue
                if getattr(definition, "value_set", None) is not None and definition.value_set not in self.registry.value_sets:
                    continue  # reported on the field
                allowed = {value.api_name for value in self.registry.picklist_values(name, field_name)}
                for index, value_name in enumerate(subset):
                    if value_name not in allowed:
                        self.report(key, ("picklist_values", field_name, index), f"'{value_name}' is not a value of '{field_name}'", did_you_mean(value_name, allowed))

    # -- layouts and value sets ----------------------------------------------------------------

    def layouts(self) -> None:
        for layout in self.registry.layouts.values():
            self.layout(layout)

    def layout(self, layout: Layout) -> None:
        key = ("layout", layout.api_name)
        object_def = self.registry.objects.get(layout.object)
        if object_def is None:
            if self.missing("objects", layout.object):
                    self.report(key, ("object",), f"unknown object '{layout.object}'", did_you_mean(layout.object, self.registry.objects))
            return
        fields = {definition.api_name for definition in object_def.fields} | SYSTEM_FIELD_NAMES
        placed: set[str] = set()
        for section_index, section in enumerate(layout.sections):
            for item_index, item in enumerate(section.items):
                subpath = ("sections", section_index, "fields", item_index)
                if item.field not in fields:
                    self.report(key, subpath, f"unknown field '{item.field}' on '{layout.object}'", did_you_mean(item.field, fields))
                elif item.field in placed:
                    self.report(key, subpath, f"field '{item.field}' is placed twice in layout '{layout.api_name}'")
                placed.add(item.field)
        for index, related in enumerate(layout.related_lists):
            subpath = ("related_lists", index)
            child = self.registry.objects.get(related.object)
            if child is None:
                if self.missing("objects", related.object):
                        self.report(key, subpath + ("object",), f"unknown object '{related.object}'", did_you_mean(related.object, self.registry.objects))
                continue
            child_fields = {definition.api_name: definition for definition in child.fields}
            relation = child_fields.get(related.field)
            if relation is None:
                self.report(key, subpath + ("field",), f"unknown field '{related.field}' on '{related.object}'", did_you_mean(related.field, child_fields))
            elif not self.dangling(relation) and (relation.type not in REFERENCE_TYPES or layout.object not in relation.targets):
                self.report(key, subpath + ("field",), f"'{related.object}.{related.field}' does not refer to '{layout.object}'")
            readable = set(child_fields) | SYSTEM_FIELD_NAMES
            for column_index, column in enumerate(related.columns):
                if column not in readable:
                    self.report(key, subpath + ("columns", column_index), f"unknown field '{column}' on '{related.object}'", did_you_mean(column, readable))
            if related.sort is not None and related.sort.lstrip("-") not in readable:
                self.report(key, subpath + ("sort",), f"unknown field '{related.sort.lstrip('-')}' on '{related.object}'", did_you_mean(related.sort.lstrip("-"), readable))

    def value_sets(self) -> None:
        for value_set in self.registry.value_sets.values():
            self.value_set(value_set)

    def value_set(self, value_set: ValueSet) -> None:
        key = ("value_set", value_set.api_name)
        values = value_set.values or []
        names = Counter(value.api_name for value in values)
        for index, value in enumerate(values):
            subpath = ("values", index) if value_set.values_file is None else ("values_file",)
            if names[value.api_name] > 1:
                self.report(key, subpath, f"duplicate value '{value.api_name}'")
                names[value.api_name] = 1  # report once
            if value.parent is not None:
                if not value_set.hierarchical:
                    self.report(key, subpath, f"value '{value.api_name}' has a parent, but the value set is not hierarchical")
                elif value.parent not in names:
                    self.report(key, subpath, f"value '{value.api_name}' has unknown parent '{value.parent}'")


def check_registry(registry: Registry, problems: list[Problem]) -> None:
    """Append to ``problems`` every dangling or duplicate reference in ``registry``."""
    checker = _Checker(registry, problems)
    checker.objects()
    checker.layouts()
    checker.value_sets()
    check_formulas(registry, problems)
