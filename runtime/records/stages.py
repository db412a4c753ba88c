"""Stage paths: where a record stands in its business type's stages, and what may move it on.

An object with a ``stage_field`` has, per business type, an ordered list of stages; each open
stage may list key events (关键事件) a user completes while the record is in it. This module
is the one place that knows the gate, so the REST API and the pages refuse the same moves:

* moving forward (to a later open stage, or to a won stage) needs every key event of the
  current stage, and of any stage skipped over, to be complete;
* moving back to an earlier open stage, or to a lost stage, is never gated (a lost deal needs a
  reason, but that is the object's own validation rule, checked by the record pipeline);
* the win rate is the current stage's rate plus the shares of its completed key events.

Completions are kept in the platform table ``tessera_key_event`` (one row per record, stage and
event). The move itself is an ordinary update through
:class:`~runtime.records.service.RecordService`, so every other rule still applies; completing a
key event is one too, its completion row written in the update's transaction. When the object
names a ``win_rate_field``, the record pipeline keeps that field at :func:`win_rate_of` the record
on create, on every change of stage or business type, and on every completion.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from metadata.models import BusinessType, Label, ObjectDef
from runtime.errors import FieldError, RecordPermissionError, RecordValidationError
from runtime.ids import new_id
from runtime.records.context import Actor
from runtime.types import ID_TYPE, UtcDateTime

__all__ = [
    "KeyEventState",
    "StagePath",
    "StageState",
    "build_tables",
    "business_type_of",
    "check_change",
    "check_move",
    "complete_key_event",
    "completed_events",
    "move",
    "read_path",
    "win_rate_of",
]

TABLE = "tessera_key_event"


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """The completions table (a platform table: see ``runtime.schema.PLATFORM_TABLE_MODULES``)."""
    table = sa.Table(
        TABLE,
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True),
        sa.Column("object", sa.String(50), nullable=False),
        sa.Column("record_id", ID_TYPE, nullable=False),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("document", sa.String(1024)),
        sa.Column("completed_by", ID_TYPE),
        sa.Column("completed_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("object", "record_id", "stage", "event", name="uq_tessera_key_event_record"),
    )
    return {TABLE: table}


@dataclass(frozen=True)
class KeyEventState:
    """A key event of a stage and whether this record has completed it."""

    api_name: str
    label: Label
    win_rate_share: Decimal
    requires_document: bool
    description: Label | None = None
    completed: bool = False
    document: str | None = None
    completed_by: str | None = None

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "api_name": self.api_name,
            "label": self.label.text(language),
            "description": self.description.text(language) if self.description else None,
            "win_rate_share": float(self.win_rate_share),
            "requires_document": self.requires_document,
            "completed": self.completed,
            "document": self.document,
        }


@dataclass(frozen=True)
class StageState:
    """One stage on the path: ``position`` is "done", "current" or "ahead"."""

    value: str
    label: Label
    color: str | None
    win_rate: Decimal
    outcome: str
    position: str
    key_events: tuple[KeyEventState, ...] = ()

    @property
    def incomplete(self) -> list[KeyEventState]:
        return [event for event in self.key_events if not event.completed]

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label.text(language),
            "color": self.color,
            "win_rate": float(self.win_rate),
            "outcome": self.outcome,
            "position": self.position,
            "key_events": [event.as_dict(language) for event in self.key_events],
        }


@dataclass(frozen=True)
class StagePath:
    """A record's stages under its business type, with key-event completions."""

    object_name: str
    record_id: str
    field: str
    business_type: str
    current: str | None
    stages: tuple[StageState, ...] = field(default_factory=tuple)

    def stage(self, value: str | None) -> StageState | None:
        return next((stage for stage in self.stages if stage.value == value), None)

    @property
    def closed(self) -> bool:
        current = self.stage(self.current)
        return current is not None and current.outcome != "open"

    @property
    def win_rate(self) -> Decimal:
        current = self.stage(self.current)
        if current is None:
            return Decimal(0)
        done = sum((event.win_rate_share for event in current.key_events if event.completed), Decimal(0))
        return current.win_rate + done

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "field": self.field,
            "business_type": self.business_type,
            "current": self.current,
            "closed": self.closed,
            "win_rate": float(self.win_rate),
            "stages": [stage.as_dict(language) for stage in self.stages],
            "moves": {
                stage.value: [error.as_dict(language) for error in check_move(self, stage.value)]
                for stage in self.stages
                if stage.value != self.current
            },
        }


