"""Precomputed shares: the records each criteria-based sharing rule shares, and inherited teams.

Two membership tables, so the record predicate reaches these records through an index like
every other grant, never by evaluating a criterion or following a reference at query time:

* ``tessera_rule_share`` (rule, record): the records a ``criteria`` or ``filter`` sharing rule
  matches. The criterion is compiled to SQL once and run over the records a write touched;
* ``tessera_team_share`` (child object, field, record, user, access): the team a child record
  inherits from its parent through ``field`` (``teams.yaml``), copied from the parent's team.

They are kept current in the transaction of every change (:func:`after_write`, called by the
record pipeline with the ids whose values it wrote; :func:`team_changed`, called when a parent's
team changes), and recomputed as a whole (:func:`refresh`, writing only what differs) when the
security or object metadata changes. A rule whose criterion reads more than the record's own
stored fields (other records through a reference, a roll-up kept from children) is *wide*: it
is recomputed on every write, since any write may change what it matches. A ``filter`` with a
relative date (``this_month``) matches different records from one day to the next: it is the
one kind of rule not precomputed, and is compiled onto the row at query time instead.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

import formula
from runtime.errors import QueryError
from runtime.query import filters as f
from runtime.query.compiler import SelectScope, compile_filter
from runtime.records import model as m
from runtime.records.formulas import FormulaSupport
from runtime.security import tables as t

__all__ = ["after_write", "criteria_condition", "is_precomputed", "refresh", "team_changed"]

_CHUNK = 500
#: two days a relative date resolves differently on: a filter that compiles alike on both has none
_PROBE_DAYS = (dt.date(2001, 1, 1), dt.date(2001, 2, 2))


def criteria_condition(
    models: m.ObjectModels, formulas: FormulaSupport, tables: Mapping[str, sa.Table], rule, table: sa.FromClause, dialect: str, *, today: dt.date, zone: dt.tzinfo = dt.timezone.utc
) -> sa.ColumnElement[bool]:
    """A criteria-based rule's condition over ``table`` (a sub-select with joins when it follows
    references); ``sa.false()`` when the SQL backend cannot express it (the rule fails closed)."""
    try:
        direct = SelectScope(models, tables, rule.object, table)
        condition = _condition(models, formulas, rule, direct, dialect, today, zone)
        if direct.from_clause() is table:  # no joins were needed
            return condition
        alias = tables[rule.object].alias()
        joined = SelectScope(models, tables, rule.object, alias)
        inner = _condition(models, formulas, rule, joined, dialect, today, zone)
        return table.c.id.in_(sa.select(alias.c.id).select_from(joined.from_clause()).where(inner))
    except (formula.FormulaError, QueryError, KeyError):
        return sa.false()


def _condition(models, formulas: FormulaSupport, rule, scope: SelectScope, dialect: str, today: dt.date, zone) -> sa.ColumnElement[bool]:
    if rule.criteria is not None:
        compiled = formulas.compiled(rule.object, rule.criteria, "rule")

        def columns(path: tuple[str, ...]):
            column = scope.field_column(tuple(path[:-1]), path[-1])
            if column is None:
                raise KeyError(".".join(path))
            return column

        condition = formulas.sql(compiled, columns, dialect)
        return sa.false() if condition is None else condition
    typed = f.parse_filter(models, rule.object, rule.filter, today=today, zone=zone)
    condition = compile_filter(scope, typed, dialect)
    return sa.true() if condition is None else condition


def is_precomputed(models: m.ObjectModels, rule) -> bool:
    """Whether a sharing rule's records are kept in ``tessera_rule_share`` (criteria-based, and
    not a filter with a relative date)."""
    if rule.owners is not None:
        return False
    if rule.filter is None:
        return True
    try:
        parsed = [f.parse_filter(models, rule.object, rule.filter, today=day, zone=dt.timezone.utc) for day in _PROBE_DAYS]
    except (QueryError, KeyError):
        return True  # shares nothing either way
    return parsed[0] == parsed[1]


def _is_wide(models: m.ObjectModels, formulas: FormulaSupport, tables: Mapping[str, sa.Table], rule, dialect: str) -> bool:
    """Whether what the rule matches can change without a write to the record itself."""
    table = tables[rule.object]
    model = models.get(rule.object)
    if rule.criteria is not None:
        try:
            stored, _ = formulas.formula_inputs(model, formulas.compiled(rule.object, rule.criteria, "rule"))
        except formula.FormulaError:
            return False  # shares nothing
        return stored is None or any(model.fields[name].type == "rollup" for name in stored if name in model.fields)
    condition = criteria_condition(models, formulas, tables, rule, table, dialect, today=dt.date.today())
    for element in sa.sql.visitors.iterate(condition):
        if isinstance(element, sa.Column):
            if element.table is not table:
                return True
            spec = model.fields.get(element.name)
            if spec is not None and spec.type == "rollup":
                return True
    return False


# --- writing the differences --------------------------------------------------------------


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rule_ids(connection: sa.Connection, statement: sa.Select, ids: list[str] | None, column: sa.ColumnElement) -> set[str]:
    if ids is None:
        return {row[0] for row in connection.execute(statement)}
    found: set[str] = set()
    for chunk in _chunks(ids):
        found |= {row[0] for row in connection.execute(statement.where(column.in_(chunk)))}
    return found


def _sync_rule(connection: sa.Connection, site, models, formulas, name: str, rule, ids: Collection[str] | None) -> int:
    """Make the rule's membership rows right for ``ids`` (None: every record); returns rows written."""
    table = site.tables[rule.object]
    share = site.platform[t.RULE_SHARE]
    condition = criteria_condition(models, formulas, site.tables, rule, table, connection.dialect.name, today=dt.date.today())
    listed = None if ids is None else sorted(ids)
    wanted = _rule_ids(connection, sa.select(table.c.id).where(condition), listed, table.c.id)
    current = _rule_ids(connection, sa.select(share.c.record_id).where(share.c.rule == name), listed, share.c.record_id)
    stale, fresh = sorted(current - wanted), sorted(wanted - current)
    for chunk in _chunks(stale):
        connection.execute(sa.delete(share).where(share.c.rule == name, share.c.record_id.in_(chunk)))
    for chunk in _chunks(fresh, 1000):
        connection.execute(sa.insert(share), [{"rule": name, "record_id": record_id} for record_id in chunk])
    return len(stale) + len(fresh)


