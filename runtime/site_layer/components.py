"""Components of the effective metadata, and the site layer that changes them.

The site layer is a package named ``site`` kept in the metadata store like any other, above every
installed package (it depends on them all). What an admin creates — objects, layouts, value sets,
apps, roles, profiles, groups, sharing rules — is the site package's own; fields, business types
and rules an admin adds to a package's object are the site's extension of it; a change to a
package's component (a label, a picklist value, a field made required, a layout rearranged, a rule
switched off) is a per-property :class:`metadata.overrides.Override`, never a rewrite of the
package's copy. So the effective metadata is simply the registry of every package with the site
package on top, and an upgrade can tell the package's change from the admin's.

:func:`edit_site_documents` is the one function that turns "the component should now be this"
into new site-package documents; :mod:`runtime.site_layer.changes` plans and applies them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from metadata.errors import Problem
from metadata.loader import SECURITY_FOLDER
from metadata.models import App, Layout, ObjectDef, Profile, PublicGroup, Role, SharingRule, ValueSet
from metadata.overrides import compute_override
from metadata.registry import Registry, registry_from_documents
from metadata.sources import SourceFile
from metadata.validation import validate
from runtime.site_layer.errors import ComponentNotFoundError, SetupError, SetupProblem
from runtime.store import documents_of

__all__ = [
    "KINDS",
    "SITE_PACKAGE",
    "Kind",
    "component",
    "component_owner",
    "component_version",
    "edit_site_documents",
    "field_packages",
    "list_components",
    "package_registry",
    "site_documents",
]

#: the name of the site's own layer in the metadata store
SITE_PACKAGE = "site"
#: the object collections an admin may add to on another package's object (kept in an extension)
PARTS = ("fields", "business_types", "validation_rules", "field_rules")


@dataclass(frozen=True)
class Kind:
    """One kind of component: its name in the API (plural, as the package folder), model, and home."""

    name: str
    singular: str
    model: type[BaseModel]
    #: the package folder ("objects") or, for security kinds, the file under security/ ("roles")
    security: bool = False

    def table(self, registry: Registry) -> dict[str, Any]:
        """The effective components of this kind by api name."""
        if self.security:
            return getattr(registry.security, self.name) if registry.security is not None else {}
        return getattr(registry, self.name)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("objects", "object", ObjectDef),
        Kind("layouts", "layout", Layout),
        Kind("value_sets", "value_set", ValueSet),
        Kind("apps", "app", App),
        Kind("roles", "role", Role, security=True),
        Kind("profiles", "profile", Profile, security=True),
        Kind("groups", "group", PublicGroup, security=True),
        Kind("sharing_rules", "sharing_rule", SharingRule, security=True),
    )
}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ComponentNotFoundError([
            SetupProblem(None, "unknown_kind", f"There is no kind of component '{name}' (one of {', '.join(KINDS)}).", f"不存在组件类型 '{name}'（可用：{', '.join(KINDS)}）。")
        ]) from None


def dump(definition: BaseModel) -> dict[str, Any]:
    """A component as the JSON of its YAML file (defaults left out, as the store keeps it).

    A value set read from a CSV file is given with its values inline, as the store keeps it.
    """
    document = definition.model_dump(mode="json", exclude_defaults=True)
    if document.get("values") and "values_file" in document:
        del document["values_file"]
    return document


def component_version(document: dict[str, Any] | None) -> str:
    """The version of a component's effective document: changes whenever any property does."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def component(registry: Registry, kind: str, name: str) -> dict[str, Any] | None:
    """The effective document of one component (packages + site layer), or None."""
    definition = kind_of(kind).table(registry).get(name)
    return None if definition is None else dump(definition)


def component_owner(registry: Registry, kind: str, name: str) -> str | None:
    """The package that declares the component (``site`` for what admins created), or None."""
    spec = kind_of(kind)
    for package in registry.packages:
        items = package.security.get(spec.name, []) if spec.security else getattr(package, spec.name)
        if any(getattr(item, "api_name", None) == name for item, _ in items):
            return package.name
    return None


def list_components(registry: Registry, kind: str) -> list[dict[str, Any]]:
    """Every component of a kind: name, owning package, whether the site changed it, version."""
    spec = kind_of(kind)
    site = _site_package(registry)
    overridden = {(override.kind, override.api_name) for override, _ in site.overrides} if site else set()
    extended = {extension.extends for extension, _ in site.extensions} if site else set()
    found = []
    for name, definition in spec.table(registry).items():
        document = dump(definition)
        owner = component_owner(registry, kind, name)
        found.append({
            "api_name": name,
            "package": owner,
            "customised": owner != SITE_PACKAGE and ((spec.singular, name) in overridden or (spec.name == "objects" and name in extended)),
            "version": component_version(document),
        })
    return found


def _site_package(registry: Registry):
    return next((package for package in registry.packages if package.name == SITE_PACKAGE), None)


