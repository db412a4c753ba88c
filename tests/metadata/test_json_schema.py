"""The committed JSON Schema matches the models, and the shipped YAML validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from metadata.json_schema import SCHEMA_DIR, SCHEMAS, render_schemas
from metadata.registry import shipped_packages

FOLDER_SCHEMAS = {
    "objects": "object.schema.json",
    "extensions": "extension.schema.json",
    "layouts": "layout.schema.json",
    "value_sets": "value_set.schema.json",
    "apps": "app.schema.json",
}
FIXTURES = Path(__file__).parent / "fixtures"


def shipped_files() -> list[tuple[Path, str]]:
    files = []
    for root in shipped_packages() + [FIXTURES / "equipment"]:
        files.append((root / "package.yaml", "package.schema.json"))
        for folder, schema in FOLDER_SCHEMAS.items():
            files.extend((path, schema) for path in sorted((root / folder).glob("*.yaml")))
    return files


def test_committed_schema_is_up_to_date():
    rendered = render_schemas()
    assert sorted(path.name for path in SCHEMA_DIR.glob("*.json")) == sorted(SCHEMAS)
    for name, text in rendered.items():
        committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run `tessera metadata schema`"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_draft_07_with_bilingual_descriptions(name):
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in json.dumps(schema)
    english, chinese = schema["description"].split("\n")
    assert english.isascii() and not chinese.isascii()


def test_schema_rejects_what_the_loader_rejects():
    schema = json.loads((SCHEMA_DIR / "object.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    good = {
        "api_name": "thing",
        "label": {"en": "Thing", "zh": "东西"},
        "plural_label": {"en": "Things", "zh": "东西"},
        "fields": [{"api_name": "name", "type": "text", "label": {"en": "Name", "zh": "名称"}}],
    }
    assert list(validator.iter_errors(good)) == []
    misspelt = json.loads(json.dumps(good))
    misspelt["fields"][0]["requird"] = True
    assert list(validator.iter_errors(misspelt))
    bad_name = json.loads(json.dumps(good))
    bad_name["api_name"] = "Thing Two"
    assert list(validator.iter_errors(bad_name))


@pytest.mark.parametrize("path, schema_name", shipped_files(), ids=lambda value: str(value)[-40:])
def test_shipped_file_declares_and_matches_its_schema(path, schema_name):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), f"{path.name} lacks the schema line"
    declared = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert declared == (SCHEMA_DIR / schema_name).resolve(), f"{path.name} points at {declared}"
    schema = json.loads(declared.read_text(encoding="utf-8"))
    errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(text))]
    assert errors == []
