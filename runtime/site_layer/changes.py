"""Change sets: plan a change to the site layer, show it, apply it in one transaction, revert it.

    plan = plan_change(site, [("objects", "vehicle", body)])   # data: nothing has run
    plan.as_dict()                                             # what the API's dry run answers
    change = apply_change(site, plan, changed_by=user_id)      # metadata + DDL + change set, atomically
    undo = plan_revert(site, change["id"])                     # its inverse, planned and shown first

The setup pages and the metadata API both call these; neither knows SQL or the store's layout.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import yaml

from metadata.errors import Problem
from metadata.loader import FOLDERS, SECURITY_FOLDER, Origin, package_from_documents
from metadata.registry import Registry, build_registry
from metadata.sources import SourceFile
from runtime.errors import ConversionError
from runtime.migrations import ArchiveField, ArchiveObject, ChangeFieldType, ChangeFieldTypeArchiving, Plan, RenameObject, apply_plan, check_plan, diff
from runtime.migrations.plan import AddForeignKey, AddUnique
from runtime.site import Site
from runtime.site_layer.components import (
    SITE_PACKAGE,
    component,
    edit_site_documents,
    indexed_source,
    json_path,
    kind_of,
    package_documents_without_site,
    package_registry,
    site_documents,
)
from runtime.site_layer.errors import ChangeSetError, SetupError, SetupProblem
from runtime.site_layer.tables import CHANGE_SET
from runtime.store import read_metadata_version

__all__ = ["SetupPlan", "apply_change", "get_change_set", "list_change_sets", "plan_change", "plan_revert"]

#: Change = (kind, api_name, the component's new document, or None to delete it)
Change = tuple[str, str, "dict[str, Any] | None"]
#: operations whose rows are read or rewritten (their tables' rows are counted for the plan)
_ROW_OPERATIONS = (ArchiveField, ArchiveObject, ChangeFieldType, RenameObject, AddUnique, AddForeignKey)
_FORMULA_POSITION = re.compile(r", formula (\d+):(\d+)")


@dataclass
class SetupPlan:
    """A planned change to the site layer: the migration, the components either side, and what it does."""

    migration: Plan
    documents: dict[str, Any]  #: the site package's documents once applied
    components: list[dict[str, Any]]  #: [{"kind", "api_name", "before", "after"}]
    diff: str
    rows_affected: dict[str, int] = field(default_factory=dict)
    values_converted: int = 0
    #: values a type change does not convert: [{"object", "field", "value": UnconvertibleValue}]
    unconvertible: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reverts: int | None = None

    @property
    def archives(self) -> bool:
        """Whether applying it moves data into archives (it must then be confirmed)."""
        return bool(self.migration.data_loss)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operations": [operation.describe() for operation in self.migration.operations],
            "plan": self.migration.describe(),
            "rows_affected": self.rows_affected,
            "values_converted": self.values_converted,
            "unconvertible": [
                {"object": item["object"], "field": item["field"], "record_id": item["value"].record_id, "value": str(item["value"].value), "reason": item["value"].reason}
                for item in self.unconvertible[:50]
            ],
            "warnings": self.warnings,
            "archives": self.archives,
            "components": [{"kind": item["kind"], "api_name": item["api_name"], "created": item["before"] is None, "deleted": item["after"] is None} for item in self.components],
            "diff": self.diff,
            "metadata_changed": bool(self.migration.metadata_changed),
        }


# --- planning --------------------------------------------------------------------------------


def plan_change(site: Site, changes: list[Change], *, reverts: int | None = None) -> SetupPlan:
    """Plan ``changes`` (each component's new document, or None to delete it) without applying them.

    Raises SetupError listing every problem — in the bodies (JSON paths), or in components that
    depend on what changes (a layout naming a deleted field) — and nothing is changed.
    """
    registry = site.registry
    documents = site_documents(registry)
    base: Registry | None = None
    touched: list[dict[str, Any]] = []
    for kind, name, body in changes:
        owner_is_package = body is not None and component(registry, kind, name) is not None and not _site_owned(registry, kind, name)
        if owner_is_package and base is None:
            base = package_registry(registry)
        documents = edit_site_documents(_with_documents(registry, documents), kind, name, body, base=base)
        touched.append({"kind": kind, "api_name": name, "before": component(registry, kind, name), "body": body})
    _check_names(touched)
    new_registry = _build(registry, documents, touched)
    for item in touched:
        del item["body"]
        item["after"] = component(new_registry, item["kind"], item["api_name"])
    migration = diff(registry, new_registry)
    plan = SetupPlan(migration=migration, documents=documents, components=touched, diff=_diff_text(touched), reverts=reverts)
    _measure(site, plan)
    return plan


def _reserved_words() -> frozenset[str]:
    """Words reserved by the databases a site may run on: names admins give must work on both."""
    from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL
    from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer

    return frozenset(POSTGRESQL) | frozenset(SQLiteIdentifierPreparer.reserved_words)


def _check_names(touched: list[dict[str, Any]]) -> None:
    """New objects and fields may not be named by an SQL keyword (packages' existing names stay)."""
    reserved = _reserved_words()
    problems = []
    for item, body in ((item, item["body"]) for item in touched):
        if body is None or item["kind"] != "objects":
            continue
        before = item["before"] or {}
        if item["before"] is None and item["api_name"] in reserved:
            problems.append(SetupProblem("api_name", "reserved_name", f"'{item['api_name']}' is an SQL keyword; choose another name.", f"'{item['api_name']}' 是 SQL 关键字，请换一个名称。"))
        known = {field.get("api_name") for field in before.get("fields", [])}
        for index, field in enumerate(body.get("fields") or []):
            name = field.get("api_name") if isinstance(field, dict) else None
            if name in reserved and name not in known:
                problems.append(SetupProblem(f"fields[{index}].api_name", "reserved_name", f"'{name}' is an SQL keyword; choose another name.", f"'{name}' 是 SQL 关键字，请换一个字段名称。"))
    if problems:
        raise SetupError(problems)


def _site_owned(registry: Registry, kind: str, name: str) -> bool:
    from runtime.site_layer.components import component_owner

    return component_owner(registry, kind, name) in (None, SITE_PACKAGE)


class _Edited:
    """A registry seen with another site layer: lets several changes of one plan build on each other."""

    def __init__(self, registry: Registry, documents: dict[str, Any]):
        self._registry = registry
        self._documents = documents

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


def _with_documents(registry: Registry, documents: dict[str, Any]) -> Registry:
    # edit_site_documents reads the site layer from the registry's site package; the plan's own
    # edits so far are carried by rebuilding that package alone (cheap: no checks run)
    problems: list[Problem] = []
    site = package_from_documents(documents, problems)
    packages = [package for package in registry.packages if package.name != SITE_PACKAGE] + ([site] if site is not None else [])
    edited = _Edited(registry, documents)
    edited.packages = packages  # type: ignore[attr-defined]
    return edited  # type: ignore[return-value]


def _build(registry: Registry, documents: dict[str, Any], touched: list[dict[str, Any]]) -> Registry:
    """The effective registry with the site layer ``documents``; SetupError with paths if invalid."""
    problems: list[Problem] = []
    others = [package for data in package_documents_without_site(registry) if (package := package_from_documents(data, problems)) is not None]
    site_package = package_from_documents(documents, problems, origin="site")
    lines: dict[str, tuple[dict[int, tuple], Any]] = {}
    if site_package is not None:
        _index_origins(site_package, lines)
    if problems:
        raise _setup_error(problems, lines, touched)
    new = build_registry(others + ([site_package] if site_package is not None else []), problems)
    if problems:
        raise _setup_error(problems, lines, touched)
    return new


def _index_origins(package, lines: dict[str, tuple[dict[int, tuple], Any]]) -> None:
    """Give every site definition a source whose lines map back to JSON paths."""
    for folder in FOLDERS:
        indexed = []
        for definition, origin in getattr(package, folder):
            source, numbered = indexed_source(origin.source.display, origin.source.data)
            lines[source.display] = (numbered, source.data)
            indexed.append((definition, Origin(source, origin.path)))
        setattr(package, folder, indexed)
    for kind, items in package.security.items():
        indexed = []
        by_display: dict[str, SourceFile] = {}
        for item, origin in items:
            source = by_display.get(origin.source.display)
            if source is None:
                source, numbered = indexed_source(origin.source.display, origin.source.data)
                by_display[source.display] = source
                lines[source.display] = (numbered, source.data)
            indexed.append((item, Origin(source, origin.path)))
        package.security[kind] = indexed


def _setup_error(problems: list[Problem], lines: dict[str, tuple[dict[int, tuple], Any]], touched: list[dict[str, Any]]) -> SetupError:
    changed = {f"{item['kind']}/{item['api_name']}" for item in touched}
    found = []
    for problem in sorted(problems):
        text = f"{problem.message} — {problem.hint}" if problem.hint else problem.message
        position = None
        if (match := _FORMULA_POSITION.search(problem.message)) is not None:
            position = {"line": int(match[1]), "column": int(match[2])}
        component_name, path = _locate(problem, lines)
        if component_name is not None and component_name in changed and len(changed) == 1:
            found.append(SetupProblem(path, "invalid_component", text, "组件无效：" + text, position=position))
        else:
            # a problem elsewhere: a component that still depends on what the change removes
            found.append(SetupProblem(path, "dependent" if component_name not in changed else "invalid_component", text, "依赖或组件有误：" + text, component=component_name or problem.file, position=position))
    return SetupError(found)


def _locate(problem: Problem, lines: dict[str, tuple[dict[int, tuple], Any]]) -> tuple[str | None, str | None]:
    """The component ("objects/vehicle") and JSON path a problem is at, when it is in the site layer."""
    if problem.file not in lines:
        return _component_of(problem.file), None
    numbered, data = lines[problem.file]
    display = problem.file.split(":", 1)[-1].split("/", 1)[-1]  # "site:site/objects/x" → "objects/x"
    path = numbered.get(problem.line, ())
    folder, _, name = display.partition("/")
    if folder == SECURITY_FOLDER:
        # one document per security kind, {kind: [items]}: name the item
        kind = name
        if len(path) >= 2 and isinstance(path[1], int):
            item = data[kind][path[1]] if isinstance(data, dict) else {}
            return f"{kind}/{item.get('api_name', path[1])}", json_path(path[2:])
        return kind, None
    if folder == "extensions":  # the site's additions to a package's object
        return f"objects/{name}", None
    if folder == "overrides":  # "object.account": the site's changes to a package's component
        kind, _, target = name.partition(".")
        return f"{kind}s/{target}", None
    return display, json_path(path)



def _component_of(display: str) -> str | None:
    # "store:crm/layouts/account_default" → "layouts/account_default"
    parts = display.split(":", 1)[-1].split("/")
    return "/".join(parts[1:]) if len(parts) >= 3 else None


def _diff_text(touched: list[dict[str, Any]]) -> str:
    """A unified diff of each component's YAML, before → after: what the admin reads."""
    chunks = []
    for item in touched:
        name = f"{item['kind']}/{item['api_name']}.yaml"
        before = _yaml(item["before"])
        after = _yaml(item.get("after"))
        chunks.extend(difflib.unified_diff(before, after, fromfile=f"a/{name}", tofile=f"b/{name}", lineterm=""))
    return "\n".join(chunks)


def _yaml(document: dict[str, Any] | None) -> list[str]:
    if document is None:
        return []
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100).splitlines()


def _measure(site: Site, plan: SetupPlan) -> None:
    """Rows touched, values converted and the warnings, without changing anything."""
    migration = plan.migration
    counted: set[str] = set()
    with site.engine.connect() as connection:
        for operation in migration.operations:
            if isinstance(operation, _ROW_OPERATIONS):
                name = operation.old if isinstance(operation, RenameObject) else operation.object
                if name in counted or name not in site.tables:
                    continue
                counted.add(name)
                table = site.tables[name]
                plan.rows_affected[name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for operation in migration.operations:
            table = site.tables.get(operation.object) if isinstance(operation, ChangeFieldType) else None
            if table is not None and operation.columns[0] in table.c:  # (a renamed field: not counted)
                column = table.c[operation.columns[0]]
                plan.values_converted += connection.execute(sa.select(sa.func.count()).where(column.is_not(None))).scalar_one()
    _archive_what_does_not_convert(site, plan)
    for operation in plan.migration.data_loss:
        plan.warnings.append(f"{operation.describe()}: confirm to apply (the data stays restorable)")


def _archive_what_does_not_convert(site: Site, plan: SetupPlan) -> None:
    """Where a type change meets values that do not convert, plan to archive those values instead
    of refusing outright: the plan then needs confirming, and lists the values."""
    while True:
        try:
            check_plan(site, plan.migration)
            return
        except ConversionError as error:
            operations = plan.migration.operations
            position = next(
                (index for index, operation in enumerate(operations)
                 if type(operation) is ChangeFieldType and (operation.object, operation.field) == (error.object_name, error.field_name)),
                None,
            )
            plan.unconvertible += [{"object": error.object_name, "field": error.field_name, "value": value} for value in error.values]
            if position is None:  # not a type change (a reference to a missing record): refused as it is
                raise SetupError([
                    SetupProblem(None, "values_not_convertible", str(error), f"有记录的值不符合新的定义：{error}")
                ]) from None
            step = operations[position]
            operations[position] = ChangeFieldTypeArchiving(step.object, step.field, step.old_type, step.new_type, step.columns, alters_columns=step.alters_columns)


# --- applying --------------------------------------------------------------------------------


def apply_change(site: Site, plan: SetupPlan, *, changed_by: str | None, confirm: bool = False) -> dict[str, Any]:
    """Apply a planned change: DDL, the site layer and its change set in one transaction.

    Raises SetupError when values do not convert or data would be archived without ``confirm``,
    ``MigrationError`` when the site changed since the plan (plan again); nothing is changed then.
    """
    if plan.unconvertible and not confirm:
        raise SetupError([
            SetupProblem(
                f"fields[{item['field']}].type", "values_not_convertible",
                f"{item['object']} record {item['value'].record_id}: {item['value'].value!r} does not convert ({item['value'].reason}); "
                "fix the value, or send confirm=true to move such values to an archive (restorable)",
                f"{item['object']} 记录 {item['value'].record_id}：值 {item['value'].value!r} 无法转换（{item['value'].reason}）；"
                "请修正该值，或以 confirm=true 确认将无法转换的值移入归档（可恢复）",
            )
            for item in plan.unconvertible[:50]
        ])
    if plan.archives and not confirm:
        raise SetupError([
            SetupProblem(None, "confirm_data_loss", f"{operation.describe()}: send confirm=true to apply.", f"{operation.describe()}：此操作会将数据归档，确认后（confirm=true）才会执行。")
            for operation in plan.migration.data_loss
        ])
    recorded: dict[str, Any] = {}

    def record(connection: sa.Connection) -> None:
        table = site.platform[CHANGE_SET]
        values = {
            "changed_by": changed_by,
            "changed_at": dt.datetime.now(dt.timezone.utc),
            "summary": _summary(plan),
            "components": plan.components,
            "diff": plan.diff,
            "plan": plan.migration.describe(),
            "reverts": plan.reverts,
            "metadata_version": read_metadata_version(connection, site.platform),
        }
        recorded.update(values, id=connection.execute(table.insert().values(**values).returning(table.c.id)).scalar_one())

    apply_plan(site, plan.migration, allow_data_loss=confirm, within=record)
    return _public(recorded)


def _summary(plan: SetupPlan) -> str:
    parts = []
    for item in plan.components:
        verb = "created" if item["before"] is None else "deleted" if item["after"] is None else "changed"
        parts.append(f"{kind_of(item['kind']).singular.replace('_', ' ')} {item['api_name']} {verb}")
    text = "; ".join(parts)
    return f"revert of change set {plan.reverts}: {text}" if plan.reverts is not None else text


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "changed_by": row["changed_by"],
        "changed_at": row["changed_at"],
        "summary": row["summary"],
        "components": [{"kind": item["kind"], "api_name": item["api_name"]} for item in row["components"]],
        "diff": row["diff"],
        "plan": row["plan"],
        "reverts": row["reverts"],
        "metadata_version": row["metadata_version"],
    }


# --- listing and reverting -------------------------------------------------------------------


def list_change_sets(site: Site, *, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
    """The latest change sets first (``before``: only those older than that id)."""
    table = site.platform[CHANGE_SET]
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(table.c.id < before)
    with site.engine.connect() as connection:
        return [_public(dict(row._mapping)) for row in connection.execute(query)]


def _row(site: Site, change_id: int) -> dict[str, Any]:
    table = site.platform[CHANGE_SET]
    with site.engine.connect() as connection:
        row = connection.execute(sa.select(table).where(table.c.id == change_id)).first()
    if row is None:
        raise ChangeSetError([SetupProblem(None, "unknown_change_set", f"There is no change set {change_id}.", f"不存在变更集 {change_id}。")])
    return dict(row._mapping)


def get_change_set(site: Site, change_id: int) -> dict[str, Any]:
    return _public(_row(site, change_id))


def plan_revert(site: Site, change_id: int) -> SetupPlan:
    """The inverse of a change set, planned (not applied): each component back to what it was.

    Refused (ChangeSetError) when a component it changed has changed again since: reverting would
    undo that later change too, so that one is reverted first.
    """
    row = _row(site, change_id)
    changes: list[Change] = []
    for item in reversed(row["components"]):
        current = component(site.registry, item["kind"], item["api_name"])
        if current != item["after"]:
            raise ChangeSetError([SetupProblem(None, "changed_since", f"{item['kind']}/{item['api_name']} has changed since change set {change_id}; revert the later change first.", f"{item['kind']}/{item['api_name']} 在变更集 {change_id} 之后又被修改过，请先撤销之后的变更。")])
        changes.append((item["kind"], item["api_name"], item["before"]))
    return plan_change(site, changes, reverts=change_id)