def site_documents(registry: Registry) -> dict[str, Any]:
    """The site package's documents (a new, empty layer when the site has changed nothing yet)."""
    site = _site_package(registry)
    documents = documents_of([site])[0] if site is not None else {}
    others = [package for package in registry.packages if package.name != SITE_PACKAGE]
    documents["manifest"] = {
        "name": SITE_PACKAGE,
        "version": "1.0.0",
        "label": {"en": "Site customisations", "zh": "站点自定义"},
        # the site sits above every package, so it may extend and override any of them
        "depends": [{"name": package.name} for package in others],
    }
    return documents


def package_documents_without_site(registry: Registry) -> list[dict[str, Any]]:
    return documents_of([package for package in registry.packages if package.name != SITE_PACKAGE])


def package_registry(registry: Registry) -> Registry:
    """The registry of the installed packages alone: what the site's overrides are made against."""
    return registry_from_documents(package_documents_without_site(registry))


# --- validating a body ---------------------------------------------------------------------------


def indexed_source(display: str, data: Any) -> tuple[SourceFile, dict[int, tuple]]:
    """A SourceFile for JSON data: every value gets a line of its own, so a problem's line gives
    back the data path it is about (JSON has no lines of its own to point at)."""
    source = SourceFile(path=Path(display), display=display, data=data)
    lines: dict[int, tuple] = {}

    def walk(value: Any, path: tuple) -> None:
        line = len(lines) + 1
        lines[line] = path
        source.values[path] = (line, 1)
        source.keys[path] = (line, 1)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))

    walk(data, ())
    return source, lines


def json_path(path: tuple) -> str | None:
    """("fields", 3, "formula") → "fields[3].formula"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def validated(kind: Kind, name: str, body: Any) -> BaseModel:
    """The body checked by the component's model, or SetupError with a JSON path per problem."""
    if not isinstance(body, dict):
        raise SetupError([SetupProblem(None, "invalid_component", f"A {kind.singular} is a JSON object (the same as its YAML file).", "组件必须是 JSON 对象（与其 YAML 文件相同）。")])
    source, lines = indexed_source(f"{kind.name}/{name}", body)
    problems: list[Problem] = []
    definition = validate(kind.model, source, problems)
    if problems:
        raise SetupError([
            SetupProblem(json_path(lines.get(problem.line, ())), "invalid_component", _hinted(problem), "组件无效：" + _hinted(problem))
            for problem in problems
        ])
    if definition.api_name != name:
        raise SetupError([SetupProblem("api_name", "name_mismatch", f"The body's api_name '{definition.api_name}' is not '{name}', the name in the address.", f"请求体中的 api_name '{definition.api_name}' 与地址中的名称 '{name}' 不一致。")])
    return definition


def _hinted(problem: Problem) -> str:
    return f"{problem.message} — {problem.hint}" if problem.hint else problem.message


# --- editing the site layer ----------------------------------------------------------------------


def edit_site_documents(registry: Registry, kind: str, name: str, body: dict[str, Any] | None, *, base: Registry | None = None) -> dict[str, Any]:
    """The site package's documents once component ``kind``/``name`` is ``body`` (None: deleted).

    ``base`` is the registry of the packages alone (:func:`package_registry`), computed when
    needed. Raises SetupError when the body is invalid, or when it would delete a package's
    component (a package's own components go with the package).
    """
    spec = kind_of(kind)
    definition = validated(spec, name, body) if body is not None else None
    documents = copy.deepcopy(site_documents(registry))
    owner = component_owner(registry, kind, name)
    if owner is None and body is None:
        raise _not_found(spec, name)
    if owner in (None, SITE_PACKAGE):
        _check_new_name(registry, spec, name, definition, owner)
        _replace_own(documents, spec, name, dump(definition) if definition is not None else None)
        return _tidy(documents)
    if body is None:
        raise SetupError([SetupProblem(None, "package_component", f"The {spec.singular} '{name}' belongs to package '{owner}': it goes when the package is uninstalled, not here.", f"{_zh(spec)} '{name}' 属于软件包 '{owner}'，只能随软件包卸载，不能在此删除。")])
    if spec.security:
        raise SetupError([SetupProblem(None, "package_component", f"The {spec.singular} '{name}' belongs to package '{owner}'; its security definitions change with the package.", f"{_zh(spec)} '{name}' 属于软件包 '{owner}'，其安全定义随软件包变更。")])
    base = base if base is not None else package_registry(registry)
    base_document = dump(spec.table(base)[name])
    desired = dump(definition)
    if spec.name == "objects":
        base_document, added = _split_additions(base_document, desired)
        _replace_extension(documents, name, added)
    changes, removed = compute_override(base_document, desired)
    _replace_override(documents, spec.singular, name, changes, removed)
    return _tidy(documents)


def _zh(spec: Kind) -> str:
    return {"object": "对象", "layout": "布局", "value_set": "值集", "app": "应用", "role": "角色", "profile": "职能", "group": "公共组", "sharing_rule": "共享规则"}[spec.singular]


