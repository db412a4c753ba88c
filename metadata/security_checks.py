"""Security definitions merged across packages and cross-checked, problems located in the YAML.

:func:`security_of` gives the merged view (roles, profiles, groups, sharing rules, dimensions,
record teams by name) that the runtime compiles into SQL; :func:`check_security` reports what
is wrong with it at the file and line it was written: unknown objects, fields, roles and groups,
groups that contain themselves, criteria formulas that do not type-check as a condition.
"""

from __future__ import annotations

from typing import Any

from metadata.errors import Problem
from metadata.formula_checks import FormulaSite, _FormulaChecker
from metadata.merged import Registry, SecurityDefinitions
from metadata.models import REFERENCE_TYPES, SYSTEM_FIELD_NAMES
from metadata.models.security import SECURITY_FILES, Principals
from metadata.validation import did_you_mean

__all__ = ["SecurityDefinitions", "check_security", "security_of"]

#: security kind → the origin key prefix in ``Registry.origins``
_KEYS = {
    "roles": "role",
    "profiles": "profile",
    "groups": "group",
    "sharing_rules": "sharing_rule",
    "dimensions": "dimension",
    "teams": "team",
}
_FILTER_KEYWORDS = frozenset({"and", "or", "not"})


def _name(kind: str, item: Any) -> str:
    return item.object if kind == "teams" else item.api_name


def security_of(registry: Registry, problems: list[Problem] | None = None) -> SecurityDefinitions:
    """The merged security definitions of ``registry``'s packages (origins recorded on the registry)."""
    merged = SecurityDefinitions()
    for package in registry.packages:
        for kind in SECURITY_FILES:
            table = getattr(merged, kind)
            for item, origin in package.security.get(kind, []):
                name = _name(kind, item)
                key = (_KEYS[kind], name)
                if name in table:
                    if problems is not None:
                        first = registry.origins[key]
                        line, _ = first.source.position(first.path)
                        problems.append(origin.problem(("object" if kind == "teams" else "api_name",), f"duplicate {_KEYS[kind].replace('_', ' ')} '{name}' (also in {first.source.display}:{line})"))
                    continue
                table[name] = item
                registry.origins.setdefault(key, origin)
    return merged


