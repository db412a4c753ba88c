"""The sample-data loader: the shipped demo loads, twice without duplicates; references, cycles, errors."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from runtime.auth import Authenticator, AuthSettings
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.sample_data import DEMO_PACKAGE, SampleDataError, load_sample_data
from runtime.site import init_site

CHEAP = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)


@pytest.fixture
def site(engine):
    site = init_site(engine)
    yield site
    site.dispose()


def test_the_demo_loads_once_and_its_logins_work(site):
    auth = Authenticator(site, CHEAP)
    records = RecordService(site)
    first = load_sample_data(site, DEMO_PACKAGE, records=records, auth=auth)
    counts = {name: records.count(SYSTEM, name).value for name in ("department", "user", "partner", "account", "contact", "lead", "opportunity", "product", "order", "order_line", "activity_record", "task")}
    assert first.created == sum(counts.values()) and first.existing == 0
    assert all(count > 0 for count in counts.values()), counts
    stages = {record["stage"] for record in records.find(SYSTEM, "opportunity", fields=["stage"], limit=100).records}
    assert {"won", "lost"} <= stages and len(stages) >= 5
    # follow-ups and tasks hang on records of several objects (a polymorphic lookup)
    related = {record["related_to"]["object"] for record in records.find(SYSTEM, "task", fields=["subject"], expand=["related_to"], limit=100).records}
    assert related == {"opportunity", "account"}
    kinds = {record["user_kind"] for record in records.find(SYSTEM, "user", fields=["user_kind"], limit=100).records}
    assert kinds == {"internal", "partner"}

    deleted = records.find(SYSTEM, "lead", fields=["id"], limit=1).records[0]["id"]
    records.delete(SYSTEM, "lead", deleted)  # a record in the recycle bin is still there
    second = load_sample_data(site, DEMO_PACKAGE, records=records, auth=auth)
    assert second.created == 0 and second.existing == first.created
    assert {name: records.count(SYSTEM, name).value for name in counts} == {**counts, "lead": counts["lead"] - 1}
    assert len(first.logins) >= 8 and all(login.password for login in first.logins)
    for login in first.logins[:2]:
        assert auth.authenticate(login.username, login.password)
    assert "demo logins:" in first.describe()


def _write(tmp_path, files: dict[str, str]):
    manifest = "password: pw\nfiles: [" + ", ".join(files) + "]\n"
    (tmp_path / "demo.yaml").write_text(manifest)
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def test_references_cycles_and_relative_dates(site, tmp_path):
    directory = _write(tmp_path, {"org.yaml": """
        - object: department
          match: [code]
          records:
            - key: top
              values: {name: Top, code: TOP, head: "@boss"}
        - object: user
          match: [username]
          records:
            - key: boss
              values: {username: boss, name: "@@Boss", department: "@top"}
              login: {en: The boss}
        - object: account
          match: [name]
          records:
            - values: {name: Dated, industry: mining, registered_date: {days_from_today: -3}, owner: "@boss"}
        """})
    today = dt.date(2026, 3, 10)
    summary = load_sample_data(site, directory, auth=Authenticator(site, CHEAP), today=today)
    records = RecordService(site)
    boss = records.find(SYSTEM, "user", filter={"username": "boss"}).records[0]
    top = records.find(SYSTEM, "department", filter={"code": "TOP"}).records[0]
    assert boss["name"] == "@Boss" and boss["department"] == top["id"] and top["head"] == boss["id"]
    account = records.find(SYSTEM, "account", filter={"name": "Dated"}).records[0]
    assert account["registered_date"] in ("2026-03-07", dt.date(2026, 3, 7)) and account["owner"] == boss["id"]
    assert summary.logins[0].username == "boss" and summary.logins[0].password == "pw"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- object: spaceship\n  records: [{values: {name: x}}]\n", "no object 'spaceship'"),
        ("- object: account\n  records: [{values: {name: x, parent_account: '@nowhere'}}]\n", "unknown key '@nowhere'"),
        ("- object: account\n  records: [{values: {name: x}}]\n", "industry"),
        ("- object: account\n", "'object' and 'records'"),
    ],
)
def test_bad_data_files_are_named_in_the_error(site, tmp_path, text, message):
    directory = _write(tmp_path, {"data.yaml": text})
    with pytest.raises(SampleDataError) as raised:
        load_sample_data(site, directory, auth=Authenticator(site, CHEAP))
    assert message in str(raised.value) and "data.yaml" in str(raised.value)
