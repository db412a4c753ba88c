"""List views users save for themselves: a name over a list's scope, filter, quick search, sort and columns.

Declared list views live in metadata (``metadata.models.apps.ListView``); the ones a user saves
from a list page live in the platform table ``tessera_list_view``, one row per view, owned by the
user who saved it. A view is private to its owner unless it is shared; sharing is for
administrators only (the caller says whether the actor is one), so a rep cannot put a view in
front of everybody.

The definition is checked against the object's metadata when it is saved — the filter through the
runtime's own filter language and the sort through its sort parser, so a view that could never
run is refused with the query language's own message — and again, by the record pipeline, each
time it is opened, since metadata and field permissions can change in between. Saving also
refuses fields the saver may not read, so a view cannot smuggle a hidden field past its owner.

    {"scope": "mine", "q": "steel", "sort": "-amount", "columns": ["name", "amount"],
     "filter": {"stage": {"in": ["negotiation"]}}}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from runtime.errors import FieldError, QueryError, RecordNotFoundError, RecordPermissionError, RecordValidationError
from runtime.ids import new_id
from runtime.query import filters as f
from runtime.query import sorting as s
from runtime.records.context import Actor
from runtime.records.coercion import is_record_id
from runtime.types import ID_TYPE, UtcDateTime

__all__ = ["SCOPES", "SavedView", "build_tables", "check_definition", "delete", "get", "list_views", "rename", "save"]

TABLE = "tessera_list_view"
SCOPES = ("all", "mine", "team")
MAX_NAME = 80
MAX_COLUMNS = 20
MAX_QUICK_SEARCH = 200
_KEYS = frozenset({"scope", "q", "sort", "columns", "filter"})


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """The saved views table (a platform table: see ``runtime.schema.PLATFORM_TABLE_MODULES``)."""
    table = sa.Table(
        TABLE,
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True),
        sa.Column("owner_id", ID_TYPE, nullable=False),
        sa.Column("object", sa.String(50), nullable=False),
        sa.Column("app", sa.String(50), nullable=False),
        sa.Column("name", sa.String(MAX_NAME), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False, default=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        # the list page asks "the views of this object in this app that this user sees"
        sa.Index("ix_tessera_list_view_object", "object", "app", "owner_id"),
        sa.UniqueConstraint("owner_id", "object", "app", "name", name="uq_tessera_list_view_name"),
    )
    return {TABLE: table}


@dataclass(frozen=True)
class SavedView:
    """A saved list view as stored: ``definition`` is the checked dict."""

    id: str
    owner_id: str
    object: str
    app: str
    name: str
    definition: dict[str, Any]
    shared: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "owner_id": self.owner_id, "object": self.object, "app": self.app, "name": self.name,
            "definition": self.definition, "shared": self.shared,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }


def _error(field_name: str | None, code: str, en: str, zh: str) -> FieldError:
    return FieldError(field_name, code, en, zh)


def _refuse(errors: list[FieldError], object_name: str) -> None:
    if errors:
        raise RecordValidationError(errors, object_name=object_name)


def _check_name(name: Any, object_name: str) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > MAX_NAME or "\x00" in text:
        _refuse([_error("name", "invalid_view_name", f"A view needs a name of 1 to {MAX_NAME} characters.",
                        f"视图名称须为 1 至 {MAX_NAME} 个字符。")], object_name)
    return text


def check_definition(service, actor: Actor, object_name: str, definition: Any) -> dict[str, Any]:
    """The definition, checked against the object's metadata and what ``actor`` may read; raises RecordError."""
    if object_name not in service.site.registry.objects:
        raise RecordNotFoundError([_error(None, "not_found", f"No object '{object_name}'.", f"没有对象“{object_name}”。")])
    if not isinstance(definition, dict):
        _refuse([_error("definition", "invalid_view", "A view's definition is a JSON object.", "视图定义应为 JSON 对象。")], object_name)
    errors: list[FieldError] = []
    for key in sorted(set(definition) - _KEYS):
        errors.append(_error(key, "invalid_view", f"'{key}' is not part of a list view.", f"“{key}”不是列表视图的内容。"))
    scope = definition.get("scope", "all")
    if scope not in SCOPES:
        errors.append(_error("scope", "invalid_view", "The scope is one of all, mine or team.", "范围只能是 all、mine 或 team。"))
    text = definition.get("q") or ""
    if not isinstance(text, str) or len(text) > MAX_QUICK_SEARCH:
        errors.append(_error("q", "invalid_view", f"The quick search is a text of at most {MAX_QUICK_SEARCH} characters.",
                             f"快速搜索应为不超过 {MAX_QUICK_SEARCH} 个字符的文本。"))
    columns = definition.get("columns")
    fields = service.models().get(object_name).fields  # system fields (owner, created_at…) included
    if columns is not None:
        if not isinstance(columns, list) or not columns or len(columns) > MAX_COLUMNS or not all(isinstance(name, str) for name in columns):
            errors.append(_error("columns", "invalid_view", f"The columns are a list of 1 to {MAX_COLUMNS} field names.",
                                 f"列应为 1 至 {MAX_COLUMNS} 个字段名的列表。"))
            columns = None
        else:
            for name in columns:
                if name not in fields:
                    errors.append(_error(name, "unknown_field", f"Unknown field '{name}'.", f"未知字段“{name}”。"))
    _refuse(errors, object_name)
    models = service.models()
    # the query language's own checks: a filter or sort that could never run is refused here,
    # with the same messages a query would give, and so is anything the saver may not read
    sort = definition.get("sort")
    zone = service.site.zone
    typed = f.parse_filter(models, object_name, definition.get("filter"), today=actor.today(zone), zone=zone)
    keys = s.parse_sort(models, object_name, [sort]) if sort else []
    paths = [condition.path for condition in (f.walk(typed) if typed is not None else ())] + [key.path for key in keys]
    if not actor.system:
        service.reader._check_readable(actor, object_name, paths)
        readable = service.reader.access.readable_fields(actor, object_name)
        hidden = [name for name in columns or () if readable is not None and name not in readable]
        if hidden:
            raise QueryError([_error(name, "unknown_field", f"Unknown field '{name}'.", f"未知字段“{name}”。") for name in hidden],
                             object_name=object_name)
    checked: dict[str, Any] = {"scope": scope}
    if text.strip():
        checked["q"] = text.strip()
    if sort:
        checked["sort"] = sort
    if columns:
        checked["columns"] = list(dict.fromkeys(columns))
    if definition.get("filter"):
        checked["filter"] = definition["filter"]
    return checked