class _Checker:
    def __init__(self, registry: Registry, security: SecurityDefinitions, problems: list[Problem]):
        self.registry = registry
        self.security = security
        self.problems = problems

    def report(self, key: tuple[str, str], subpath: tuple, message: str, hint: str | None = None) -> None:
        origin = self.registry.origins.get(key)
        if origin is None:
            self.problems.append(Problem("<security>", 1, 1, message, hint))
        else:
            self.problems.append(origin.problem(subpath, message, hint))

    def known_object(self, key, subpath, name: str) -> bool:
        if name in self.registry.objects:
            return True
        if name not in self.registry.broken.get("objects", ()):
            self.report(key, subpath, f"unknown object '{name}'", did_you_mean(name, self.registry.objects))
        return False

    def fields_of(self, object_name: str) -> dict[str, Any]:
        return {definition.api_name: definition for definition in self.registry.objects[object_name].fields}

    def known_field(self, key, subpath, object_name: str, field_name: str, *, system: bool = True) -> bool:
        fields = self.fields_of(object_name)
        if field_name in fields or (system and field_name in SYSTEM_FIELD_NAMES):
            return True
        self.report(key, subpath, f"object '{object_name}' has no field '{field_name}'", did_you_mean(field_name, fields))
        return False

    def principals(self, key, subpath: tuple, principals: Principals) -> None:
        for index, role in enumerate(principals.roles):
            if role not in self.security.roles and role not in self.registry.broken.get("roles", ()):
                self.report(key, (*subpath, "roles", index), f"unknown role '{role}'", did_you_mean(role, self.security.roles))
        for index, group in enumerate(principals.groups):
            if group not in self.security.groups and group not in self.registry.broken.get("groups", ()):
                self.report(key, (*subpath, "groups", index), f"unknown group '{group}'", did_you_mean(group, self.security.groups))

    # -- kinds ----------------------------------------------------------------------------

    def roles(self) -> None:
        for name, role in self.security.roles.items():
            key = ("role", name)
            for object_name in role.objects:
                self.known_object(key, ("objects", object_name), object_name)

    def profiles(self) -> None:
        for name, profile in self.security.profiles.items():
            key = ("profile", name)
            for object_name, permissions in profile.objects.items():
                if not self.known_object(key, ("objects", object_name), object_name):
                    continue
                for field_name, access in permissions.fields.items():
                    if not self.known_field(key, ("objects", object_name, "fields", field_name), object_name, field_name):
                        continue
                    if field_name in SYSTEM_FIELD_NAMES and access == "edit" and field_name != "owner":
                        self.report(key, ("objects", object_name, "fields", field_name), f"system field '{field_name}' cannot be made editable")
                    if field_name == "id" and access == "hidden":
                        self.report(key, ("objects", object_name, "fields", field_name), "the id of a readable record cannot be hidden")

    def groups(self) -> None:
        for name, group in self.security.groups.items():
            self.principals(("group", name), (), group)
        # a group that contains itself through other groups would have no fixed membership
        state: dict[str, str] = {}

        def visit(name: str, trail: list[str]) -> None:
            state[name] = "visiting"
            for inner in self.security.groups[name].groups:
                if inner not in self.security.groups:
                    continue
                if state.get(inner) == "visiting":
                    cycle = trail[trail.index(inner):] + [inner] if inner in trail else [name, inner]
                    self.report(("group", name), ("groups",), f"groups contain each other in a cycle: {' → '.join(cycle)}")
                elif inner not in state:
                    visit(inner, [*trail, inner])
            state[name] = "done"

        for name in self.security.groups:
            if name not in state:
                visit(name, [name])

    def sharing_rules(self) -> None:
        checker = _FormulaChecker(self.registry, self.problems)
        for name, rule in self.security.sharing_rules.items():
            key = ("sharing_rule", name)
            if rule.owners is not None:
                self.principals(key, ("owners",), rule.owners)
            self.principals(key, ("share_with",), rule.share_with)
            if not self.known_object(key, ("object",), rule.object):
                continue
            if not self.registry.objects[rule.object].features.owner and rule.owners is not None:
                self.report(key, ("owners",), f"object '{rule.object}' has no owner to share by")
            if rule.criteria is not None:
                site = FormulaSite(key, ("criteria",), f"sharing rule '{name}' criteria", rule.criteria, rule.object, "rule", boolean=True)
                checker.site(site)
            if rule.filter is not None:
                self.filter_fields(key, ("filter",), rule.object, rule.filter)

    def filter_fields(self, key, subpath: tuple, object_name: str, node: Any) -> None:
        """The first field of every path in a filter exists (the query layer checks the rest when it compiles)."""
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.filter_fields(key, (*subpath, index), object_name, item)
            return
        if not isinstance(node, dict):
            self.report(key, subpath, "a filter node is a mapping")
            return
        for name, value in node.items():
            if name in _FILTER_KEYWORDS:
                self.filter_fields(key, (*subpath, name), object_name, value)
            else:
                self.known_field(key, (*subpath, name), object_name, str(name).split(".")[0])

    def dimensions(self) -> None:
        for name, dimension in self.security.dimensions.items():
            key = ("dimension", name)
            values = [value.api_name for value in dimension.values]
            seen: set[str] = set()
            for index, value in enumerate(dimension.values):
                if value.api_name in seen:
                    self.report(key, ("values", index, "api_name"), f"duplicate value '{value.api_name}'")
                seen.add(value.api_name)
                if value.parent is not None and value.parent not in values:
                    self.report(key, ("values", index, "parent"), f"unknown parent value '{value.parent}'", did_you_mean(value.parent, values))
            for object_name, field_name in dimension.objects.items():
                if not self.known_object(key, ("objects", object_name), object_name):
                    continue
                if not self.known_field(key, ("objects", object_name), object_name, field_name, system=False):
                    continue
                if self.fields_of(object_name)[field_name].type not in ("picklist", "text"):
                    self.report(key, ("objects", object_name), f"dimension field '{object_name}.{field_name}' must be a picklist or text field")

    def teams(self) -> None:
        for name, team in self.security.teams.items():
            key = ("team", name)
            if not self.known_object(key, ("object",), team.object):
                continue
            if not self.registry.objects[team.object].features.team:
                self.report(key, ("object",), f"object '{team.object}' has no record teams (features.team is off)")
            for index, child in enumerate(team.children):
                if not self.known_object(key, ("children", index, "object"), child.object):
                    continue
                if not self.known_field(key, ("children", index, "field"), child.object, child.field, system=False):
                    continue
                definition = self.fields_of(child.object)[child.field]
                if definition.type not in REFERENCE_TYPES or team.object not in getattr(definition, "targets", ()):
                    self.report(key, ("children", index, "field"), f"'{child.object}.{child.field}' is not a reference to '{team.object}'")


def check_security(registry: Registry, problems: list[Problem]) -> SecurityDefinitions:
    """Merge and check the security definitions of ``registry``, appending problems."""
    security = security_of(registry, problems)
    checker = _Checker(registry, security, problems)
    checker.roles()
    checker.profiles()
    checker.groups()
    checker.sharing_rules()
    checker.dimensions()
    checker.teams()
    return security
