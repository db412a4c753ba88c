"""The merged view of installed packages: :class:`Registry`, :class:`Relation`, :class:`SecurityDefinitions`.

These are data: what :func:`metadata.registry.build_registry` produces and every check, the
formula resolver and the runtime read. They live apart from the building (which runs the checks)
so the checks can name them without importing what imports the checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from metadata.errors import UnknownObjectError
from metadata.loader import Origin, Package
from metadata.models import App, FieldDef, Layout, ObjectDef, PicklistValue, ValueSet
from metadata.models.security import Dimension, Profile, PublicGroup, RecordTeam, Role, SharingRule

__all__ = ["Registry", "Relation", "SecurityDefinitions"]


@dataclass
class SecurityDefinitions:
    """Every package's security definitions, merged by name (later packages cannot redefine)."""

    roles: dict[str, Role] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    groups: dict[str, PublicGroup] = field(default_factory=dict)
    sharing_rules: dict[str, SharingRule] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    teams: dict[str, RecordTeam] = field(default_factory=dict)  #: by object

    def team_parents(self, object_name: str) -> list[tuple[str, str]]:
        """(parent object, reference field) pairs through which ``object_name`` inherits a team."""
        return [(team.object, child.field) for team in self.teams.values() for child in team.children if child.object == object_name]


@dataclass(frozen=True)
class Relation:
    """A child object's reference field pointing at a parent object."""

    child: str
    field: str
    parent: str
    kind: str  # "lookup", "master_detail", "user" or "department"


@dataclass
class Registry:
    """Everything the installed packages declare, merged and cross-checked."""

    packages: list[Package]
    objects: dict[str, ObjectDef]
    layouts: dict[str, Layout]
    value_sets: dict[str, ValueSet]
    #: apps (navigation: ordered object tabs), in package then file sequence
    apps: dict[str, App] = field(default_factory=dict)
    origins: dict[tuple[str, ...], Origin] = field(default_factory=dict, repr=False)
    #: names whose definitions failed to load, by folder ("objects", "layouts", "value_sets")
    broken: dict[str, set[str]] = field(default_factory=dict, repr=False)
    #: roles, profiles, groups, sharing rules, dimensions and record teams, merged
    security: SecurityDefinitions | None = field(default=None, repr=False)

    def object(self, name: str) -> ObjectDef:
        """The object called ``name``."""
        try:
            return self.objects[name]
        except KeyError:
            raise UnknownObjectError("object", name) from None

    def field(self, object_name: str, field_name: str) -> FieldDef:
        """The field ``field_name`` of ``object_name`` (declared fields only)."""
        for definition in self.object(object_name).fields:
            if definition.api_name == field_name:
                return definition
        raise UnknownObjectError("field", f"{object_name}.{field_name}")

    def fields(self, object_name: str) -> dict[str, FieldDef]:
        """The declared fields of ``object_name`` by api name, in declaration sequence."""
        return {definition.api_name: definition for definition in self.object(object_name).fields}

    def picklist_values(self, object_name: str, field_name: str) -> list[PicklistValue]:
        """The values of a picklist or multi-picklist field, inline or from its value set."""
        definition = self.field(object_name, field_name)
        values = getattr(definition, "values", None)
        if values is not None:
            return list(values)
        value_set = getattr(definition, "value_set", None)
        if value_set is None or value_set not in self.value_sets:
            return []
        return list(self.value_sets[value_set].values or [])

    def relations(self) -> Iterator[Relation]:
        """Every reference field of every object, as a child → parent relation."""
        for object_def in self.objects.values():
            for definition in object_def.fields:
                for target in getattr(definition, "targets", ()):
                    yield Relation(object_def.api_name, definition.api_name, target, definition.type)

    def children(self, parent: str) -> list[Relation]:
        """Relations whose parent is ``parent``."""
        return [relation for relation in self.relations() if relation.parent == parent]

    def stats(self) -> dict[str, int]:
        """Counts shown by ``tessera metadata check``."""
        return {
            "objects": len(self.objects),
            "fields": sum(len(object_def.fields) for object_def in self.objects.values()),
            "layouts": len(self.layouts),
            "rules": sum(
                len(object_def.validation_rules) + len(object_def.field_rules)
                for object_def in self.objects.values()
            ),
        }
