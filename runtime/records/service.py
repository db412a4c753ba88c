"""The record pipeline: create, get, update, delete, restore, purge and bulk create.

Every write runs in one transaction, in this order:

1. coercion and validation of the input against the object's JSON Schema (compiled coercers;
   unknown fields, wrong types, lengths, bounds, picklist values), all problems together;
2. defaults (values and default formulas) for fields the input does not give, and the values the
   platform keeps itself: the win-rate field of an object with a stage path, set on create and
   whenever the stage or business type changes (see :mod:`runtime.records.stages`);
3. business-type rules: required fields, picklist subsets, inactive values, dependent picklists,
   stages (see :mod:`runtime.records.rules`);
4. validation rules (formulas), every failing rule reported together;
5. references (target exists, not in the recycle bin) and unique values;
6. the write itself, with the optimistic version check on update;
7. field history, then roll-up upkeep on the parents touched; before commit, the sharing-rule
   membership and inherited teams of the records written (:mod:`runtime.security.shares`).

Required fields are checked after defaults (step 3), so a required field with a default is not
reported missing. A step that finds problems stops the pipeline with a
:class:`~runtime.errors.RecordValidationError` listing them; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

import formula
from runtime.ids import new_id
from runtime.query.access import AccessPolicy
from runtime.query.aggregate import Aggregate, Aggregator
from runtime.query.compiler import SelectScope
from runtime.query.reader import Count, Page, RecordReader
from runtime.records import auto_numbers, history, relations, rollups, uniqueness
from runtime.records import model as m
from runtime.records.coercion import Invalid, is_record_id
from runtime.records.context import SYSTEM, Actor
from runtime.errors import (
    BulkRecordError,
    DeleteRestrictedError,
    FieldError,
    RecordConflictError,
    RecordNotFoundError,
    RecordPermissionError,
    RecordValidationError,
)
from runtime.records import stages
from runtime.records.formulas import FormulaSupport
from runtime.records.messages import field_error
from runtime.records.rules import check_business_type
from runtime.records.storage import RowMapper, internal_value
from runtime.records.writes import WriteContext
from runtime.search import SearchIndex


class RecordService:
    """Creates, reads, changes and deletes records of any object of a site."""

    def __init__(self, site, *, access: AccessPolicy | None = None):
        self.site = site
        self._models: m.ObjectModels | None = None
        self._formulas: FormulaSupport | None = None
        self._mappers: dict[str, RowMapper] = {}
        self._rule_formulas: dict[str, list[str]] = {}
        self._rollup_inputs: dict[str, dict[str, frozenset[str] | None]] = {}
        self._formula_columns: dict[tuple[str, str], Any] = {}
        self._inserts: dict[tuple, tuple[Sequence[sa.ColumnElement], sa.Insert]] = {}
        self._references: dict[str, tuple[str, ...]] = {}
        #: the search index, written in each save's transaction
        self.search = SearchIndex(site)
        self.reader = RecordReader(
            lambda: self.site.tables,
            self.models,
            dialect=site.engine.dialect.name,
            access=access,
            formula_sql=self._formula_sql,
            formula_values=self._formula_values,
            zone=lambda: self.site.zone,
        )

    # -- metadata-derived state, rebuilt when the site's registry changes -------------------

    def models(self) -> m.ObjectModels:
        """The object models of the site's current metadata version."""
        if self._models is None or self._models.registry is not self.site.registry:
            self._models = m.ObjectModels(self.site.registry)
            self._formulas = FormulaSupport(self.site.registry, zone=lambda: self.site.zone)
            self._mappers = {}
            self._rule_formulas = {}
            self._rollup_inputs = {}
            self._formula_columns = {}
            self._inserts = {}
            self._references = {}
            self.reader._statements.clear()
        return self._models

    @property
    def formulas(self) -> FormulaSupport:
        self.models()
        assert self._formulas is not None
        return self._formulas

    def model(self, object_name: str) -> m.ObjectModel:
        try:
            return self.models().get(object_name)
        except KeyError:
            raise RecordNotFoundError([field_error(None, "not_found", object=object_name, value="*")], object_name=object_name) from None

    def mapper(self, object_name: str) -> RowMapper:
        mapper = self._mappers.get(object_name)
        if mapper is None:
            mapper = self._mappers[object_name] = RowMapper(self.model(object_name), self.site.tables[object_name])
        return mapper

    def json_schema(self, object_name: str) -> dict:
        """The JSON Schema of ``object_name``'s create/update input."""
        self.model(object_name)
        return self.models().json_schema(object_name)

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def _write(self, actor: Actor, object_name: str | None = None) -> Iterator[WriteContext]:
        with self.site.begin() as connection:  # on SQLite, BEGIN IMMEDIATE: the write lock first
            models = self.models()
            ctx = WriteContext(
                connection=connection,
                actor=actor,
                now=actor.moment(),
                models=models,
                tables=self.site.tables,
                platform=self.site.platform,
                reader=self.reader,
                formulas=self.formulas,
                prefetch=lambda model, record, paths: self._prefetch(connection, model, record, paths),
                zone=self.site.zone,
            )
            try:
                yield ctx
                _keep_shares(self.site, ctx)
                # the access policy keeps what it derives from records (org closures) current, in this transaction
                after_write = getattr(self.reader.access, "after_write", None)
                if after_write is not None and object_name is not None:
                    after_write(connection, object_name)
            except sa.exc.IntegrityError as error:
                raise self._integrity_error(error) from None

    def _integrity_error(self, error: sa.exc.IntegrityError) -> RecordValidationError:
        text = str(error.orig)
        for model in self.models().registry.objects:
            clash = uniqueness.clash_in(self.models().get(model), text)
            if clash is not None:
                return RecordValidationError(clash, object_name=model)
            for name, spec in self.models().get(model).fields.items():
                if getattr(spec.definition, "unique", False) or spec.type == "auto_number":
                    if f"{model}.{name}" in text or f"uq_{model}_{name}" in text:
                        return RecordValidationError([field_error(name, "duplicate_value")], object_name=model)
        return RecordValidationError([field_error(None, "invalid_filter", detail=text.splitlines()[0])])

    # -- formulas: cross-object values, SQL and Python -------------------------------------

    def _prefetch(self, connection: sa.Connection, model: m.ObjectModel, record: Mapping[str, Any], paths) -> dict[str, Any]:
        """Values of cross-object paths such as ``parent.name`` for one record, keyed by dotted path."""
        values: dict[str, Any] = {}
        cache: dict[tuple[str, str], dict | None] = {}
        for path in paths:
            current_model, current = model, record
            for index, part in enumerate(path[:-1]):
                spec = current_model.fields.get(part)
                target_id = current.get(part) if current is not None else None
                if spec is None or spec.kind != m.REFERENCE or not target_id or len(spec.targets) != 1:
                    current = None
                    break
                key = (spec.targets[0], target_id)
                if key not in cache:
                    cache[key] = self.reader.get(connection, SYSTEM, spec.targets[0], target_id, state="any")
                current, current_model = cache[key], self.models().get(spec.targets[0])
            values[".".join(path)] = current.get(path[-1]) if current is not None else None
        return values

    def _formula_sql(self, scope: SelectScope, prefix: tuple[str, ...], object_name: str, field_name: str):
        model = self.models().get(object_name)
        try:
            compiled = self.formulas.field_formula(model, field_name)
        except formula.FormulaError:
            return None

        def columns(path: tuple[str, ...]):
            column = scope.field_column(prefix + tuple(path[:-1]), path[-1])
            if column is None:
                raise KeyError(".".join(path))
            return column

        # A formula over the object's own fields, on its own table (not an alias), compiles to the
        # same expression every time: build it once per metadata version, not once per query.
        reusable = not prefix and not compiled.cross_object and scope.base is self.site.tables.get(object_name)
        if reusable and (object_name, field_name) in self._formula_columns:
            return self._formula_columns[(object_name, field_name)]
        expression = self.formulas.sql(compiled, columns, scope_dialect(self))
        if reusable:
            self._formula_columns[(object_name, field_name)] = expression
        return expression

    def _formula_values(self, connection, actor: Actor, object_name: str, names: list[str], record: dict) -> dict[str, Any]:
        model = self.models().get(object_name)
        return self.formulas.field_values(
            model, names, record, actor, lambda mdl, rec, paths: self._prefetch(connection, mdl, rec, paths)
        )

    # -- the pipeline's pure steps ----------------------------------------------------------

    def _coerce(self, model: m.ObjectModel, data: Any, actor: Actor) -> tuple[dict[str, Any], list[FieldError]]:
        if not isinstance(data, Mapping):
            return {}, [field_error(None, "invalid_type", expected="an object")]
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        inputs = model.inputs
        for key, raw in data.items():
            spec = inputs.get(key)
            if spec is None:
                spec = model.fields.get(key) if isinstance(key, str) else None
                if spec is None:
                    errors.append(field_error(str(key), "unknown_field"))
                    continue
                if not (actor.system and spec.coerce is not None and not spec.system):
                    errors.append(field_error(key, "read_only"))
                    continue
            try:
                values[key] = spec.coerce(raw)
            except Invalid as invalid:
                errors.append(field_error(key, invalid.code, **invalid.params))
                continue
            if key == "owner" and values[key] is None and model.features.owner and not actor.system:
                # a record nobody owns falls out of every owner-based grant; only a platform job may leave it so
                errors.append(field_error(key, "required"))
        return values, errors

    def _defaults(self, ctx: WriteContext, model: m.ObjectModel, record: dict[str, Any], given: Mapping[str, Any]) -> list[FieldError]:
        errors = []
        if "business_type" not in given:
            record["business_type"] = model.default_business_type
        if model.features.owner and "owner" not in given:
            record["owner"] = ctx.actor.user_id
        for name, spec in model.static_defaults:
            if name in given:
                continue
            default = getattr(spec.definition, "default", None)
            try:
                record[name] = spec.coerce(default) if spec.coerce is not None else None
            except Invalid as invalid:  # a default the loader let through but the field refuses
                errors.append(field_error(name, invalid.code, **invalid.params))
        for name in model.formula_defaults:
            if name not in given:
                spec = model.fields[name]
                try:
                    value = ctx.formulas.default_value(model, name, record, ctx.actor, ctx.prefetch)
                    record[name] = spec.coerce(_formula_input(value)) if spec.coerce is not None else value
                except formula.FormulaError as error:
                    errors.append(field_error(name, "formula_failed", detail=str(error).splitlines()[0]))
                except Invalid as invalid:
                    errors.append(field_error(name, invalid.code, **invalid.params))
        return errors

    def _validate(self, ctx: WriteContext, model: m.ObjectModel, record: dict[str, Any], old: dict[str, Any] | None, changed: Iterable[str] = ()) -> list[FieldError]:
        errors = check_business_type(model, record, old, creating=old is None, changed=None if old is None else frozenset(changed))
        if errors:
            return errors
        definition = model.definition
        if not definition.validation_rules and not definition.field_rules:
            return []
        view = _formula_view(model, record)
        prior = _formula_view(model, old) if old is not None else None
        needed = self._formulas_read_by_rules(model)
        if needed:
            view = ctx.formulas.with_formula_fields(model, needed, view, ctx.actor, ctx.prefetch)
        if definition.field_rules:
            errors = ctx.formulas.field_rule_errors(model, view, prior, frozenset(changed), ctx.actor, ctx.prefetch)
        return errors + ctx.formulas.validation_errors(model, view, prior, ctx.actor, ctx.prefetch, None if old is None else frozenset(changed))

    def _stage_errors(self, ctx: WriteContext, model: m.ObjectModel, old: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[FieldError]:
        """The stage gate (key events) for a save by a user; platform jobs set stages freely."""
        if ctx.actor.system or not model.definition.stage_field:
            return []
        return stages.check_change(self.site, model.name, old, values)

    def _keep_win_rate(self, ctx: WriteContext, model: m.ObjectModel, record: dict[str, Any], record_id: str | None) -> list[FieldError]:
        """Set the object's win-rate field to the win rate of the record's stage (None: no stage).

        Completions are kept per stage, so a record back at a stage it left counts those it made
        there; a new record (``record_id`` None) has none.
        """
        name = model.definition.win_rate_field
        stage_field = model.definition.stage_field
        completed: set[str] = set()
        if record_id is not None and stage_field and record.get(stage_field) not in (None, ""):
            completed = stages.completed_events(ctx.connection, ctx.platform[stages.TABLE], model.name, record_id, record[stage_field])
        rate = stages.win_rate_of(model.definition, record, completed)
        spec = model.fields[name]
        try:
            record[name] = spec.coerce(rate) if rate is not None and spec.coerce is not None else rate
        except Invalid as invalid:  # a rate the field's own bounds refuse: the metadata, not the user, is at fault
            return [field_error(name, invalid.code, **invalid.params)]
        return []

    def _formulas_read_by_rules(self, model: m.ObjectModel) -> list[str]:
        """The formula fields validation rules read (computed before the rules run)."""
        if model.name not in self._rule_formulas:
            needed: list[str] = []
            for rule in model.definition.validation_rules:
                try:
                    compiled = self.formulas.compiled(model.name, rule.condition, "validation")
                except formula.FormulaError:
                    continue
                # formula fields reading formula fields come after those they read
                needed += [name for name in self.formulas.formula_inputs(model, compiled)[1] if name not in needed]
            self._rule_formulas[model.name] = needed
        return self._rule_formulas[model.name]

    def _unique_errors(self, ctx: WriteContext, model: m.ObjectModel, records: Sequence[Mapping[str, Any]], own_ids: Sequence[str | None]) -> dict[int, list[FieldError]]:
        found: dict[int, list[FieldError]] = {}
        table = ctx.table(model.name)
        for name, spec in model.fields.items():
            if not getattr(spec.definition, "unique", False) or not spec.stored:
                continue
            values = {record.get(name) for record in records if record.get(name) is not None}
            if not values:
                continue
            taken = {}
            for row in ctx.connection.execute(sa.select(table.c.id, table.c[name]).where(table.c[name].in_(list(values)))):
                taken[row[1]] = row[0]
            seen: dict[Any, int] = {}
            for index, record in enumerate(records):
                value = record.get(name)
                if value is None:
                    continue
                holder = taken.get(value)
                if (holder is not None and holder != own_ids[index]) or value in seen:
                    found.setdefault(index, []).append(field_error(name, "duplicate_value"))
                seen[value] = index
        return found

    # -- create ----------------------------------------------------------------------------

    def create(self, actor: Actor, object_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Create one record through the whole pipeline; returns it as :meth:`get` would.

        The write itself is one statement that checks the references, inserts the row and returns
        it (``INSERT … SELECT … WHERE EXISTS … RETURNING``): a create costs the database no
        separate reference check and, where the returned row is the record the actor reads (see
        :meth:`RecordReader.returned`), no read-back. On PostgreSQL the history row goes in the
        same statement (a data-modifying WITH), so a create is BEGIN, one statement, COMMIT.
        """
        model = self.model(object_name)
        self._authorise(actor, model, "create", values)
        with self._write(actor, model.name) as ctx:
            record = self._prepare(ctx, model, [values], single=True, references=False)[0]
            returned = self.reader.returned(actor, model.name)
            returning = returned[0] if returned is not None else ()
            # SQLite has no INSERT inside WITH; its statements cost no round trip anyway
            logged = history.event_rows(ctx, model, [record["id"]], history.CREATED) if ctx.dialect == "postgresql" else []
            row = self._insert_one(ctx, model, record, returning, logged=logged[0] if logged else None)
            if row is None:  # a reference the INSERT's condition refused: say which, as the check would
                errors = relations.check_references(ctx, model, [record]).get(0)
                if errors:
                    raise RecordValidationError(errors, object_name=model.name)
                # the references changed under us and hold now (just checked): insert unconditionally
                row = self._insert_one(ctx, model, record, returning, logged=logged[0] if logged else None, checked=True)
            self._created(ctx, model, [record], logged=bool(logged))
            if returned is not None:
                return returned[1](ctx.connection, row)
            return self._written(ctx, actor, object_name, record["id"])

    def bulk_create(self, actor: Actor, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Create many records in one transaction: all or none. Returns their ids, in input sequence.

        Raises :class:`BulkRecordError` listing the errors of every failing input row.
        """
        model = self.model(object_name)
        if not rows:
            return []
        self._authorise(actor, model, "create", rows)
        with self._write(actor, model.name) as ctx:
            records = self._prepare(ctx, model, list(rows), single=False)
            ctx.connection.execute(sa.insert(ctx.table(model.name)), [self.mapper(model.name).to_row(record) for record in records])
            self._created(ctx, model, records)
            return [record["id"] for record in records]

    def _prepare(self, ctx: WriteContext, model: m.ObjectModel, inputs: list[Mapping[str, Any]], *, single: bool, references: bool = True) -> list[dict[str, Any]]:
        """The records to insert, every value set (ids and system fields too), or the errors of all
        the inputs raised together. ``references=False`` leaves the reference check to the INSERT
        (see :meth:`_insert_one`), unless another check failed: then it runs, so that every
        problem is reported at once."""
        failures: dict[int, list[FieldError]] = {}
        records: list[dict[str, Any]] = []
        for index, data in enumerate(inputs):
            given, errors = self._coerce(model, data, ctx.actor)
            record: dict[str, Any] = dict(given)
            if not errors:
                errors = self._defaults(ctx, model, record, given)
            if not errors and model.definition.win_rate_field:
                errors = self._keep_win_rate(ctx, model, record, None)
            if not errors:
                errors = self._validate(ctx, model, record, None, record.keys())
            if not errors:
                errors = self._stage_errors(ctx, model, None, record)
            if errors:
                failures[index] = errors
            records.append(record)
        if not failures:
            for index, errors in self._unique_errors(ctx, model, records, [None] * len(records)).items():
                failures.setdefault(index, []).extend(errors)
            for index, errors in uniqueness.group_errors(ctx.connection, ctx.table(model.name), model, records, [None] * len(records)).items():
                failures.setdefault(index, []).extend(errors)
            if references or failures:
                for index, errors in relations.check_references(ctx, model, records).items():
                    failures[index] = errors + failures.get(index, [])
        if failures:
            if single:
                raise RecordValidationError(failures[0], object_name=model.name)
            raise BulkRecordError(failures, object_name=model.name)
        self._check_assignments(ctx, model, records, single=single)

        for rollup in model.rollups:  # no children yet
            zero = Decimal(0) if rollup.function in ("count", "sum") else None
            for record in records:
                record[rollup.api_name] = zero
        auto = [model.fields[name].definition for name in model.auto_numbers]
        if auto:
            auto_numbers.assign(ctx, model.name, auto, records)
        user, now = ctx.actor.user_id, ctx.now
        for record in records:
            record["id"] = new_id()
            record.update(created_by=user, updated_by=user, created_at=now, updated_at=now, version=1, deleted_at=None)
        return records

    def _created(self, ctx: WriteContext, model: m.ObjectModel, records: list[dict[str, Any]], *, logged: bool = False) -> None:
        """What follows the INSERT of new records: their history rows (unless the INSERT wrote
        them: ``logged``) and the parents' roll-ups."""
        ctx.written.setdefault(model.name, set()).update(record["id"] for record in records)
        self.search.write(ctx.connection, model.name, records)
        if not logged:
            history.write(ctx, history.event_rows(ctx, model, (record["id"] for record in records), history.CREATED))
        if model.rollup_sources:
            rollups.refresh(ctx, rollups.parents_of(model, records))

    def _insert_one(
        self,
        ctx: WriteContext,
        model: m.ObjectModel,
        record: dict[str, Any],
        returning: Sequence[sa.ColumnElement],
        *,
        logged: Mapping[str, Any] | None = None,
        checked: bool = False,
    ) -> Sequence[Any] | None:
        """INSERT one record if its references hold (``checked``: already known to), in one
        statement, with its history row ``logged`` if given; the RETURNING row (the id when
        nothing else is asked back: the one answer every driver gives to say a row went in), or
        None when a reference refused it (then nothing is written)."""
        row = self.mapper(model.name).to_row(record)
        references = () if checked else tuple(name for name in self._reference_fields(model) if record.get(name))
        # the entry holds ``returning`` itself, so its id is not reused while the entry lives
        history_keys = tuple(logged) if logged is not None else None
        key = (model.name, tuple(row), references, id(returning), history_keys)
        cached = self._inserts.get(key)
        if cached is not None and cached[0] is returning:
            statement = cached[1]
        else:
            statement, reusable = self._insert_statement(ctx, model, tuple(row), references, returning, history_keys)
            if reusable:
                if len(self._inserts) >= 1000:  # shapes come from the fields callers give
                    self._inserts.clear()
                self._inserts[key] = (returning, statement)
        parameters = {f"_r_{name}": value for name, value in row.items()}
        if logged is not None:
            parameters.update({f"_h_{name}": value for name, value in logged.items()})
        return ctx.connection.execute(statement, parameters).first()

    def _reference_fields(self, model: m.ObjectModel) -> tuple[str, ...]:
        """The references a create checks: all but those the platform fills with the actor
        (``created_by``, ``updated_by``)."""
        found = self._references.get(model.name)
        if found is None:
            found = self._references[model.name] = tuple(
                name for name, spec in model.fields.items() if spec.kind == m.REFERENCE and (spec.writable or not spec.system)
            )
        return found

    def _insert_statement(
        self,
        ctx: WriteContext,
        model: m.ObjectModel,
        columns: tuple[str, ...],
        references: tuple[str, ...],
        returning: Sequence[sa.ColumnElement],
        history_keys: tuple[str, ...] | None,
    ) -> tuple[sa.Executable, bool]:
        """``INSERT INTO t (…) SELECT :values WHERE <each reference names a live record the actor
        may read> RETURNING …``, and whether it can be kept (no actor's predicate inside it).
        With ``history_keys`` (PostgreSQL), ``WITH written AS (that), logged AS (INSERT INTO
        tessera_history … SELECT :values FROM written) SELECT * FROM written``: the history row
        goes in only if the record did.

        Bind names are ``_r_`` + column name (record) and ``_h_`` + column name (history):
        SQLAlchemy's own names start with a letter, so they never collide."""
        table = ctx.table(model.name)
        binds = {name: sa.bindparam(f"_r_{name}", type_=table.c[name].type) for name in columns}
        conditions = []
        reusable = True
        for name in references:
            arms = []
            for target in model.fields[name].targets:
                if target not in ctx.tables:
                    continue
                target_table = ctx.table(target)
                found = sa.select(target_table.c.id).where(target_table.c.id == binds[name], target_table.c.deleted_at.is_(None))
                # a record the actor may not read cannot be linked to: it answers as missing
                access = ctx.reader.access.predicate(ctx.actor, target, target_table, "read")
                if access is not None:
                    found, reusable = found.where(access), False
                arms.append(found.correlate(None).exists())
            conditions.append(sa.or_(*arms) if arms else sa.false())
        values = sa.select(*(binds[name] for name in columns)).where(*conditions)
        statement = sa.insert(table).from_select(list(columns), values)
        statement = statement.returning(*(returning or [table.c.id]))
        if history_keys is None:
            return statement, reusable
        written = statement.cte("written")
        log = ctx.platform.history
        values = sa.select(*(sa.bindparam(f"_h_{name}", type_=log.c[name].type) for name in history_keys)).select_from(written)
        logged = sa.insert(log).from_select(list(history_keys), values).cte("logged")
        return sa.select(written).add_cte(logged), reusable

    # -- read ------------------------------------------------------------------------------

    def get(
        self,
        actor: Actor,
        object_name: str,
        record_id: str,
        *,
        fields: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        connection: sa.Connection | None = None,
    ) -> dict[str, Any]:
        """One live record by id; RecordNotFoundError if there is none the actor may read.

        ``connection``: read through a connection the caller holds (several reads, one checkout)."""
        model = self.model(object_name)
        self._authorise(actor, model, "read")
        with nullcontext(connection) if connection is not None else self.site.engine.connect() as conn:
            record = self.reader.get(conn, actor, object_name, record_id, fields=fields, expand=expand)
        if record is None:
            raise self._not_found(model, record_id)
        return record

    def find(self, actor: Actor, object_name: str, **query: Any) -> Page:
        """A page of records: ``filter``, ``sort``, ``fields``, ``expand``, ``limit``, ``cursor``, ``state``
        (see :meth:`runtime.query.reader.RecordReader.find`)."""
        self._authorise(actor, self.model(object_name), "read")
        with self.site.engine.connect() as connection:
            return self.reader.find(connection, actor, object_name, **query)

    def count(self, actor: Actor, object_name: str, **query: Any) -> Count:
        """How many records match ``filter``, up to ``cap`` (see :meth:`RecordReader.count`)."""
        self._authorise(actor, self.model(object_name), "read")
        with self.site.engine.connect() as connection:
            return self.reader.count(connection, actor, object_name, **query)

    def aggregate(self, actor: Actor, object_name: str, spec: Any, *, fiscal_year_start: int = 1) -> Aggregate:
        """Groups and totals over the records the actor may read (see :mod:`runtime.query.aggregate`)."""
        self._authorise(actor, self.model(object_name), "read")
        aggregator = Aggregator(self.reader, fiscal_year_start=fiscal_year_start)
        query = aggregator.parse(actor, object_name, spec)
        with self.site.engine.connect() as connection:
            return aggregator.run(connection, actor, query)

    def search_records(self, actor: Actor, text: str, objects: Sequence[str] | None = None, *, limit: int = 5) -> list:
        """Search hits (:class:`runtime.search.SearchHit`) in the objects the actor may read, ranked
        within each object; ``objects`` narrows (and orders) the objects searched."""
        access = self.reader.access
        names = list(objects) if objects is not None else sorted(self.search.specs)
        readable = [name for name in names if name in self.search.specs and (actor.system or access.allows(actor, name, "read"))]
        with self.site.engine.connect() as connection:
            return self.search.search(connection, self.reader, actor, text, readable, limit=limit)

    def history(self, actor: Actor, object_name: str, record_id: str) -> list[dict[str, Any]]:
        """The field history of a record the actor may read, oldest first."""
        self.get(actor, object_name, record_id, fields=["id"])
        with self.site.engine.connect() as connection:
            rows = history.read(connection, self.site.platform.history, object_name, record_id)
        # the history of a field the actor may not read would show its values
        readable = None if actor.system else self.reader.access.readable_fields(actor, object_name)
        return rows if readable is None else [row for row in rows if row["field"].startswith("_") or row["field"] in readable]

    _ACTION_ZH = {"create": "新建", "read": "查看", "edit": "编辑", "delete": "删除"}

    def _authorise(self, actor: Actor, model: m.ObjectModel, action: str, values: Any = None) -> None:
        """Refuse (RecordPermissionError) what the actor's profile does not allow: the object-level
        action, and on writes any given field the actor may not edit (no mass assignment)."""
        if actor.system:
            return
        access = self.reader.access
        if not access.allows(actor, model.name, action):  # type: ignore[arg-type]
            raise RecordPermissionError(
                [field_error(None, "object_forbidden", action=action, action_zh=self._ACTION_ZH[action], object=model.definition.label)],
                object_name=model.name,
            )
        if values is None:
            return
        editable = access.editable_fields(actor, model.name)
        if editable is None:
            return
        rows = values if isinstance(values, Sequence) and not isinstance(values, (str, bytes, Mapping)) else [values]
        refused = sorted({key for row in rows if isinstance(row, Mapping) for key in row if key in model.fields and key not in editable})
        if refused:
            raise RecordPermissionError([field_error(name, "field_forbidden") for name in refused], object_name=model.name)

    def _check_assignments(self, ctx: WriteContext, model: m.ObjectModel, records: Sequence[Mapping[str, Any]], *, single: bool) -> None:
        """Refuse an owner (or master) outside the actor's scope: a partner may not hand records
        to an administrator. The policy asks nothing when the owner is the actor."""
        refused_assignments = getattr(self.reader.access, "refused_assignments", None)
        if refused_assignments is None or ctx.actor.system:
            return
        refused = refused_assignments(ctx.connection, ctx.actor, model.name, records)
        if not refused:
            return
        if single:
            raise RecordPermissionError([field_error(name, "field_forbidden") for name in refused[0]], object_name=model.name)
        raise BulkRecordError({index: [field_error(name, "field_forbidden") for name in names] for index, names in refused.items()}, object_name=model.name)

    def _written(self, ctx: WriteContext, actor: Actor, object_name: str, record_id: str) -> dict[str, Any]:
        """The record written, as the actor now sees it; only its id and version when the write took
        it out of the actor's reach (given to another owner), so the caller still learns its id."""
        record = self.reader.get(ctx.connection, actor, object_name, record_id)
        if record is None:
            table = ctx.table(object_name)
            version = ctx.connection.execute(sa.select(table.c.version).where(table.c.id == record_id)).scalar()
            record = {"id": record_id, "version": version}
        return record

    def _not_found(self, model: m.ObjectModel, record_id: Any) -> RecordNotFoundError:
        return RecordNotFoundError([field_error(None, "not_found", object=model.definition.label, value=record_id)], object_name=model.name)

    def _load(self, ctx: WriteContext, model: m.ObjectModel, record_id: Any, operation: str, *, state: str = "live") -> dict[str, Any]:
        """The stored record, locked for the rest of the transaction (through the base SELECT)."""
        if not is_record_id(record_id):
            raise self._not_found(model, record_id)
        scope, where = self.reader.scope(ctx.actor, model.name, operation, state=state)  # type: ignore[arg-type]
        mapper = self.mapper(model.name)
        statement = sa.select(*mapper.columns).select_from(scope.from_clause()).where(*where, scope.base.c.id == record_id)
        row = ctx.connection.execute(ctx.lock(statement)).first()
        if row is None:
            raise self._not_found(model, record_id)
        return mapper.from_row(row._mapping)

    # -- update ----------------------------------------------------------------------------

    def update(
        self,
        actor: Actor,
        object_name: str,
        record_id: str,
        values: Mapping[str, Any],
        *,
        version: int | None = None,
        platform_writes: Callable[[sa.Connection, Mapping[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Change fields of a record. With ``version``, refuse (RecordConflictError) if it is not current.

        ``platform_writes(connection, stored)``: writes to platform tables that belong to this change
        (a key event completed), run in its transaction once the record is locked and before the
        values the platform keeps are worked out again; it may raise a RecordError to refuse.
        """
        model = self.model(object_name)
        self._authorise(actor, model, "edit", values)
        # A change of owner is a transfer: the record must be one the actor may transfer.
        operation = "transfer" if isinstance(values, Mapping) and "owner" in values else "edit"
        # Without a version from the caller, the change is meant for the record as it stood when
        # the request began: one committed while this request waited for the write lock is a
        # conflict, not something to overwrite without a word.
        started = version if version is not None else self._version_now(model, record_id)
        with self._write(actor, model.name) as ctx:
            old = self._load(ctx, model, record_id, operation)
            self._check_version(model, old, started)
            given, errors = self._coerce(model, values, actor)
            if errors:
                raise RecordValidationError(errors, object_name=model.name)
            if platform_writes is not None:
                platform_writes(ctx.connection, old)
            old_internal = {name: internal_value(model.fields[name], value) for name, value in old.items() if name in model.fields}
            changes = {name: value for name, value in given.items() if old_internal.get(name) != value}
            merged = {**old_internal, **given}
            win_rate_field = model.definition.win_rate_field
            if win_rate_field and (platform_writes is not None or model.definition.stage_field in changes or "business_type" in changes):
                errors = self._keep_win_rate(ctx, model, merged, record_id)
                if errors:
                    raise RecordValidationError(errors, object_name=model.name)
                if merged[win_rate_field] != old_internal.get(win_rate_field):
                    changes[win_rate_field] = merged[win_rate_field]
                else:
                    changes.pop(win_rate_field, None)
            errors = self._validate(ctx, model, merged, old_internal, changes.keys())
            if not errors:
                errors = self._stage_errors(ctx, model, old, changes)
            if not errors:
                errors = relations.check_references(ctx, model, [merged], changes).get(0, [])
                errors += self._unique_errors(ctx, model, [changes], [record_id]).get(0, [])
                errors += uniqueness.group_errors(ctx.connection, ctx.table(model.name), model, [merged], [record_id], changes).get(0, [])
            if errors:
                raise RecordValidationError(errors, object_name=model.name)
            self._check_assignments(ctx, model, [changes], single=True)
            if changes:
                table = ctx.table(model.name)
                row = self.mapper(model.name).to_row(changes)
                row.update(version=old["version"] + 1, updated_by=actor.user_id, updated_at=ctx.now)
                expected = started if started is not None else old["version"]
                result = ctx.connection.execute(
                    sa.update(table).where(table.c.id == record_id, table.c.version == expected).values(row)
                )
                if result.rowcount != 1:
                    raise self._conflict(model, old["version"], expected)
                ctx.written.setdefault(model.name, set()).add(record_id)
                history.write(ctx, history.change_rows(ctx, model, record_id, old_internal, changes))
                if self.search.touches(model.name, changes):
                    self.search.write(ctx.connection, model.name, [{**merged, "id": record_id}])
                if model.rollup_sources and rollups.relevant_change(model, changes, self._rollup_reads(model)):
                    parents = rollups.parents_of(model, [old_internal, merged])
                    rollups.refresh(ctx, parents)
            return self._written(ctx, actor, object_name, record_id)

    def _rollup_reads(self, model: m.ObjectModel) -> dict[str, frozenset[str] | None]:
        """Per roll-up over ``model``: the fields whose change can change it (see rollups.relevant_change)."""
        found = self._rollup_inputs.get(model.name)
        if found is None:
            found = self._rollup_inputs[model.name] = {
                f"{source.parent}.{source.rollup.api_name}": rollups.rollup_reads(self.formulas, model, source.rollup)
                for source in model.rollup_sources
            }
        return found

    def _version_now(self, model: m.ObjectModel, record_id: Any) -> int | None:
        """The record's current version, read outside any write (None if there is no such row)."""
        if not is_record_id(record_id):
            return None
        table = self.site.tables[model.name]
        with self.site.engine.connect() as connection:
            return connection.execute(sa.select(table.c.version).where(table.c.id == record_id)).scalar()

    def _check_version(self, model: m.ObjectModel, old: Mapping[str, Any], version: int | None) -> None:
        if version is not None and old["version"] != version:
            raise self._conflict(model, old["version"], version)

    def _conflict(self, model: m.ObjectModel, actual: int, expected: Any) -> RecordConflictError:
        return RecordConflictError([field_error(None, "version_conflict", actual=actual, expected=expected)], object_name=model.name)

    # -- delete, restore, purge ------------------------------------------------------------

    def delete(self, actor: Actor, object_name: str, record_id: str, *, version: int | None = None) -> None:
        """Move a record and its master-detail children to the recycle bin (purge without one).

        Refused with DeleteRestrictedError, naming the blocking records, when live records refer
        to it (or to a child going with it) through a ``restrict`` reference.
        """
        model = self.model(object_name)
        self._authorise(actor, model, "delete")
        with self._write(actor, model.name) as ctx:
            old = self._load(ctx, model, record_id, "delete")
            self._check_version(model, old, version)
            if not model.features.recycle_bin:
                self._purge(ctx, model, [record_id], live=[old])
                return
            doomed = {model.name: [record_id], **relations.descendants(ctx, model, [record_id], state="live")}
            errors = relations.restrict_errors(ctx, doomed)
            if errors:
                raise DeleteRestrictedError(errors, object_name=model.name)
            self._set_deleted(ctx, doomed, deleted_at=ctx.now, when=None)
            history.write(ctx, history.event_rows(ctx, model, [record_id], history.DELETED))

    def restore(self, actor: Actor, object_name: str, record_id: str) -> dict[str, Any]:
        """Bring a record back from the recycle bin, with the children deleted together with it."""
        model = self.model(object_name)
        self._authorise(actor, model, "delete")
        if not model.features.recycle_bin:
            raise RecordValidationError([field_error(None, "no_recycle_bin", object=model.definition.label)], object_name=model.name)
        with self._write(actor, model.name) as ctx:
            try:
                old = self._load(ctx, model, record_id, "edit", state="deleted")
            except RecordNotFoundError:
                if isinstance(record_id, str) and self.reader.get(ctx.connection, actor, object_name, record_id, fields=["id"]) is not None:
                    raise RecordValidationError([field_error(None, "not_in_recycle_bin")], object_name=model.name) from None
                raise
            for name, spec in model.fields.items():
                if spec.type == "master_detail" and old.get(name):
                    parent = ctx.table(spec.targets[0])
                    deleted = ctx.connection.execute(sa.select(parent.c.deleted_at).where(parent.c.id == old[name])).scalar()
                    if deleted is not None:
                        raise RecordValidationError(
                            [field_error(name, "parent_deleted", target=self.model(spec.targets[0]).definition.label, value=old[name])],
                            object_name=model.name,
                        )
            when = old["deleted_at"]
            restored = {model.name: [record_id], **relations.descendants(ctx, model, [record_id], state=when)}
            self._set_deleted(ctx, restored, deleted_at=None, when=when)
            history.write(ctx, history.event_rows(ctx, model, [record_id], history.RESTORED))
            return self._written(ctx, actor, object_name, record_id)

    def purge(self, actor: Actor, object_name: str, record_id: str) -> None:
        """Delete a record in the recycle bin for good, with its children; references to it are cleared."""
        model = self.model(object_name)
        self._authorise(actor, model, "delete")
        with self._write(actor, model.name) as ctx:
            self._load(ctx, model, record_id, "delete", state="deleted")
            self._purge(ctx, model, [record_id], live=[])

    def _set_deleted(self, ctx: WriteContext, records: Mapping[str, Sequence[str]], *, deleted_at, when) -> None:
        touched: dict[str, set[str]] = {}
        for object_name, ids in records.items():
            table = ctx.table(object_name)
            condition = table.c.deleted_at.is_(None) if when is None else table.c.deleted_at == when
            ctx.connection.execute(
                sa.update(table)
                .where(table.c.id.in_(list(ids)), condition)
                .values(deleted_at=deleted_at, version=table.c.version + 1, updated_by=ctx.actor.user_id, updated_at=ctx.now)
            )
            model = ctx.models.get(object_name)
            if model.rollup_sources:
                rows = self._relation_values(ctx, model, ids)
                for parent, parent_ids in rollups.parents_of(model, rows).items():
                    touched.setdefault(parent, set()).update(parent_ids)
        rollups.refresh(ctx, touched)

    def _relation_values(self, ctx: WriteContext, model: m.ObjectModel, ids: Sequence[str]) -> list[dict[str, Any]]:
        table = ctx.table(model.name)
        fields = {source.rollup.relation_field for source in model.rollup_sources}
        statement = sa.select(*(table.c[name] for name in sorted(fields))).where(table.c.id.in_(list(ids)))
        return [dict(row._mapping) for row in ctx.connection.execute(statement)]

    def _purge(self, ctx: WriteContext, model: m.ObjectModel, ids: list[str], *, live: list[dict[str, Any]]) -> None:
        doomed = {model.name: ids, **relations.descendants(ctx, model, ids, state="any")}
        errors = relations.restrict_errors(ctx, doomed)
        if errors:
            raise DeleteRestrictedError(errors, object_name=model.name)
        touched: dict[str, set[str]] = {}
        for object_name, object_ids in doomed.items():
            child_model = ctx.models.get(object_name)
            if child_model.rollup_sources:
                for parent, parent_ids in rollups.parents_of(child_model, self._relation_values(ctx, child_model, object_ids)).items():
                    touched.setdefault(parent, set()).update(parent_ids)
        relations.clear_references(ctx, doomed)
        # children before parents, so foreign keys never see an orphan
        for object_name in reversed(list(doomed)):
            table = ctx.table(object_name)
            ctx.connection.execute(sa.delete(table).where(table.c.id.in_(list(doomed[object_name]))))
            self.search.remove(ctx.connection, object_name, list(doomed[object_name]))
            ctx.connection.execute(
                sa.delete(ctx.platform.history).where(
                    ctx.platform.history.c.object == object_name, ctx.platform.history.c.record_id.in_(list(doomed[object_name]))
                )
            )
        for object_name, object_ids in doomed.items():
            if object_name in touched:
                touched[object_name] -= set(object_ids)
        rollups.refresh(ctx, touched)


def _keep_shares(site, ctx: WriteContext) -> None:
    """Sharing-rule membership and inherited teams follow the records written, in this transaction."""
    if site.registry.security is None:
        return
    from runtime.security import shares  # the security layer reads records: imported when used

    shares.after_write(ctx.connection, site, ctx.models, ctx.formulas, ctx.written)


def scope_dialect(service: RecordService) -> str:
    return service.site.engine.dialect.name


def _formula_input(value: Any) -> Any:
    """A formula's canonical value as a coercer takes it (multi-picklists come back as tuples)."""
    return list(value) if isinstance(value, tuple) else value


def _formula_view(model: m.ObjectModel, record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as formulas read it: multi-value fields as tuples, geolocations left out."""
    inputs = model.formula_inputs
    return {name: tuple(value) if isinstance(value, list) else value for name, value in record.items() if name in inputs}