def _row_view(row) -> SavedView:
    return SavedView(
        id=row.id, owner_id=row.owner_id, object=row.object, app=row.app, name=row.name,
        definition=json.loads(row.definition), shared=bool(row.shared), created_at=row.created_at, updated_at=row.updated_at,
    )


def _taken(connection, table, owner_id: str, object_name: str, app: str, name: str, other_than: str | None = None) -> bool:
    query = sa.select(table.c.id).where(table.c.owner_id == owner_id, table.c.object == object_name, table.c.app == app, table.c.name == name)
    if other_than is not None:
        query = query.where(table.c.id != other_than)
    return connection.execute(query).first() is not None


def _name_taken(name: str, object_name: str) -> RecordValidationError:
    return RecordValidationError(
        [_error("name", "duplicate_view_name", f"You already have a view named '{name}'.", f"您已有名为“{name}”的视图。")], object_name=object_name
    )


def _must_be_user(actor: Actor, object_name: str) -> str:
    if actor.user_id is None:
        raise RecordPermissionError([_error(None, "forbidden", "Only a user can save list views.", "只有用户才能保存列表视图。")], object_name=object_name)
    return actor.user_id


def _check_sharing(shared: bool, may_share: bool, object_name: str) -> None:
    if shared and not may_share:
        raise RecordPermissionError(
            [_error("shared", "share_forbidden", "Only administrators may share a view with everyone.", "只有管理员才能将视图共享给所有人。")],
            object_name=object_name,
        )