def business_type_of(object_def: ObjectDef, record: Mapping[str, Any]) -> BusinessType | None:
    """The business type a record uses (the default one when the record names none)."""
    name = record.get("business_type")
    types = object_def.business_types
    chosen = next((item for item in types if item.api_name == name), None)
    return chosen or next((item for item in types if item.default), None)


def win_rate_of(object_def: ObjectDef, record: Mapping[str, Any], completed: Collection[str] = ()) -> Decimal | None:
    """The win rate of a record at its stage, given the key events of that stage it has completed.

    None when the record stands at no stage of its business type (or the type has no stages).
    """
    business_type = business_type_of(object_def, record)
    if not object_def.stage_field or business_type is None or not business_type.stages:
        return None
    current = record.get(object_def.stage_field)
    stage = next((item for item in business_type.stages if item.value == current), None)
    if stage is None:
        return None
    return stage.win_rate + sum((event.win_rate_share for event in stage.key_events if event.api_name in completed), Decimal(0))


def completed_events(connection: sa.Connection, table: sa.Table, object_name: str, record_id: str, stage: str) -> set[str]:
    """The key events a record has completed in ``stage`` (read through the caller's transaction)."""
    rows = connection.execute(
        sa.select(table.c.event).where(table.c.object == object_name, table.c.record_id == record_id, table.c.stage == stage)
    )
    return {row.event for row in rows}


def read_path(site, object_name: str, record: Mapping[str, Any]) -> StagePath | None:
    """The stage path of a record the caller has already read (None: the object has no stages)."""
    object_def = site.registry.objects[object_name]
    business_type = business_type_of(object_def, record)
    stage_field = object_def.stage_field
    if not stage_field or business_type is None or not business_type.stages:
        return None
    table = site.platform[TABLE]
    with site.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.stage, table.c.event, table.c.document, table.c.completed_by).where(
                table.c.object == object_name, table.c.record_id == record["id"]
            )
        ).all()
    done = {(row.stage, row.event): row for row in rows}
    labels = {value.api_name: value for value in site.registry.picklist_values(object_name, stage_field)}
    current = record.get(stage_field)
    index = next((i for i, stage in enumerate(business_type.stages) if stage.value == current), None)
    states = []
    for position, stage in enumerate(business_type.stages):
        value = labels.get(stage.value)
        events = tuple(
            KeyEventState(
                api_name=event.api_name,
                label=event.label,
                description=event.description,
                win_rate_share=event.win_rate_share,
                requires_document=event.requires_document,
                completed=(stage.value, event.api_name) in done,
                document=getattr(done.get((stage.value, event.api_name)), "document", None),
                completed_by=getattr(done.get((stage.value, event.api_name)), "completed_by", None),
            )
            for event in stage.key_events
        )
        where = "ahead" if index is None or position > index else ("current" if position == index else "done")
        states.append(
            StageState(
                value=stage.value,
                label=value.label if value else Label(en=stage.value),
                color=value.color if value else None,
                win_rate=stage.win_rate,
                outcome=stage.outcome,
                position=where,
                key_events=events,
            )
        )
    return StagePath(object_name, str(record["id"]), stage_field, business_type.api_name, current, tuple(states))


def _error(field_name: str | None, code: str, en: str, zh: str) -> FieldError:
    return FieldError(field_name, code, en, zh)


def check_move(path: StagePath, target: str) -> list[FieldError]:
    """Why the record may not move to stage ``target`` (empty: it may)."""
    goal = path.stage(target)
    if goal is None:
        return [_error(path.field, "unknown_stage", f"'{target}' is not a stage of this process.", f"“{target}”不是该流程的阶段。")]
    if target == path.current:
        return []
    values = [stage.value for stage in path.stages]
    start = values.index(path.current) if path.current in values else None
    if start is None or goal.outcome == "lost" or path.stages[start].outcome != "open":
        return []
    end = values.index(target)
    if goal.outcome == "open" and end < start:
        return []
    # Forward: the current stage and every open stage skipped on the way must be complete.
    passed = [stage for stage in path.stages[start:end] if stage.outcome == "open"] if end > start else [path.stages[start]]
    errors = []
    for stage in passed:
        for event in stage.incomplete:
            errors.append(
                _error(
                    path.field,
                    "key_event_incomplete",
                    f"Complete '{event.label.en}' in stage '{stage.label.en}' first.",
                    f"请先完成“{stage.label.text('zh')}”阶段的关键事件“{event.label.text('zh')}”。",
                )
            )
    return errors


