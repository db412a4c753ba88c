"""Loading a package directory: every YAML file read, validated and located, problems collected.

A package directory holds ``package.yaml`` and the folders ``objects/``, ``extensions/``,
``layouts/``, ``value_sets/``, ``apps/`` and ``overrides/`` (see :mod:`metadata.overrides`), one
definition per ``.yaml`` file, and ``security/``,
one file per kind (``roles.yaml``, ``profiles.yaml``, ...; see :mod:`metadata.models.security`). Loading never stops at the first
problem; :class:`~metadata.errors.PackageError` carries them all.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from metadata.errors import Problem
from metadata.models import App, Layout, ObjectDef, ObjectExtension, PackageManifest, ValueSet, ValueSetValue
from metadata.models.security import SECURITY_FILES
from metadata.overrides import Override
from metadata.sources import DataPath, SourceFile, read_yaml
from metadata.validation import validate

MANIFEST = "package.yaml"
FOLDERS: dict[str, type[BaseModel]] = {
    "objects": ObjectDef,
    "extensions": ObjectExtension,
    "layouts": Layout,
    "value_sets": ValueSet,
    "apps": App,
    "overrides": Override,
}
VALUES_FILE_COLUMNS = ["api_name", "parent", "label_zh", "label_en"]


@dataclass(frozen=True)
class Origin:
    """Where a definition was written: a file, and the data path inside it."""

    source: SourceFile
    path: DataPath = ()

    def problem(self, subpath: DataPath, message: str, hint: str | None = None, *, key: bool = False) -> Problem:
        """A Problem at ``subpath`` below this definition."""
        return self.source.problem(self.path + tuple(subpath), message, hint, key=key)


@dataclass
class Package:
    """One loaded package: its manifest and definitions, each with its origin."""

    root: Path
    manifest: PackageManifest
    manifest_origin: Origin
    objects: list[tuple[ObjectDef, Origin]] = field(default_factory=list)
    extensions: list[tuple[ObjectExtension, Origin]] = field(default_factory=list)
    layouts: list[tuple[Layout, Origin]] = field(default_factory=list)
    value_sets: list[tuple[ValueSet, Origin]] = field(default_factory=list)
    apps: list[tuple[App, Origin]] = field(default_factory=list)
    #: per-property changes to other packages' components (see :mod:`metadata.overrides`)
    overrides: list[tuple[Override, Origin]] = field(default_factory=list)
    #: security definitions by kind ("roles", "profiles", ...), each with its origin
    security: dict[str, list[tuple[Any, Origin]]] = field(default_factory=dict)
    #: names of definitions whose files did not load, by folder: references to them are not
    #: reported again as dangling
    broken: dict[str, set[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.manifest.name


def load_package(root: Path, problems: list[Problem]) -> Package | None:
    """Load the package at ``root``, appending what is wrong to ``problems``.

    Returns None when the manifest itself cannot be read; otherwise the package with every
    definition that validated (the caller decides whether problems make it unusable).
    """
    root = Path(root)
    display_root = root.name or str(root)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        problems.append(Problem(f"{display_root}/{MANIFEST}", 1, 1, f"no {MANIFEST} in package directory '{display_root}'"))
        return None
    source = read_yaml(manifest_path, f"{display_root}/{MANIFEST}", problems)
    if source is None:
        return None
    if not isinstance(source.data, dict):
        problems.append(source.problem((), f"{MANIFEST} must be a mapping"))
        return None
    manifest = validate(PackageManifest, source, problems)
    if manifest is None:
        return None
    package = Package(root=root, manifest=manifest, manifest_origin=Origin(source))
    for folder, model in FOLDERS.items():
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix in {".yml", ".json"} and path.is_file():
                problems.append(
                    Problem(f"{display_root}/{folder}/{path.name}", 1, 1, "metadata files end in .yaml")
                )
            if path.suffix != ".yaml" or not path.is_file():
                continue
            display = f"{display_root}/{folder}/{path.name}"
            source = read_yaml(path, display, problems)
            if source is None:
                package.broken.setdefault(folder, set()).add(path.stem)
                continue
            if not isinstance(source.data, dict):
                problems.append(source.problem((), f"expected a mapping of keys (a {model.__name__})"))
                package.broken.setdefault(folder, set()).add(path.stem)
                continue
            definition = validate(model, source, problems)
            if definition is None:
                name = source.data.get("api_name", source.data.get("extends", path.stem))
                package.broken.setdefault(folder, set()).add(str(name))
                continue
            if isinstance(definition, ValueSet) and definition.values_file:
                definition = _with_file_values(definition, source, problems)
            getattr(package, folder).append((definition, Origin(source)))
    _load_security(root / SECURITY_FOLDER, display_root, package, problems)
    return package


SECURITY_FOLDER = "security"


def _load_security(directory: Path, display_root: str, package: Package, problems: list[Problem]) -> None:
    """Read ``security/<kind>.yaml`` files: each a mapping holding one list under the kind's name."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        display = f"{display_root}/{SECURITY_FOLDER}/{path.name}"
        if path.suffix != ".yaml" or path.stem not in SECURITY_FILES:
            problems.append(Problem(display, 1, 1, f"security files are {', '.join(f'{stem}.yaml' for stem in SECURITY_FILES)}"))
            continue
        source = read_yaml(path, display, problems)
        if source is not None:
            _add_security(package, path.stem, source, problems)