def _sync_team(connection: sa.Connection, site, child: str, field: str, parent: str, *, ids: Collection[str] | None = None, parents: Collection[str] | None = None) -> int:
    """Make the inherited team rows of ``child`` records (``ids``, the children of ``parents``,
    or every record) match their parents' teams; returns rows written."""
    records = site.tables[child]
    team = site.platform[t.RECORD_TEAM]
    share = site.platform[t.TEAM_SHARE]
    wanted_query = sa.select(records.c.id, team.c.user_id, team.c.access).select_from(
        records.join(team, sa.and_(team.c.object == parent, team.c.record_id == records.c[field]))
    )
    current_query = sa.select(share.c.record_id, share.c.user_id, share.c.access).where(share.c.object == child, share.c.field == field)
    if parents is not None:
        # children of these parents, and the rows they hold now (a child that left is its own write)
        ids = [row[0] for chunk in _chunks(sorted(parents)) for row in connection.execute(sa.select(records.c.id).where(records.c[field].in_(chunk)))]
    wanted: dict[tuple[str, str], str] = {}
    current: dict[tuple[str, str], str] = {}
    if ids is None:
        wanted = {(row[0], row[1]): row[2] for row in connection.execute(wanted_query)}
        current = {(row[0], row[1]): row[2] for row in connection.execute(current_query)}
    else:
        for chunk in _chunks(sorted(ids)):
            wanted.update({(row[0], row[1]): row[2] for row in connection.execute(wanted_query.where(records.c.id.in_(chunk)))})
            current.update({(row[0], row[1]): row[2] for row in connection.execute(current_query.where(share.c.record_id.in_(chunk)))})
    stale = [key for key, access in current.items() if wanted.get(key) != access]
    fresh = [key for key, access in wanted.items() if current.get(key) != access]
    for chunk in _chunks(stale):
        connection.execute(
            sa.delete(share).where(share.c.object == child, share.c.field == field, sa.tuple_(share.c.record_id, share.c.user_id).in_(chunk))
        )
    for chunk in _chunks(fresh, 1000):
        connection.execute(
            sa.insert(share),
            [{"object": child, "field": field, "record_id": record_id, "user_id": user_id, "access": wanted[(record_id, user_id)]} for record_id, user_id in chunk],
        )
    return len(stale) + len(fresh)


# --- upkeep -----------------------------------------------------------------------------------


@dataclass
class _Upkeep:
    """What a write must recompute, worked out once per metadata version (and dialect)."""

    tables: Mapping[str, sa.Table]
    #: object → (its narrow rules, one SELECT of id and a 0/1 column per rule for ``:ids``)
    narrow: dict[str, tuple[list[str], sa.Select]]
    wide: list[str]


#: per FormulaSupport (one per metadata version of a record service): the upkeep worked out for it
_UPKEEP: weakref.WeakKeyDictionary[FormulaSupport, dict[str, _Upkeep]] = weakref.WeakKeyDictionary()


