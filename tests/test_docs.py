"""Documentation keeps up with the code: every field type and option, every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metadata.models.fields import FIELD_TYPES, FieldDef

ROOT = Path(__file__).parents[1]
METADATA_DOC = (ROOT / "docs" / "metadata.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field_type", FIELD_TYPES)
def test_field_type_has_a_row_in_the_reference(field_type):
    assert re.search(rf"^\| `{field_type}` \|", METADATA_DOC, re.MULTILINE), f"docs/metadata.md lacks a row for {field_type}"


def test_every_field_option_is_documented():
    options = {name for model in FieldDef.__origin__.__args__ for name in model.model_fields}
    missing = sorted(option for option in options if f"`{option}`" not in METADATA_DOC)
    assert missing == []