def _not_found(spec: Kind, name: str) -> ComponentNotFoundError:
    return ComponentNotFoundError([SetupProblem(None, "unknown_component", f"There is no {spec.singular.replace('_', ' ')} '{name}'.", f"不存在{_zh(spec)} '{name}'。")])


def _check_new_name(registry: Registry, spec: Kind, name: str, definition: BaseModel | None, owner: str | None) -> None:
    """Renaming (``renamed_from``) onto a component that exists is refused: it would be two at once."""
    renamed_from = getattr(definition, "renamed_from", None)
    if owner is None and renamed_from and renamed_from != name and name in spec.table(registry):
        raise SetupError([SetupProblem("api_name", "name_taken", f"Cannot rename '{renamed_from}' to '{name}': a {spec.singular} of that name exists.", f"不能将 '{renamed_from}' 重命名为 '{name}'：同名{_zh(spec)}已存在。")])
    if definition is None or spec.name != "objects":
        return
    existing = {field.api_name for field in spec.table(registry)[name].fields} if name in spec.table(registry) else set()
    for index, field in enumerate(definition.fields):
        if field.renamed_from and field.renamed_from in existing and field.api_name in existing:
            raise SetupError([SetupProblem(f"fields[{index}].api_name", "name_taken", f"Cannot rename field '{field.renamed_from}' to '{field.api_name}': the object has a field of that name.", f"不能将字段 '{field.renamed_from}' 重命名为 '{field.api_name}'：对象中已有同名字段。")])


def _replace_own(documents: dict[str, Any], spec: Kind, name: str, document: dict[str, Any] | None) -> None:
    if spec.security:
        items = documents.setdefault(SECURITY_FOLDER, {}).setdefault(spec.name, [])
    else:
        items = documents.setdefault(spec.name, [])
    position = next((index for index, item in enumerate(items) if item.get("api_name") == name), None)
    if document is None:
        if position is not None:
            del items[position]
        if spec.name == "objects":  # what the site added to it goes with it
            documents["overrides"] = [item for item in documents.get("overrides", []) if not (item["kind"] == "object" and item["api_name"] == name)]
    elif position is None:
        items.append(document)
    else:
        items[position] = document


def _split_additions(base: dict[str, Any], desired: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """The items ``desired`` adds to the object's collections (the site's extension), and the base as
    the registry sees it once that extension is folded in (the additions at the end)."""
    added: dict[str, list] = {}
    extended = copy.deepcopy(base)
    for collection in PARTS:
        known = {item["api_name"] for item in base.get(collection, [])}
        new_items = [item for item in desired.get(collection, []) if item["api_name"] not in known]
        if new_items:
            added[collection] = new_items
            extended[collection] = list(base.get(collection, [])) + copy.deepcopy(new_items)
    return extended, added


def _replace_extension(documents: dict[str, Any], name: str, added: dict[str, list]) -> None:
    extensions = [item for item in documents.get("extensions", []) if item.get("extends") != name]
    if added:
        extensions.append({"extends": name, **added})
    documents["extensions"] = extensions


def _replace_override(documents: dict[str, Any], kind: str, name: str, changes: dict, removed: list) -> None:
    overrides = [item for item in documents.get("overrides", []) if not (item["kind"] == kind and item["api_name"] == name)]
    if changes or removed:
        override: dict[str, Any] = {"kind": kind, "api_name": name}
        if changes:
            override["set"] = changes
        if removed:
            override["remove"] = removed
        overrides.append(override)
    documents["overrides"] = overrides


def _tidy(documents: dict[str, Any]) -> dict[str, Any]:
    """Drop empty folders, so an unchanged site layer has the same documents however it got there."""
    tidy = {key: value for key, value in documents.items() if value not in ([], {}, None) or key == "manifest"}
    if SECURITY_FOLDER in tidy:
        tidy[SECURITY_FOLDER] = {kind: items for kind, items in tidy[SECURITY_FOLDER].items() if items}
        if not tidy[SECURITY_FOLDER]:
            del tidy[SECURITY_FOLDER]
    return tidy


def registry_with_site(registry: Registry, documents: dict[str, Any]) -> Registry:
    """The effective registry with the site layer replaced by ``documents`` (PackageError if invalid)."""
    return registry_from_documents([*package_documents_without_site(registry), documents])




def field_packages(registry: Registry, object_name: str) -> dict[str, str]:
    """Field api name → the package that added it to the object (``site`` for an admin's fields)."""
    owners: dict[str, str] = {}
    for package in registry.packages:
        for object_def, _ in package.objects:
            if object_def.api_name == object_name:
                owners.update((field.api_name, package.name) for field in object_def.fields)
        for extension, _ in package.extensions:
            if extension.extends == object_name:
                owners.update((field.api_name, package.name) for field in extension.fields)
    return owners