def _upkeep(site, models: m.ObjectModels, formulas: FormulaSupport, dialect: str) -> _Upkeep:
    found = _UPKEEP.setdefault(formulas, {}).get(dialect)
    if found is not None and found.tables is site.tables:
        return found
    narrow: dict[str, list[tuple[str, sa.ColumnElement[bool]]]] = {}
    wide = []
    for name, rule in site.registry.security.sharing_rules.items():
        if not is_precomputed(models, rule):
            continue
        if _is_wide(models, formulas, site.tables, rule, dialect):
            wide.append(name)
            continue
        table = site.tables[rule.object]
        condition = criteria_condition(models, formulas, site.tables, rule, table, dialect, today=dt.date.today())
        narrow.setdefault(rule.object, []).append((name, condition))
    statements = {}
    for object_name, rules in narrow.items():
        table = site.tables[object_name]
        flags = [sa.case((condition, 1), else_=0) for _, condition in rules]
        # one statement, cached by SQLAlchemy: the ids are an expanding parameter
        statements[object_name] = ([name for name, _ in rules], sa.select(table.c.id, *flags).where(table.c.id.in_(sa.bindparam("ids", expanding=True))))
    found = _Upkeep(site.tables, statements, wide)
    _UPKEEP[formulas][dialect] = found
    return found


def _sync_narrow(connection: sa.Connection, site, names: list[str], statement: sa.Select, ids: Collection[str]) -> int:
    """The narrow rules of one object, for the records ``ids``: two reads, then the differences."""
    share = site.platform[t.RULE_SHARE]
    current_query = sa.select(share.c.rule, share.c.record_id).where(
        share.c.rule.in_(names), share.c.record_id.in_(sa.bindparam("ids", expanding=True))
    )
    wanted: set[tuple[str, str]] = set()
    current: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(ids)):
        for row in connection.execute(statement, {"ids": chunk}):
            wanted |= {(name, row[0]) for name, flag in zip(names, row[1:]) if flag}
        current |= {(row[0], row[1]) for row in connection.execute(current_query, {"ids": chunk})}
    stale, fresh = sorted(current - wanted), sorted(wanted - current)
    for chunk in _chunks(stale):
        connection.execute(sa.delete(share).where(sa.tuple_(share.c.rule, share.c.record_id).in_(chunk)))
    for chunk in _chunks(fresh, 1000):
        connection.execute(sa.insert(share), [{"rule": name, "record_id": record_id} for name, record_id in chunk])
    return len(stale) + len(fresh)


def after_write(connection: sa.Connection, site, models: m.ObjectModels, formulas: FormulaSupport, written: Mapping[str, Collection[str]]) -> int:
    """Bring the shares up to date with one write transaction (``written``: object → ids whose
    values it wrote); returns how many rows changed. Wide rules are recomputed on every write."""
    security = site.registry.security
    if security is None:
        return 0
    changed = 0
    upkeep = _upkeep(site, models, formulas, connection.dialect.name)
    for name in upkeep.wide:
        changed += _sync_rule(connection, site, models, formulas, name, security.sharing_rules[name], None)
    for object_name, (names, statement) in upkeep.narrow.items():
        if written.get(object_name):
            changed += _sync_narrow(connection, site, names, statement, written[object_name])
    for child, ids in written.items():
        if not ids:
            continue
        for parent, field in security.team_parents(child):
            changed += _sync_team(connection, site, child, field, parent, ids=ids)
    return changed


def team_changed(connection: sa.Connection, site, object_name: str, record_ids: Collection[str]) -> int:
    """Copy a change of these records' teams to the children that inherit them."""
    security = site.registry.security
    if security is None:
        return 0
    changed = 0
    for child in site.registry.objects:
        for parent, field in security.team_parents(child):
            if parent == object_name:
                changed += _sync_team(connection, site, child, field, parent, parents=record_ids)
    return changed


def refresh(connection: sa.Connection, site) -> int:
    """Recompute every share from the records (metadata changed, or rows were loaded around the
    record pipeline), writing only the rows that differ; returns how many."""
    security = site.registry.security
    share = site.platform[t.RULE_SHARE]
    models, formulas = m.ObjectModels(site.registry), FormulaSupport(site.registry)
    kept = [name for name, rule in (security.sharing_rules.items() if security else ()) if is_precomputed(models, rule)]
    gone = sa.delete(share).where(share.c.rule.not_in(kept)) if kept else sa.delete(share)
    changed = connection.execute(gone).rowcount or 0
    for name in kept:
        changed += _sync_rule(connection, site, models, formulas, name, security.sharing_rules[name], None)
    pairs = {(child, field, parent) for child in site.registry.objects for parent, field in (security.team_parents(child) if security else ())}
    team_share = site.platform[t.TEAM_SHARE]
    known = [sa.and_(team_share.c.object == child, team_share.c.field == field) for child, field, _ in pairs]
    changed += connection.execute(sa.delete(team_share).where(sa.not_(sa.or_(*known))) if known else sa.delete(team_share)).rowcount or 0
    for child, field, parent in sorted(pairs):
        changed += _sync_team(connection, site, child, field, parent)
    return changed
