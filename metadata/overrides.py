"""Per-property overrides: how a package (above all the site's own layer) changes another's component.

An override never rewrites the other package's copy. It names one component (``kind`` and
``api_name``) and lists what changes, each change at a **property path**:

    label.en                       a key inside a mapping
    fields[industry].required      an item of a list of named items (its ``api_name``), then a key
    values[hot]                    a whole named item: added, or (in ``remove``) taken away
    values.@sequence               the sequence of a list of named items, as a list of names

Lists whose items all carry an ``api_name`` (fields, rules, business types, picklist values,
layout sections) are matched item by item, so the site changing one field's label and a package
upgrade adding another field are separate, mergeable facts. Any other list (a section's fields,
a layout's related lists) is one property, replaced whole.

:func:`compute_override` finds the changes from a base document to a desired one;
:func:`apply_override` makes them. ``apply_override(base, *compute_override(base, desired))``
gives ``desired`` back (a property test keeps it so).
"""

from __future__ import annotations

import copy
import re
from typing import Any, Literal

from pydantic import Field

from metadata.models.common import Identifier, Model, describe

__all__ = ["OVERRIDABLE", "Override", "OverrideConflict", "apply_override", "compute_override", "parse_path"]

#: component kinds an override may target → the registry attribute holding them
OVERRIDABLE: dict[str, str] = {"object": "objects", "layout": "layouts", "value_set": "value_sets", "app": "apps"}
SEQUENCE = "@sequence"
_SEGMENT = re.compile(r"^(?P<key>[A-Za-z0-9_@]+)(?P<items>(?:\[[A-Za-z0-9_]+\])*)$")
_ITEM = re.compile(r"\[([A-Za-z0-9_]+)\]")


class Override(Model):
    """Changes to one component of another package, property by property."""

    kind: Literal["object", "layout", "value_set", "app"] = Field(description=describe("What is changed.", "被修改的组件类型。"))
    api_name: Identifier = Field(description=describe("The component changed.", "被修改的组件。"))
    set: dict[str, Any] = Field(
        default_factory=dict,
        description=describe("Property path → its new value (a whole item to add one).", "属性路径 → 新值（整项则为新增）。"),
    )
    remove: list[str] = Field(
        default_factory=list,
        description=describe("Property paths taken away (a property back to its default, or a named item).", "删除的属性路径（恢复默认值，或删除某项）。"),
    )


class OverrideConflict(ValueError):
    """An override's path names nothing in the component it is applied to."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


# --- paths -----------------------------------------------------------------------------------

Step = tuple[str, str]  # ("key", name) or ("item", api_name)


def parse_path(path: str) -> list[Step]:
    """``fields[x].label.en`` → [("key", "fields"), ("item", "x"), ("key", "label"), ("key", "en")]."""
    steps: list[Step] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            raise OverrideConflict(path, f"'{segment}' is not a property name")
        steps.append(("key", match["key"]))
        steps.extend(("item", name) for name in _ITEM.findall(match["items"]))
    return steps


def _named(value: Any) -> bool:
    """Whether ``value`` is a list of named items (matched by api name, not replaced whole)."""
    if not isinstance(value, list) or not value:
        return False
    if not all(isinstance(item, dict) and isinstance(item.get("api_name"), str) for item in value):
        return False
    return len({item["api_name"] for item in value}) == len(value)


# --- compute ---------------------------------------------------------------------------------


def compute_override(base: dict[str, Any], desired: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The (set, remove) changes that turn ``base`` into ``desired``."""
    changes: dict[str, Any] = {}
    removed: list[str] = []
    _compare_mappings(base, desired, "", changes, removed)
    return changes, removed


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _compare_mappings(base: dict, desired: dict, prefix: str, changes: dict, removed: list) -> None:
    for key in base:
        if key not in desired:
            removed.append(_join(prefix, key))
    for key, value in desired.items():
        path = _join(prefix, key)
        if key not in base:
            changes[path] = copy.deepcopy(value)
        elif base[key] != value:
            _compare_values(base[key], value, path, changes, removed)


def _compare_values(base: Any, desired: Any, path: str, changes: dict, removed: list) -> None:
    if isinstance(base, dict) and isinstance(desired, dict):
        _compare_mappings(base, desired, path, changes, removed)
    elif _named(base) and (_named(desired) or desired == []):
        _compare_named(base, desired, path, changes, removed)
    else:
        changes[path] = copy.deepcopy(desired)


def _compare_named(base: list, desired: list, path: str, changes: dict, removed: list) -> None:
    before = {item["api_name"]: item for item in base}
    after = {item["api_name"]: item for item in desired}
    for name in before:
        if name not in after:
            removed.append(f"{path}[{name}]")
    for name, item in after.items():
        if name not in before:
            changes[f"{path}[{name}]"] = copy.deepcopy(item)
        elif before[name] != item:
            _compare_mappings(before[name], item, f"{path}[{name}]", changes, removed)
    # kept items stay where they were and new ones join at the end; say so when that is not the sequence wanted
    natural = [name for name in before if name in after] + [name for name in after if name not in before]
    if natural != list(after):
        changes[f"{path}.{SEQUENCE}"] = list(after)


# --- apply -----------------------------------------------------------------------------------