def _add_security(package: Package, kind: str, source: SourceFile, problems: list[Problem]) -> None:
    if not isinstance(source.data, dict):
        problems.append(source.problem((), f"expected a mapping with a '{kind}' list"))
        return
    definition = validate(SECURITY_FILES[kind], source, problems)
    if definition is None:
        package.broken.setdefault(kind, set()).update(
            str(item.get("api_name", item.get("object"))) for item in source.data.get(kind) or [] if isinstance(item, dict)
        )
        return
    items = package.security.setdefault(kind, [])
    for index, item in enumerate(getattr(definition, kind)):
        items.append((item, Origin(source, (kind, index))))


def _with_file_values(value_set: ValueSet, source: SourceFile, problems: list[Problem]) -> ValueSet:
    """The value set with ``values`` read from its CSV file (problems name the CSV line)."""
    path = source.path.parent / value_set.values_file  # type: ignore[operator]
    display = str(Path(source.display).parent / value_set.values_file)  # type: ignore[operator]
    if not path.is_file():
        problems.append(source.problem(("values_file",), f"values file '{value_set.values_file}' not found"))
        return value_set
    values: list[ValueSetValue] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != VALUES_FILE_COLUMNS:
            problems.append(
                Problem(display, 1, 1, f"header must be {','.join(VALUES_FILE_COLUMNS)}, got {','.join(header or [])}")
            )
            return value_set
        for row in reader:
            line = reader.line_num
            if len(row) != len(VALUES_FILE_COLUMNS):
                problems.append(Problem(display, line, 1, f"expected 4 columns, got {len(row)}"))
                continue
            api_name, parent, label_zh, label_en = row
            data: dict[str, Any] = {
                "api_name": api_name,
                "label": {"en": label_en or label_zh, "zh": label_zh or None},
                "parent": parent or None,
            }
            try:
                values.append(ValueSetValue.model_validate(data))
            except ValidationError as error:
                for detail in error.errors(include_url=False):
                    where = ".".join(str(part) for part in detail["loc"])
                    problems.append(Problem(display, line, 1, f"{where}: {detail['msg']}"))
    return value_set.model_copy(update={"values": values})


def package_documents(package: Package) -> dict[str, Any]:
    """The package as plain JSON-able data: what the metadata store keeps and exports."""
    def dump(definition: BaseModel) -> dict[str, Any]:
        return definition.model_dump(mode="json", exclude_defaults=True)

    return {
        "manifest": dump(package.manifest),
        # a package without overrides keeps the documents it had before overrides existed
        **{folder: [dump(definition) for definition, _ in getattr(package, folder)] for folder in FOLDERS if folder != "overrides" or package.overrides},
        **({SECURITY_FOLDER: {kind: [dump(item) for item, _ in items] for kind, items in package.security.items()}} if package.security else {}),
    }


def package_from_documents(documents: dict[str, Any], problems: list[Problem], *, origin: str = "store") -> Package | None:
    """Rebuild a package from :func:`package_documents` data (positions are per definition)."""
    manifest_source = SourceFile(path=Path(MANIFEST), display=f"{origin}:package.yaml", data=documents.get("manifest"))
    if not isinstance(manifest_source.data, dict):
        problems.append(manifest_source.problem((), "the manifest must be a mapping"))
        return None
    manifest = validate(PackageManifest, manifest_source, problems)
    if manifest is None:
        return None
    package = Package(root=Path(manifest.name), manifest=manifest, manifest_origin=Origin(manifest_source))
    for folder, model in FOLDERS.items():
        for index, data in enumerate(documents.get(folder, [])):
            name = data.get("api_name", data.get("extends", index)) if isinstance(data, dict) else index
            if folder == "overrides" and isinstance(data, dict):
                name = f"{data.get('kind')}.{name}"
            source = SourceFile(path=Path(folder) / f"{name}.yaml", display=f"{origin}:{manifest.name}/{folder}/{name}", data=data)
            definition = validate(model, source, problems) if isinstance(data, dict) else None
            if definition is None:
                if not isinstance(data, dict):
                    problems.append(source.problem((), "expected a mapping"))
                package.broken.setdefault(folder, set()).add(str(name))
                continue
            getattr(package, folder).append((definition, Origin(source)))
    security = documents.get(SECURITY_FOLDER) or {}
    for kind in SECURITY_FILES:
        if kind in security:
            display = f"{origin}:{manifest.name}/{SECURITY_FOLDER}/{kind}"
            _add_security(package, kind, SourceFile(path=Path(SECURITY_FOLDER) / f"{kind}.yaml", display=display, data={kind: security[kind]}), problems)
    return package
