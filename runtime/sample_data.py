"""Sample data from YAML files: records with symbolic references, loaded through the pipeline.

A data directory holds ``demo.yaml`` (the manifest: the demo password and the files, in
sequence) and data files. Each data file is a list of sections::

    - object: department          # any installed object
      match: [code]               # fields that find the record again on a later load
      records:
        - key: hq                 # a symbolic name other records refer to as "@hq"
          values: {name: Head Office, code: HQ, parent: "@group"}
        - key: rep_li             # on the user object: sign-in, roles and profiles too
          values: {username: li, name: Li Na}
          login: {en: Sales rep, zh: 销售代表}
          roles: [standard_user]
          profiles: [sales_rep]
          assistant_to: "@manager"

Values are field values as the API takes them, except: a text starting with ``@`` is the id of
the record with that key (``@@`` for a literal ``@``), and ``{days_from_today: N}`` is a date N
days from today, so the data stays current (a close date is never in the past).

Records are created as the platform (SYSTEM actor) in dependency sequence: a record waits until
the records it refers to exist; where references form a cycle (a department's head works in that
department), the record is created without the references still missing and they are filled in
once their targets exist. A record whose ``match`` fields find an existing record is not created
again (not even one in the recycle bin), so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import metadata
from runtime.errors import DataError, RecordError
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService

__all__ = ["DEMO_PACKAGE", "Login", "SampleDataError", "SampleSummary", "load_sample_data"]

#: the demo organisation and CRM data shipped with the standard package
DEMO_PACKAGE = Path(metadata.__file__).parent / "demo"
MANIFEST = "demo.yaml"
USER_OBJECT = "user"


class SampleDataError(DataError):
    """A data file is malformed, refers to an unknown key, or a record was refused (named)."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    description: dict[str, str]


@dataclass
class SampleSummary:
    """What a load did."""

    created: int = 0
    existing: int = 0
    logins: list[Login] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self, language: str = "en") -> str:
        lines = [f"sample data: {self.created} records created, {self.existing} already there"]
        if self.logins:
            lines.append("demo logins:")
            width = max(len(login.username) for login in self.logins)
            for login in self.logins:
                text = login.description.get(language) or login.description.get("en", "")
                lines.append(f"  {login.username:<{width}}  {login.password}  {text}")
        lines.extend(self.notes)
        return "\n".join(lines)


@dataclass
class _Entry:
    object_name: str
    key: str | None
    values: dict[str, Any]
    match: list[str]
    source: str
    extra: dict[str, Any]
    record_id: str | None = None
    created: bool = False
    deferred: dict[str, str] = field(default_factory=dict)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SampleDataError(f"{path}: {error}") from None