def apply_override(base: dict[str, Any], changes: dict[str, Any], removed: list[str]) -> dict[str, Any]:
    """``base`` with ``changes`` set and ``removed`` taken away (a new document; base is untouched).

    Raises OverrideConflict when a path names an item or mapping that is not there.
    """
    document = copy.deepcopy(base)
    for path in removed:
        parent, last = _parent(document, path, create=False)
        _delete(parent, last, path)
    sequences = []
    for path, value in changes.items():
        steps = parse_path(path)
        if steps[-1] == ("key", SEQUENCE):
            sequences.append((path, value))
            continue
        parent, last = _parent(document, path, create=True)
        _put(parent, last, copy.deepcopy(value), path)
    for path, names in sequences:
        parent, last = _parent(document, path.rsplit(".", 1)[0], create=False)
        _reorder(parent, last, names, path)
    return document


def _parent(document: dict, path: str, *, create: bool) -> tuple[Any, Step]:
    steps = parse_path(path)
    node: Any = document
    for step in steps[:-1]:
        node = _child(node, step, path, create=create)
    return node, steps[-1]


def _child(node: Any, step: Step, path: str, *, create: bool) -> Any:
    kind, name = step
    if kind == "key":
        if not isinstance(node, dict):
            raise OverrideConflict(path, f"'{name}' is inside something that is not a mapping")
        if name not in node:
            if not create:
                raise OverrideConflict(path, f"there is no '{name}'")
            node[name] = {}
        return node[name]
    for item in node if isinstance(node, list) else []:
        if isinstance(item, dict) and item.get("api_name") == name:
            return item
    raise OverrideConflict(path, f"there is no item '{name}'")


def _put(parent: Any, step: Step, value: Any, path: str) -> None:
    kind, name = step
    if kind == "key":
        if not isinstance(parent, dict):
            raise OverrideConflict(path, f"'{name}' is inside something that is not a mapping")
        parent[name] = value
        return
    if not isinstance(parent, list):
        raise OverrideConflict(path, "not a list of named items")
    for index, item in enumerate(parent):
        if isinstance(item, dict) and item.get("api_name") == name:
            parent[index] = value
            return
    parent.append(value)


def _delete(parent: Any, step: Step, path: str) -> None:
    kind, name = step
    if kind == "key":
        if not isinstance(parent, dict) or name not in parent:
            raise OverrideConflict(path, f"there is no '{name}' to remove")
        del parent[name]
        return
    for index, item in enumerate(parent if isinstance(parent, list) else []):
        if isinstance(item, dict) and item.get("api_name") == name:
            del parent[index]
            return
    raise OverrideConflict(path, f"there is no item '{name}' to remove")


def _reorder(parent: Any, step: Step, names: Any, path: str) -> None:
    items = _child(parent, step, path, create=False) if step[0] == "item" else (parent.get(step[1]) if isinstance(parent, dict) else None)
    if not isinstance(items, list) or not isinstance(names, list):
        raise OverrideConflict(path, "a sequence applies to a list of named items")
    rank = {name: index for index, name in enumerate(names)}
    # items the sequence does not name (added by a later package version) keep their place after it
    items.sort(key=lambda item: rank.get(item.get("api_name") if isinstance(item, dict) else None, len(rank)))


# --- in the registry -------------------------------------------------------------------------


def apply_package_overrides(registry: Any, package: Any, problems: list, dependencies: set[str]) -> None:
    """Apply ``package``'s overrides to the registry's components, appending problems.

    ``dependencies`` names every package ``package`` depends on, directly or not.

    Runs after every package's extensions are folded in, so an override sees (and may change) the
    fields other packages added to an object. A component may be overridden only by a package that
    depends, directly or not, on the package owning it.
    """
    from pydantic import ValidationError

    from metadata.models import App, Layout, ObjectDef, ValueSet

    models = {"object": ObjectDef, "layout": Layout, "value_set": ValueSet, "app": App}
    for override, origin in package.overrides:
        table = getattr(registry, OVERRIDABLE[override.kind])
        target = table.get(override.api_name)
        label = override.kind.replace("_", " ")
        if target is None:
            if override.api_name not in registry.broken.get(OVERRIDABLE[override.kind], ()):
                problems.append(origin.problem(("api_name",), f"overrides unknown {label} '{override.api_name}'"))
            continue
        owner = next(
            (other.name for other in registry.packages if any(getattr(item, "api_name", None) == override.api_name for item, _ in getattr(other, OVERRIDABLE[override.kind]))),
            None,
        )
        if owner == package.name or (owner is not None and owner not in dependencies):
            reason = "its own component: change it in place" if owner == package.name else f"a component of package '{owner}', which package '{package.name}' does not depend on"
            problems.append(origin.problem(("api_name",), f"overrides {label} '{override.api_name}', {reason}"))
            continue
        base = target.model_dump(mode="json", exclude_defaults=True)
        try:
            document = apply_override(base, override.set, override.remove)
        except OverrideConflict as conflict:
            where = ("remove",) if conflict.path in override.remove else ("set", conflict.path)
            problems.append(origin.problem(where, f"override of {label} '{override.api_name}': {conflict}"))
            continue
        try:
            table[override.api_name] = models[override.kind].model_validate(document)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                where = ".".join(str(part) for part in detail["loc"])
                problems.append(origin.problem(("set",), f"override of {label} '{override.api_name}' makes it invalid: {where}: {detail['msg']}"))