def save(service, actor: Actor, object_name: str, app: str, name: str, definition: Any, *, shared: bool = False, may_share: bool = False) -> SavedView:
    """Save a new view owned by ``actor``; ``may_share`` says whether the actor may share it (an administrator)."""
    owner = _must_be_user(actor, object_name)
    name = _check_name(name, object_name)
    checked = check_definition(service, actor, object_name, definition)
    _check_sharing(shared, may_share, object_name)
    site = service.site
    table = site.platform[TABLE]
    now = actor.moment()
    view_id = new_id()
    with site.begin() as connection:
        if _taken(connection, table, owner, object_name, app, name):
            raise _name_taken(name, object_name)
        connection.execute(
            sa.insert(table).values(
                id=view_id, owner_id=owner, object=object_name, app=app, name=name,
                definition=json.dumps(checked, sort_keys=True, ensure_ascii=False), shared=bool(shared), created_at=now, updated_at=now,
            )
        )
    return get(service, actor, object_name, view_id)


def list_views(service, actor: Actor, object_name: str, app: str) -> list[SavedView]:
    """The actor's own views of the object in this app, then those shared by others, by name."""
    site = service.site
    table = site.platform[TABLE]
    visible = table.c.shared.is_(True) if actor.user_id is None else sa.or_(table.c.owner_id == actor.user_id, table.c.shared.is_(True))
    with site.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table).where(table.c.object == object_name, table.c.app == app, visible).order_by(table.c.name, table.c.id)
        ).all()
    views = [_row_view(row) for row in rows]
    return [view for view in views if view.owner_id == actor.user_id] + [view for view in views if view.owner_id != actor.user_id]


def get(service, actor: Actor, object_name: str, view_id: str) -> SavedView:
    """A view the actor may see (their own, or a shared one); another user's private view is not found."""
    site = service.site
    table = site.platform[TABLE]
    row = None
    if is_record_id(str(view_id)):
        with site.engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.id == str(view_id), table.c.object == object_name)).first()
    if row is None or not (row.shared or row.owner_id == actor.user_id):
        raise RecordNotFoundError([_error(None, "not_found", "No such list view.", "没有该列表视图。")], object_name=object_name)
    return _row_view(row)


def _owned(service, actor: Actor, object_name: str, view_id: str) -> SavedView:
    view = get(service, actor, object_name, view_id)
    if view.owner_id != actor.user_id:
        raise RecordPermissionError(
            [_error(None, "not_owner", "Only the user who saved this view may change it.", "只有保存该视图的用户才能修改它。")], object_name=object_name
        )
    return view


def rename(service, actor: Actor, object_name: str, view_id: str, name: str, *, shared: bool | None = None, may_share: bool = False) -> SavedView:
    """Rename one of the actor's own views (and, with ``shared``, share or unshare it)."""
    view = _owned(service, actor, object_name, view_id)
    name = _check_name(name, object_name)
    if shared is not None and shared != view.shared:
        _check_sharing(shared, may_share, object_name)
    site = service.site
    table = site.platform[TABLE]
    with site.begin() as connection:
        if _taken(connection, table, view.owner_id, object_name, view.app, name, other_than=view.id):
            raise _name_taken(name, object_name)
        values: dict[str, Any] = {"name": name, "updated_at": actor.moment()}
        if shared is not None:
            values["shared"] = bool(shared)
        connection.execute(sa.update(table).where(table.c.id == view.id).values(**values))
    return get(service, actor, object_name, view.id)


def delete(service, actor: Actor, object_name: str, view_id: str) -> None:
    """Delete one of the actor's own views."""
    view = _owned(service, actor, object_name, view_id)
    table = service.site.platform[TABLE]
    with service.site.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.id == view.id, table.c.owner_id == view.owner_id))
