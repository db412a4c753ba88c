"""The search index: kept current by every save, found through the security predicate, created
and rebuilt by migrations; the same results on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from metadata.registry import SYSTEM_PACKAGE
from runtime.migrations import apply_plan, plan_packages
from runtime.query.access import AllowAll
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.search import sync_indexes
from runtime.search.index import table_name
from runtime.site import init_site, open_site

ZOO_PACKAGE = Path(__file__).parents[1] / "fixtures" / "zoo"

NAMES = ["华为技术有限公司", "北京中关村科技", "ACME Trading", "Acme 北京分公司", "Zeta Corp"]


def searchable_zoo(tmp_path, *, nickname: bool):
    """A copy of the zoo whose animals' nickname is searchable (or not)."""
    root = tmp_path / ("zoo_searchable" if nickname else "zoo_plain")
    shutil.copytree(ZOO_PACKAGE, root)
    path = root / "objects" / "zoo_animal.yaml"
    text = path.read_text()
    line = "  - {api_name: nickname, type: text, label: {en: Nickname}, max_length: 40}"
    assert line in text
    if nickname:
        path.write_text(text.replace(line, line[:-1] + ", searchable: true}"))
    return root


@pytest.fixture
def records(site):
    service = RecordService(site)
    for name in NAMES:
        service.create(SYSTEM, "zoo_animal", {"name": name, "nickname": "nick " + name[:2]})
    return service


def titles(service, text, actor=SYSTEM, **options):
    return sorted(hit.title for hit in service.search_records(actor, text, ["zoo_animal"], **options))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("华为", ["华为技术有限公司"]),
        ("北京", ["Acme 北京分公司", "北京中关村科技"]),
        ("中关村", ["北京中关村科技"]),
        ("村科", ["北京中关村科技"]),
        ("中村", []),
        ("acm", ["ACME Trading", "Acme 北京分公司"]),
        ("acme 北京", ["Acme 北京分公司"]),
        ("TRADING", ["ACME Trading"]),
        ("rading", []),
        ("", []),
    ],
)
def test_words_prefixes_and_chinese_pairs_are_found(records, text, found):
    assert titles(records, text) == found


def test_what_the_index_finds_is_what_like_finds(records):
    """Every two consecutive characters of a Chinese name, and every word prefix, find the record
    exactly when a LIKE over the name would."""
    queries = {name[i : i + 2] for name in NAMES for i in range(len(name) - 1) if all("\u4e00" <= c <= "\u9fff" for c in name[i : i + 2])}
    queries |= {"acme", "ac", "zeta", "corp", "trad"}
    for text in sorted(queries):
        page = records.find(SYSTEM, "zoo_animal", filter={"name": {"contains": text}}, fields=["name"], limit=100)
        like = sorted(record["name"] for record in page.records)
        assert titles(records, text) == like, text


def test_every_save_keeps_the_index_current(records):
    acme = records.find(SYSTEM, "zoo_animal", filter={"name": "ACME Trading"}, fields=["id"]).records[0]["id"]
    records.update(SYSTEM, "zoo_animal", acme, {"name": "Omega Traders"})
    assert titles(records, "acme") == ["Acme 北京分公司"] and titles(records, "omega") == ["Omega Traders"]
    records.delete(SYSTEM, "zoo_animal", acme)  # in the recycle bin: not found
    assert titles(records, "omega") == []
    records.restore(SYSTEM, "zoo_animal", acme)
    assert titles(records, "omega") == ["Omega Traders"]
    records.delete(SYSTEM, "zoo_animal", acme)
    records.purge(SYSTEM, "zoo_animal", acme)
    index = sa.table(table_name("zoo_animal"))
    with records.site.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(index)).scalar_one() == len(NAMES) - 1
    records.bulk_create(SYSTEM, "zoo_animal", [{"name": "批量一号"}, {"name": "批量二号"}])
    assert titles(records, "批量") == ["批量一号", "批量二号"]


class Keepers(AllowAll):
    """Each keeper reads only the animals they keep, and never the name when ``hide_name``."""

    def __init__(self, hide_name: bool = False):
        self.hide_name = hide_name

    def predicate(self, actor, object_name, table, operation):
        return None if actor.system or object_name != "zoo_animal" else table.c.keeper == actor.user_id

    def readable_fields(self, actor, object_name):
        if actor.system or not self.hide_name or object_name != "zoo_animal":
            return None
        return frozenset({"id", "nickname", "keeper", "version"})


def test_a_search_never_returns_a_record_the_caller_cannot_read(site, records):
    users = [records.create(SYSTEM, "user", {"username": name, "name": name})["id"] for name in ("keeper_a", "keeper_b")]
    guarded = RecordService(site, access=Keepers())
    for index, name in enumerate(["北京动物一", "北京动物二", "北京动物三"]):
        guarded.create(SYSTEM, "zoo_animal", {"name": name, "keeper": users[index % 2]})
    first = Actor(user_id=users[0])
    assert titles(guarded, "北京", first) == ["北京动物一", "北京动物三"]
    assert titles(guarded, "北京", Actor(user_id=users[1])) == ["北京动物二"]
    assert len(titles(guarded, "北京")) == 5  # the platform sees them all


def test_a_hidden_field_never_finds_a_record(tmp_path, engine):
    site = init_site(engine, [SYSTEM_PACKAGE, searchable_zoo(tmp_path, nickname=True)])
    user = RecordService(site).create(SYSTEM, "user", {"username": "k", "name": "K"})["id"]
    service = RecordService(site, access=Keepers(hide_name=True))
    animal = service.create(SYSTEM, "zoo_animal", {"name": "Secretname", "nickname": "Dumbo", "keeper": user})["id"]
    keeper = Actor(user_id=user)
    hits = service.search_records(keeper, "dumbo", ["zoo_animal"])
    assert [(hit.id, hit.title, hit.snippet) for hit in hits] == [(animal, animal, "Dumbo")]  # no name: the id stands in
    assert service.search_records(keeper, "secretname", ["zoo_animal"]) == []  # the name is hidden from them
    assert [hit.title for hit in service.search_records(SYSTEM, "secretname", ["zoo_animal"])] == ["Secretname"]


def test_migrations_create_and_rebuild_the_index(tmp_path, engine):
    site = init_site(engine, [SYSTEM_PACKAGE, searchable_zoo(tmp_path, nickname=False)])
    service = RecordService(site)
    service.create(SYSTEM, "zoo_animal", {"name": "Jumbo", "nickname": "Dumbo"})
    assert titles(service, "dumbo") == []  # the nickname is not searchable yet
    apply_plan(site, plan_packages(site, [searchable_zoo(tmp_path, nickname=True)]))
    assert titles(service, "dumbo") == ["Jumbo"]  # rebuilt in the migration's transaction
    with site.begin() as connection:  # nothing to do when the index is current
        assert sync_indexes(connection, site.registry, site.tables) == []
        assert sync_indexes(connection, site.registry, site.tables, force=["zoo_animal"]) == ["zoo_animal"]
    reopened = RecordService(open_site(engine))
    assert titles(reopened, "dumbo") == ["Jumbo"]
