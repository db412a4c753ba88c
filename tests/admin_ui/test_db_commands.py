"""``tessera db …`` from the terminal's point of view, end to end on a SQLite file.

Each test makes a site of the system package and a copy of the runtime tests' small ``zoo``
package, then edits that copy the way a partner edits a package directory and runs the commands.
Every failure must be one clear message on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from admin_ui.cli import app
from metadata.registry import SYSTEM_PACKAGE
from runtime.records import SYSTEM, RecordService
from runtime.site import open_site

ZOO = Path(__file__).parents[1] / "runtime" / "fixtures" / "zoo"
runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, ["db", *args], env=env)
    # A handled failure ends in SystemExit (typer.Exit); anything else escaped as a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def ok(*args: str, env: dict[str, str] | None = None):
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result


def refused(*args: str, env: dict[str, str] | None = None):
    result = run(*args, env=env)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip(), "a refusal says why on stderr"
    return result


@pytest.fixture
def zoo(tmp_path) -> Path:
    """A copy of the zoo package, ours to edit."""
    return Path(shutil.copytree(ZOO, tmp_path / "zoo"))


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'site.sqlite'}"


@pytest.fixture
def site_url(url, zoo) -> str:
    """A site with the system package and the zoo copy installed."""
    result = ok("init", "--db", url, "--package", str(SYSTEM_PACKAGE), "--package", str(zoo))
    assert result.stdout == f"initialised {url}: 5 objects (system 1.0.0, zoo 1.0.0)\n"
    return url


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def append_field(zoo: Path, object_name: str, line: str) -> None:
    path = zoo / "objects" / f"{object_name}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"  - {line}\n", encoding="utf-8")


def columns(url: str, table: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return [column["name"] for column in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def records(url: str, object_name: str, *fields: str) -> dict[str, tuple]:
    """name → values of ``fields`` for every live record, read through the record pipeline."""
    site = open_site(url)
    try:
        page = RecordService(site).find(SYSTEM, object_name, fields=["name", *fields], limit=100)
        return {record["name"]: tuple(record[name] for name in fields) for record in page.records}
    finally:
        site.dispose()


def populate(url: str) -> None:
    site = open_site(url)
    try:
        service = RecordService(site)
        rex = service.create(SYSTEM, "zoo_animal", {"name": "Rex", "nickname": "Rexy", "notes": "old", "legs": 4})
        service.create(SYSTEM, "zoo_animal", {"name": "Tweety", "nickname": "Tw", "notes": "small", "legs": 2})
        service.create(SYSTEM, "zoo_meal", {"name": "hay", "animal": rex["id"], "grams": 250})
    finally:
        site.dispose()


# --- init -------------------------------------------------------------------------------------


def test_init_twice_is_a_clear_error(site_url, zoo):
    result = refused("init", "--db", site_url, "--package", str(SYSTEM_PACKAGE), "--package", str(zoo))
    assert result.stderr == (
        f"{site_url} is already a Tessera site; use 'tessera db plan' and 'tessera db apply' to change its packages\n"
    )
    ok("check", "--db", site_url)  # and the site is as it was


def test_the_url_comes_from_the_environment(tmp_path, zoo):
    url = f"sqlite:///{tmp_path / 'from_env.sqlite'}"
    env = {"TESSERA_DATABASE_URL": url}
    ok("init", "--package", str(SYSTEM_PACKAGE), "--package", str(zoo), env=env)
    assert (tmp_path / "from_env.sqlite").is_file()
    assert ok("check", env=env).stdout == "the database matches the metadata\n"
    # --db wins over the environment
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    ok("init", "--db", other, "--package", str(SYSTEM_PACKAGE), env=env)
    assert "zoo_animal" not in sa.inspect(sa.create_engine(other)).get_table_names()


def test_the_default_is_a_file_in_the_working_directory(tmp_path, zoo, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TESSERA_DATABASE_URL", raising=False)
    result = refused("check")
    assert result.stderr.startswith("no database at tessera.sqlite; run 'tessera db init' first")
    assert not (tmp_path / "tessera.sqlite").exists()  # a failed check creates nothing
    ok("init", "--package", str(SYSTEM_PACKAGE), "--package", str(zoo))
    assert (tmp_path / "tessera.sqlite").is_file()
    ok("check")


def test_init_installs_the_shipped_packages_by_default(url):
    result = ok("init", "--db", url)
    assert re.fullmatch(rf"initialised {re.escape(url)}: \d+ objects \(system [\d.]+, \w+ [\d.]+.*\)\n", result.stdout)
    ok("check", "--db", url)


# --- plan and apply: add, rename, remove → archives → restore → purge -------------------------


def test_a_changed_package_is_planned_applied_archived_restored_and_purged(site_url, zoo):
    populate(site_url)
    animal = zoo / "objects" / "zoo_animal.yaml"
    edit(animal, "{api_name: nickname,", "{api_name: alias, renamed_from: nickname,")
    edit(animal, "  - {api_name: notes, type: long_text, label: {en: Notes}}\n", "")
    edit(animal, "  - {api_name: legs, type: integer, label: {en: Legs}}\n", "")
    append_field(zoo, "zoo_animal", "{api_name: height, type: number, label: {en: Height}, precision: 6, scale: 2}")

    # plan: shows the steps, marks the data-losing ones, changes nothing
    result = ok("plan", str(zoo), "--db", site_url)
    assert result.stdout.splitlines() == [
        "  1. archive field zoo_animal.legs (values moved to an archive, restorable)  [archives data]",
        "  2. archive field zoo_animal.notes (values moved to an archive, restorable)  [archives data]",
        "  3. rename field zoo_animal.nickname → alias (data kept)",
        "  4. add field zoo_animal.height (NUMERIC(6,2))",
        "apply with --allow-data-loss: removed data is archived and can be restored until purged",
    ]
    before = columns(site_url, "zoo_animal")
    assert {"nickname", "notes", "legs"} <= set(before) and "height" not in before

    # apply without permission to archive: refused, nothing changed
    result = refused("apply", str(zoo), "--db", site_url)
    assert "refused: the plan removes data" in result.stderr
    assert "archive field zoo_animal.notes" in result.stderr and "nothing was changed" in result.stderr
    assert columns(site_url, "zoo_animal") == before

    result = ok("apply", str(zoo), "--db", site_url, "--allow-data-loss")
    assert result.stdout.endswith("applied 4 steps; the database matches the metadata\n")
    assert records(site_url, "zoo_animal", "alias", "height") == {"Rex": ("Rexy", None), "Tweety": ("Tw", None)}
    assert {"nickname", "notes", "legs"}.isdisjoint(columns(site_url, "zoo_animal"))
    assert ok("apply", str(zoo), "--db", site_url).stdout == "nothing to do: the site already has these packages\n"

    listed = ok("archives", "--db", site_url).stdout.splitlines()
    assert [re.sub(r"archived .* UTC", "archived …", line) for line in listed] == [
        "#1 field zoo_animal.legs: 2 rows, archived … (tessera_archive_1)",
        "#2 field zoo_animal.notes: 2 rows, archived … (tessera_archive_2)",
    ]
    ok("check", "--db", site_url)

    # restore needs the field declared again
    result = refused("restore", "zoo_animal.notes", "--db", site_url)
    assert "declare it again in the metadata and apply, then restore" in result.stderr
    append_field(zoo, "zoo_animal", "{api_name: notes, type: long_text, label: {en: Notes}}")
    assert "add field zoo_animal.notes (TEXT)" in ok("apply", str(zoo), "--db", site_url).stdout
    result = ok("restore", "zoo_animal.notes", "--db", site_url)
    assert result.stdout == "restored 2 values of zoo_animal.notes from archive #2; 0 skipped\n"
    assert records(site_url, "zoo_animal", "notes") == {"Rex": ("old",), "Tweety": ("small",)}
    refused("restore", "zoo_animal.notes", "--db", site_url)  # the archive went back into the table

    # purge the other archive for good
    assert ok("purge", "zoo_animal.legs", "--db", site_url).stdout.startswith("purged #1 field zoo_animal.legs: 2 rows")
    assert ok("archives", "--db", site_url).stdout == "no archives\n"
    assert "no archive matches" in refused("purge", "zoo_animal.legs", "--db", site_url).stderr
    assert "no archive of field zoo_animal.legs" in refused("restore", "zoo_animal.legs", "--db", site_url).stderr
    ok("check", "--db", site_url)


def test_an_object_is_archived_and_restored_with_its_rows(site_url, zoo):
    populate(site_url)
    original = Path(shutil.copytree(zoo, zoo.parent / "original" / "zoo"))
    (zoo / "objects" / "zoo_meal.yaml").unlink()
    animal = zoo / "objects" / "zoo_animal.yaml"
    for rollup in ("meal_count", "food_total", "last_meal"):
        lines = animal.read_text(encoding="utf-8").splitlines(keepends=True)
        animal.write_text("".join(line for line in lines if f"api_name: {rollup}," not in line), encoding="utf-8")

    result = ok("apply", str(zoo), "--db", site_url, "--allow-data-loss")
    assert "archive object zoo_meal (rows moved to an archive, restorable)  [archives data]" in result.stdout
    assert "zoo_meal" not in sa.inspect(sa.create_engine(site_url)).get_table_names()
    assert "object zoo_meal: 1 row" in ok("archives", "--db", site_url).stdout

    ok("apply", str(original), "--db", site_url)
    assert ok("restore", "zoo_meal", "--db", site_url).stdout == "restored 1 rows of zoo_meal from archive #4; 0 skipped\n"
    assert list(records(site_url, "zoo_meal", "grams")) == ["hay"]
    purged = ok("purge", "zoo_animal", "--db", site_url).stdout.splitlines()
    assert len(purged) == 3 and all(line.startswith("purged #") for line in purged)
    ok("check", "--db", site_url)


def test_a_type_change_that_does_not_convert_lists_the_rows(site_url, zoo):
    populate(site_url)
    edit(zoo / "objects" / "zoo_animal.yaml", "{api_name: nickname, type: text,", "{api_name: nickname, type: integer,")
    edit(zoo / "objects" / "zoo_animal.yaml", "label: {en: Nickname}, max_length: 40}", "label: {en: Nickname}}")
    for command in ("plan", "apply"):
        result = refused(command, str(zoo), "--db", site_url)
        assert "cannot change zoo_animal.nickname from text VARCHAR(40) to integer" in result.stderr
        assert "'Rexy' (not a whole number)" in result.stderr and "'Tw' (not a whole number)" in result.stderr
        assert "nothing was changed" in result.stderr
    assert records(site_url, "zoo_animal", "nickname") == {"Rex": ("Rexy",), "Tweety": ("Tw",)}


def test_plan_with_an_unchanged_package_has_nothing_to_do(site_url, zoo):
    assert ok("plan", str(zoo), "--db", site_url).stdout == "no schema changes; nothing to do\n"


# --- drift --------------------------------------------------------------------------------------


def test_check_reports_drift(site_url):
    engine = sa.create_engine(site_url)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE zoo_enclosure ADD COLUMN extra INTEGER"))
        connection.execute(sa.text("DROP INDEX ix_zoo_animal_name"))
    engine.dispose()
    result = refused("check", "--db", site_url)
    assert result.stderr.splitlines() == [
        "index ix_zoo_animal_name on zoo_animal is missing",
        "column zoo_enclosure.extra is not described by the metadata",
        "2 differences between the database and the metadata",
    ]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["check", "--db", "nonsense://x"], "not a usable database URL 'nonsense://x'"),
        (["init", "--db", "nonsense://x"], "not a usable database URL 'nonsense://x'"),
        (["check", "--db", "not a url"], "not a usable database URL 'not a url'"),
        (["archives", "--db", "postgresql+psycopg://someone:secret@127.0.0.1:1/x"], "cannot connect to postgresql+psycopg://someone:***@127.0.0.1:1/x"),
    ],
)
def test_a_bad_url_is_a_clear_error(command, expected):
    result = refused(*command)
    assert result.stderr.startswith(expected)
    assert "secret" not in result.output


def test_a_missing_directory_is_named(tmp_path, url):
    result = refused("init", "--db", url, "--package", str(tmp_path / "nowhere"))
    assert result.stderr == f"{tmp_path / 'nowhere'}: not a package directory\n"
    assert refused("plan", str(tmp_path / "nowhere"), "--db", url).stderr.endswith("not a package directory\n")


def test_a_file_that_is_not_a_site(tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE something (id INTEGER)"))
    engine.dispose()
    assert refused("archives", "--db", url).stderr == f"{url} is not a Tessera site; run 'tessera db init' first\n"


def test_a_target_must_name_an_object_or_a_field(site_url):
    assert "name an object (OBJECT) or a field (OBJECT.FIELD)" in refused("restore", "zoo_animal.", "--db", site_url).stderr
    assert "name what to purge" in refused("purge", "--db", site_url).stderr


def _break(zoo: Path) -> list[str]:
    """Break the zoo copy twice: a YAML syntax error and an unknown object; the expected lines."""
    (zoo / "objects" / "zoo_meal.yaml").write_text("api_name: zoo_meal\nlabel: {en: Meal\nfields: []\n", encoding="utf-8")
    edit(zoo / "objects" / "zoo_animal.yaml", "to: zoo_enclosure,", "to: zoo_enclosur,")
    return [
        "zoo/objects/zoo_animal.yaml:28:45: unknown object 'zoo_enclosur' — did you mean 'zoo_enclosure'?",
        "zoo/objects/zoo_meal.yaml:3:7: YAML syntax error",
        "2 problems",
    ]


def _matches(stderr: str, expected: list[str]) -> None:
    lines = stderr.splitlines()
    assert len(lines) == len(expected), stderr
    for line, wanted in zip(lines, expected):
        assert line.startswith(wanted), (line, wanted)


def test_a_broken_package_is_reported_by_file_and_line(site_url, zoo, tmp_path):
    expected = _break(zoo)
    for command in (["plan", str(zoo)], ["apply", str(zoo), "--allow-data-loss"]):
        result = refused(*command, "--db", site_url)
        _matches(result.stderr, expected)
    ok("check", "--db", site_url)

    fresh = tmp_path / "fresh.sqlite"
    result = refused("init", "--db", f"sqlite:///{fresh}", "--package", str(SYSTEM_PACKAGE), "--package", str(zoo))
    _matches(result.stderr, expected)
    assert not fresh.exists()  # the packages are checked before the database is touched


def test_init_without_the_postgresql_driver_names_the_extra_to_install(monkeypatch):
    # None in sys.modules makes "import psycopg" fail as it does when the extra is not installed
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = refused("init", "--db", "postgresql+psycopg://tessera@localhost/tessera")
    assert "pip install 'tessera[postgres]'" in result.stderr and "psycopg" in result.stderr