def _entries(directory: Path) -> tuple[list[_Entry], str]:
    manifest = _read_yaml(directory / MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise SampleDataError(f"{directory / MANIFEST}: expected 'password' and a list of 'files'")
    password = str(manifest.get("password", ""))
    entries: list[_Entry] = []
    for name in manifest["files"]:
        path = directory / name
        sections = _read_yaml(path)
        if not isinstance(sections, list):
            raise SampleDataError(f"{path}: expected a list of sections (object, match, records)")
        for section in sections:
            if not isinstance(section, dict) or "object" not in section or not isinstance(section.get("records"), list):
                raise SampleDataError(f"{path}: every section needs 'object' and 'records'")
            match = list(section.get("match") or [])
            for index, item in enumerate(section["records"]):
                if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
                    raise SampleDataError(f"{path}: {section['object']} record #{index + 1} needs 'values'")
                extra = {k: v for k, v in item.items() if k not in ("key", "values")}
                entries.append(_Entry(section["object"], item.get("key"), dict(item["values"]), match, f"{path.name}: {section['object']} {item.get('key') or '#' + str(index + 1)}", extra))
    return entries, password


def _references(value: Any) -> list[str]:
    if isinstance(value, str) and value.startswith("@") and not value.startswith("@@"):
        return [value[1:]]
    if isinstance(value, list):
        return [key for item in value for key in _references(item)]
    return []


def _resolve(value: Any, ids: Mapping[str, str], today: dt.date) -> Any:
    if isinstance(value, str) and value.startswith("@@"):
        return value[1:]
    if isinstance(value, str) and value.startswith("@"):
        return ids[value[1:]]
    if isinstance(value, dict) and set(value) == {"days_from_today"}:
        return (today + dt.timedelta(days=int(value["days_from_today"]))).isoformat()
    if isinstance(value, list):
        return [_resolve(item, ids, today) for item in value]
    return value


def load_sample_data(site, directory: Path = DEMO_PACKAGE, *, records: RecordService | None = None, auth=None, today: dt.date | None = None) -> SampleSummary:
    """Load the data files of ``directory`` into ``site`` (idempotent); returns what it did."""
    from runtime.auth import Authenticator

    records = records or RecordService(site)
    auth = auth or Authenticator(site)
    today = today or SYSTEM.today(site.zone)  # the site's day, as TODAY() sees it
    entries, password = _entries(directory)
    keys = {entry.key: entry for entry in entries if entry.key}
    for entry in entries:
        if entry.object_name not in site.registry.objects:
            raise SampleDataError(f"{entry.source}: no object '{entry.object_name}' is installed")
        for name, value in entry.values.items():
            for key in _references(value):
                if key not in keys:
                    raise SampleDataError(f"{entry.source}: {name} refers to unknown key '@{key}'")
    summary = SampleSummary()
    ids: dict[str, str] = {}
    pending = list(entries)
    while pending:
        ready = [entry for entry in pending if all(key in ids for value in entry.values.values() for key in _references(value))]
        if not ready:  # a cycle: create the first waiting record without the references still missing
            ready = [pending[0]]
        for entry in ready:
            _place(records, entry, ids, today, summary)
            if entry.key:
                ids[entry.key] = entry.record_id
            pending.remove(entry)
    for entry in entries:
        if entry.created and entry.deferred:
            values = {name: _resolve(value, ids, today) for name, value in entry.deferred.items()}
            _write(lambda: records.update(SYSTEM, entry.object_name, entry.record_id, values), entry)
    _people(site, records, auth, entries, ids, password, summary)
    return summary


def _place(records: RecordService, entry: _Entry, ids: Mapping[str, str], today: dt.date, summary: SampleSummary) -> None:
    values, deferred = {}, {}
    for name, value in entry.values.items():
        if all(key in ids for key in _references(value)):
            values[name] = _resolve(value, ids, today)
        else:
            deferred[name] = value
    if entry.match and all(name in values for name in entry.match):
        found = _write(
            # in the recycle bin counts as there: unique values still hold it, and users restore it
            lambda: records.find(SYSTEM, entry.object_name, filter={name: values[name] for name in entry.match}, fields=["id"], limit=1, state="any"),
            entry,
        )
        if found.records:
            entry.record_id = found.records[0]["id"]
            summary.existing += 1
            return
    record = _write(lambda: records.create(SYSTEM, entry.object_name, values), entry)
    entry.record_id, entry.created, entry.deferred = record["id"], True, deferred
    summary.created += 1


def _write(work, entry: _Entry):
    try:
        return work()
    except RecordError as error:
        problems = "; ".join(f"{problem.field}: {problem.message_en}" if problem.field else problem.message_en for problem in error.errors)
        raise SampleDataError(f"{entry.source}: {problems}") from None


def _people(site, records: RecordService, auth, entries: list[_Entry], ids: Mapping[str, str], password: str, summary: SampleSummary) -> None:
    """Passwords, roles, profiles and assistants of the user records that ask for them."""
    import runtime.security as security

    assistants: dict[str, list[str]] = {}
    for entry in entries:
        if entry.object_name != USER_OBJECT:
            continue
        extra = entry.extra
        if "login" in extra:
            if entry.created or not auth.has_password(entry.record_id):
                auth.set_password(entry.record_id, str(extra.get("password", password)))
            summary.logins.append(Login(entry.values["username"], str(extra.get("password", password)), dict(extra["login"] or {})))
        if "roles" in extra or "profiles" in extra:
            security.assign(site, entry.record_id, roles=extra.get("roles"), profiles=extra.get("profiles"))
        if extra.get("assistant_to"):
            manager = ids[str(extra["assistant_to"]).lstrip("@")]
            assistants.setdefault(manager, []).append(entry.record_id)
    set_assistants = getattr(security, "set_assistants", None)
    for manager, people in assistants.items():
        if set_assistants is None:
            summary.notes.append("assistants were not set: this build's security has no assistants")
            break
        set_assistants(site, manager, people)