def check_change(site, object_name: str, old: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[FieldError]:
    """The gate for an ordinary save that sets the stage field (a form, an API update).

    ``old`` is the stored record (None on create). A new record starts at its process's first
    stage with nothing completed, so creating it further along is a forward move like any other.
    """
    object_def = site.registry.objects[object_name]
    field_name = object_def.stage_field
    if not field_name or field_name not in values:
        return []
    target = values[field_name]
    if old is not None and target == old.get(field_name):
        return []
    if old is None:
        business_type = business_type_of(object_def, values)
        if business_type is None or not business_type.stages or target in (None, ""):
            return []
        first = business_type.stages[0].value
        if target == first:
            return []
        virtual = {**values, "id": "", field_name: first}
        path = read_path(site, object_name, virtual)
    else:
        path = read_path(site, object_name, old)
    if path is None or target in (None, "") or path.stage(target) is None:
        return []  # not a stage of this process: the record pipeline reports that
    return check_move(path, target)


def move(service, actor: Actor, object_name: str, record_id: str, target: str, *, version: int | None = None, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Move a record to stage ``target`` (with other ``values``, e.g. a loss reason) if the gate allows."""
    record = service.get(actor, object_name, record_id)
    path = read_path(service.site, object_name, record)
    if path is None:
        raise RecordValidationError([_error(None, "no_stages", "This record has no stages.", "该记录没有销售阶段。")], object_name=object_name)
    errors = check_move(path, target)
    if errors:
        raise RecordValidationError(errors, object_name=object_name)
    return service.update(actor, object_name, record_id, {**(values or {}), path.field: target}, version=version)


def complete_key_event(service, actor: Actor, object_name: str, record_id: str, event: str, *, document: str | None = None, completed: bool = True) -> StagePath:
    """Mark a key event of the record's current stage complete (or not); returns the new path."""
    site = service.site
    reader = service.reader
    if not actor.system and not reader.access.allows(actor, object_name, "edit"):
        raise RecordPermissionError(
            [_error(None, "object_forbidden", "You may not edit these records.", "您无权编辑此类记录。")], object_name=object_name
        )
    record = service.get(actor, object_name, record_id)
    path = read_path(site, object_name, record)
    stage = path.stage(path.current) if path else None
    known = {item.api_name: item for item in stage.key_events} if stage else {}
    if path is None or stage is None or event not in known:
        raise _unknown_event(object_name, event)
    document = (document or "").strip() or None
    if document is not None and ("\x00" in document or len(document) > 1024):
        raise RecordValidationError(
            [_error("document", "invalid_document", "The document reference is not valid.", "文档引用无效。")],
            object_name=object_name,
        )
    if completed and known[event].requires_document and document is None:
        raise RecordValidationError(
            [_error("document", "document_required", "Attach a document to complete this event.", "完成该事件需要上传文档。")],
            object_name=object_name,
        )
    table = site.platform[TABLE]
    stage_field = path.field

    def record_completion(connection: sa.Connection, stored: Mapping[str, Any]) -> None:
        # the record may have moved on since it was read: the event belongs to the stage it was read at
        if stored.get(stage_field) != stage.value:
            raise _unknown_event(object_name, event)
        key = (table.c.object == object_name, table.c.record_id == record_id, table.c.stage == stage.value, table.c.event == event)
        connection.execute(sa.delete(table).where(*key))
        if completed:
            connection.execute(
                sa.insert(table).values(
                    id=new_id(), object=object_name, record_id=record_id, stage=stage.value, event=event,
                    document=document, completed_by=actor.user_id, completed_at=actor.moment(),
                )
            )

    # an update with no values of its own: it locks the record with the actor's edit rights, and
    # keeps the win-rate field (version, history) current with the completion
    updated = service.update(actor, object_name, record_id, {}, platform_writes=record_completion)
    return read_path(site, object_name, {**record, **updated})  # type: ignore[return-value]


def _unknown_event(object_name: str, event: str) -> RecordValidationError:
    return RecordValidationError(
        [_error(None, "unknown_key_event", f"'{event}' is not a key event of the current stage.", f"“{event}”不是当前阶段的关键事件。")],
        object_name=object_name,
    )
