"""The registry: installed packages merged into one view of objects, layouts and value sets.

Packages are put in dependency order, extensions are folded into the objects they extend, and
every cross-reference is checked (see :mod:`metadata.checks`). The registry is an ordinary object
passed to whoever needs it — there is no global one. Its classes live in :mod:`metadata.merged`
(below the checks, which read them) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from metadata.checks import check_registry
from metadata.errors import PackageError, Problem
from metadata.formula_schema import RegistryResolver
from metadata.loader import Origin, Package, load_package, package_from_documents
from metadata.merged import Registry, Relation
from metadata.models import SYSTEM_FIELD_NAMES, ObjectDef
from metadata.security_checks import check_security
from metadata.validation import did_you_mean
from metadata.versions import satisfies

__all__ = [
    "SHIPPED_ROOT",
    "STANDARD_PACKAGE",
    "SYSTEM_PACKAGE",
    "Registry",
    "Relation",
    "build_registry",
    "load_registry",
    "registry_from_documents",
    "shipped_packages",
    "standard_resolver",
]

#: Where the platform's own packages live: the system package, then the standard CRM package.
SHIPPED_ROOT = Path(__file__).parent
SYSTEM_PACKAGE = SHIPPED_ROOT / "system"
STANDARD_PACKAGE = SHIPPED_ROOT


def shipped_packages() -> list[Path]:
    """The directories of the packages Tessera ships: system first, then the standard CRM."""
    return [SYSTEM_PACKAGE, STANDARD_PACKAGE]


@lru_cache(maxsize=1)
def _standard_registry() -> Registry:
    return load_registry(shipped_packages())


def standard_resolver() -> RegistryResolver:
    """A formula resolver over the packages Tessera ships (for ``tessera formula … --object``)."""
    return RegistryResolver(_standard_registry())


def load_registry(roots: Iterable[Path]) -> Registry:
    """Load the packages at ``roots`` into a checked registry, or raise PackageError with every problem."""
    problems: list[Problem] = []
    packages = [package for root in roots if (package := load_package(Path(root), problems)) is not None]
    registry = build_registry(packages, problems)
    if problems:
        raise PackageError(problems)
    return registry


def registry_from_documents(documents: Iterable[dict]) -> Registry:
    """A checked registry from packages kept as data (see :func:`metadata.loader.package_documents`)."""
    problems: list[Problem] = []
    packages = [package for data in documents if (package := package_from_documents(data, problems)) is not None]
    registry = build_registry(packages, problems)
    if problems:
        raise PackageError(problems)
    return registry


def build_registry(packages: list[Package], problems: list[Problem]) -> Registry:
    """Merge ``packages`` into a registry, appending every problem found to ``problems``."""
    ordered = _by_dependency(packages, problems)
    registry = Registry(packages=ordered, objects={}, layouts={}, value_sets={})
    for package in packages:
        for folder, names in package.broken.items():
            registry.broken.setdefault(folder, set()).update(names)
    for package in ordered:
        for object_def, origin in package.objects:
            _add(registry, problems, "object", object_def.api_name, object_def, origin, registry.objects)
        for layout, origin in package.layouts:
            _add(registry, problems, "layout", layout.api_name, layout, origin, registry.layouts)
        for value_set, origin in package.value_sets:
            _add(registry, problems, "value set", value_set.api_name, value_set, origin, registry.value_sets)
        for app, origin in package.apps:
            _add(registry, problems, "app", app.api_name, app, origin, registry.apps)
    for object_def, origin in list(_object_origins(registry)):
        _record_parts(registry, problems, object_def.api_name, object_def, origin)
    for package in ordered:
        for extension, origin in package.extensions:
            _apply_extension(registry, package, extension, origin, problems)
    from metadata.overrides import apply_package_overrides

    for package in ordered:
        apply_package_overrides(registry, package, problems, _all_dependencies(registry, package))
    check_registry(registry, problems)
    _check_apps(registry, problems)
    registry.security = check_security(registry, problems)
    return registry


def _check_apps(registry: Registry, problems: list[Problem]) -> None:
    """Every tab of every app names an installed object; list views name a tab and its fields."""
    for name, app in registry.apps.items():
        origin = registry.origins[("app", name)]
        for index, tab in enumerate(app.tabs):
            if tab not in registry.objects and tab not in registry.broken.get("objects", ()):
                problems.append(
                    origin.problem(("tabs", index), f"app '{name}' has a tab for unknown object '{tab}'", did_you_mean(tab, registry.objects))
                )
        seen: set[tuple[str, str]] = set()
        for index, view in enumerate(app.list_views):
            where = ("list_views", index)
            if (view.object, view.api_name) in seen:
                problems.append(origin.problem((*where, "api_name"), f"duplicate list view '{view.api_name}' for '{view.object}'"))
            seen.add((view.object, view.api_name))
            if view.object not in app.tabs:
                problems.append(origin.problem((*where, "object"), f"list view '{view.api_name}' is for '{view.object}', which is not a tab of app '{name}'", did_you_mean(view.object, app.tabs)))
                continue
            if view.object not in registry.objects:
                continue
            known = {definition.api_name for definition in registry.objects[view.object].fields} | SYSTEM_FIELD_NAMES
            for column_index, column in enumerate(view.columns or []):
                if column not in known:
                    problems.append(origin.problem((*where, "columns", column_index), f"list view '{view.api_name}': '{column}' is not a field of '{view.object}'", did_you_mean(column, known)))
            if view.sort and view.sort.lstrip("-") not in known:
                problems.append(origin.problem((*where, "sort"), f"list view '{view.api_name}': cannot sort by unknown field '{view.sort.lstrip('-')}'", did_you_mean(view.sort.lstrip("-"), known)))


def _object_origins(registry: Registry) -> Iterator[tuple[ObjectDef, Origin]]:
    for name, object_def in registry.objects.items():
        yield object_def, registry.origins[("object", name)]


def _add(registry, problems, kind, name, definition, origin, table) -> None:
    key = (kind.replace(" ", "_"), name)
    if name in table:
        first = registry.origins[key]
        line, _ = first.source.position(first.path + ("api_name",))
        problems.append(
            origin.problem(("api_name",), f"duplicate {kind} '{name}' (also in {first.source.display}:{line})")
        )
        return
    table[name] = definition
    registry.origins[key] = origin


_PARTS = {"fields": "field", "business_types": "business_type", "validation_rules": "validation_rule", "field_rules": "field_rule"}


def _record_parts(registry: Registry, problems: list[Problem], object_name: str, parts, origin: Origin) -> None:
    for collection, kind in _PARTS.items():
        for index, item in enumerate(getattr(parts, collection)):
            key = (kind, object_name, item.api_name)
            here = Origin(origin.source, origin.path + (collection, index))
            if key in registry.origins:
                first = registry.origins[key]
                line, _ = first.source.position(first.path)
                problems.append(
                    here.problem(
                        ("api_name",),
                        f"duplicate {kind.replace('_', ' ')} '{item.api_name}' on object '{object_name}' "
                        f"(also at {first.source.display}:{line})",
                    )
                )
                continue
            registry.origins[key] = here


def _apply_extension(registry: Registry, package: Package, extension, origin: Origin, problems: list[Problem]) -> None:
    target = extension.extends
    if target not in registry.objects:
        if target in registry.broken.get("objects", ()):
            return
        problems.append(origin.problem(("extends",), f"extends unknown object '{target}'"))
        return
    owner = _owning_package(registry, target)
    if owner is not None and owner is not package and owner.name not in _all_dependencies(registry, package):
        problems.append(
            origin.problem(("extends",), f"extends '{target}' of package '{owner.name}', which package '{package.name}' does not depend on")
        )
    namespace = package.manifest.namespace
    if namespace:
        for index, definition in enumerate(extension.fields):
            if not definition.api_name.startswith(f"{namespace}_"):
                problems.append(
                    origin.problem(
                        ("fields", index, "api_name"),
                        f"field '{definition.api_name}' added to another package's object must start with '{namespace}_'",
                    )
                )
    _record_parts(registry, problems, target, extension, origin)
    base = registry.objects[target]
    registry.objects[target] = base.model_copy(
        update={
            collection: list(getattr(base, collection)) + list(getattr(extension, collection))
            for collection in _PARTS
        }
    )


def _owning_package(registry: Registry, object_name: str) -> Package | None:
    for package in registry.packages:
        if any(object_def.api_name == object_name for object_def, _ in package.objects):
            return package
    return None


def _all_dependencies(registry: Registry, package: Package) -> set[str]:
    by_name = {candidate.name: candidate for candidate in registry.packages}
    seen: set[str] = set()
    stack = [dependency.name for dependency in package.manifest.depends]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in by_name:
            stack.extend(dependency.name for dependency in by_name[name].manifest.depends)
    return seen


def _by_dependency(packages: list[Package], problems: list[Problem]) -> list[Package]:
    by_name: dict[str, Package] = {}
    for package in packages:
        if package.name in by_name:
            problems.append(package.manifest_origin.problem(("name",), f"package '{package.name}' is given twice"))
            continue
        by_name[package.name] = package
    for package in by_name.values():
        for index, dependency in enumerate(package.manifest.depends):
            found = by_name.get(dependency.name)
            if found is None:
                problems.append(
                    package.manifest_origin.problem(
                        ("depends", index, "name"),
                        f"depends on package '{dependency.name}', which is not loaded",
                    )
                )
            elif not satisfies(found.manifest.version, dependency.version):
                problems.append(
                    package.manifest_origin.problem(
                        ("depends", index, "version"),
                        f"needs '{dependency.name}' {dependency.version}, but version {found.manifest.version} is loaded",
                    )
                )
    ordered: list[Package] = []
    state: dict[str, str] = {}

    def visit(package: Package, trail: list[str]) -> None:
        if state.get(package.name) == "done":
            return
        if state.get(package.name) == "visiting":
            cycle = " → ".join(trail[trail.index(package.name):] + [package.name])
            problems.append(package.manifest_origin.problem(("depends",), f"package dependency cycle: {cycle}"))
            return
        state[package.name] = "visiting"
        for dependency in package.manifest.depends:
            if dependency.name in by_name:
                visit(by_name[dependency.name], trail + [package.name])
        state[package.name] = "done"
        ordered.append(package)

    for package in by_name.values():
        visit(package, [])
    return ordered
