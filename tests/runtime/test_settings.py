"""Site settings, and the site's time zone as the one clock of every reader.

The moment used is 20:00 UTC on 15 March: already 16 March in Shanghai, still the 15th in UTC and
in New York. Every reader of a Shanghai site must say the 16th, whatever zone its user displays in
and whether it comes through the API (an actor with a time zone) or the CLI (an actor without).
"""

from __future__ import annotations

import datetime as dt

import pytest

from runtime.errors import SiteError
from runtime.records import SYSTEM, Actor, RecordService
from runtime.site import init_site, open_site
from runtime.transfer import export_csv, import_csv

MOMENT = dt.datetime(2026, 3, 15, 20, 0, tzinfo=dt.timezone.utc)
SHANGHAI_DAY = dt.date(2026, 3, 16)


@pytest.fixture(scope="module")
def registry():
    from metadata.registry import load_registry, shipped_packages

    return load_registry(shipped_packages())


@pytest.fixture
def crm(engine, registry, monkeypatch):
    monkeypatch.setattr("runtime.site.load_registry", lambda roots: registry)
    site = init_site(engine)
    yield site
    site.dispose()


def readers() -> list[Actor]:
    return [
        Actor(now=MOMENT, system=True, time_zone="America/New_York"),  # a web user displaying New York times
        Actor(now=MOMENT, system=True),  # the CLI, export and import: no user zone at all
    ]


def test_the_time_zone_is_utc_until_set_and_is_kept_in_the_site_database(crm, engine):
    assert crm.time_zone == "UTC"
    assert crm.set_setting("time_zone", " Asia/Shanghai ") == "Asia/Shanghai"
    assert open_site(engine).time_zone == "Asia/Shanghai"


@pytest.mark.parametrize("name, value", [("time_zone", "Mars/Olympus"), ("time_zone", "posixrules"), ("time_zone", ""), ("colour", "blue")])
def test_a_bad_setting_is_refused_naming_it_and_nothing_changes(crm, engine, name, value):
    with pytest.raises(SiteError) as raised:
        crm.set_setting(name, value)
    assert repr(value.strip()) in str(raised.value) or f"'{name}'" in str(raised.value)
    assert crm.time_zone == "UTC" and open_site(engine).time_zone == "UTC"


def test_default_formulas_give_the_sites_day_to_every_reader(crm):
    crm.set_setting("time_zone", "Asia/Shanghai")
    records = RecordService(crm)
    for number, actor in enumerate(readers()):
        account = records.create(actor, "account", {"name": f"Huaxin {number}", "industry": "manufacturing"})
        assert account["registered_date"] == SHANGHAI_DAY


def test_formula_fields_and_relative_filters_read_the_sites_day(crm):
    crm.set_setting("time_zone", "Asia/Shanghai")
    records = RecordService(crm)
    lead = records.create(SYSTEM, "lead", {"name": "Wang", "company": "Huaxin", "email": "w@example.com", "next_follow_up": "2026-03-15"})
    for actor in readers():
        # due on the 15th: overdue on the site's 16th (in UTC it would still be due today)
        assert records.get(actor, "lead", lead["id"], fields=["follow_up_overdue"])["follow_up_overdue"] is True
        assert records.count(actor, "lead", filter={"next_follow_up": {"eq": "yesterday"}}).value == 1
        assert records.count(actor, "lead", filter={"next_follow_up": {"eq": "today"}}).value == 0


def test_export_and_import_evaluate_in_the_sites_zone(crm):
    crm.set_setting("time_zone", "Asia/Shanghai")
    records = RecordService(crm)
    actor = Actor(now=MOMENT, system=True)
    result = import_csv(records, actor, "account", "name,industry\nHuaxin,manufacturing\n")
    assert records.get(SYSTEM, "account", result.ids[0])["registered_date"] == SHANGHAI_DAY
    records.create(SYSTEM, "lead", {"name": "Wang", "company": "Huaxin", "email": "w@example.com", "next_follow_up": "2026-03-15"})
    exported = export_csv(records, actor, "lead", fields=["name", "follow_up_overdue"])
    text = "".join(exported)
    assert text.splitlines()[1].split(",")[-1] == "true", text
