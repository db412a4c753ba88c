"""Building blocks shared by every metadata model: identifiers, bilingual labels, the base model.

Every description is written in English and Chinese, because the JSON Schema generated from these
models is what an admin's editor shows while they type YAML.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
IDENTIFIER_MAX_LENGTH = 50
_IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)

#: Columns the runtime adds to every object's table; a package may not declare fields with these
#: names, but formulas, layouts and list views may refer to them.
SYSTEM_FIELD_NAMES = frozenset(
    {
        "id",
        "owner",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "business_type",
        "version",
        "deleted_at",
    }
)


def describe(en: str, zh: str) -> str:
    """One description in both languages, as editors show it on hover."""
    return f"{en}\n{zh}"


def _check_identifier(value: str) -> str:
    if not _IDENTIFIER_RE.match(value) or "__" in value or value.endswith("_"):
        raise PydanticCustomError(
            "invalid_identifier",
            "invalid identifier '{value}': use lowercase letters, digits and single underscores, "
            "starting with a letter (for example 'close_date')",
            {"value": value},
        )
    if len(value) > IDENTIFIER_MAX_LENGTH:
        raise PydanticCustomError(
            "identifier_too_long",
            "identifier '{value}' is {length} characters long; the limit is {limit}",
            {"value": value, "length": len(value), "limit": IDENTIFIER_MAX_LENGTH},
        )
    return value


def _require_str(value: Any) -> Any:
    # YAML turns `no`, `on`, `123` into bool/int; an identifier must be written as text.
    if not isinstance(value, str):
        raise PydanticCustomError(
            "identifier_type",
            "expected an identifier (text), got {kind} {value!r}; wrap it in '…' if it is meant as text",
            {"kind": type(value).__name__, "value": value},
        )
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_require_str),
    AfterValidator(_check_identifier),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[a-z](?:[a-z0-9]|_(?!_))*[a-z0-9]$|^[a-z]$",
            "maxLength": IDENTIFIER_MAX_LENGTH,
            "description": describe(
                "An api name: lowercase letters, digits and single underscores, starting with a letter.",
                "API 名称：小写字母、数字和单个下划线，以字母开头。",
            ),
        }
    ),
]


class Model(BaseModel):
    """Base of every metadata model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class Label(Model):
    """A text shown to users, in English and Chinese (Chinese falls back to English)."""

    en: str = Field(min_length=1, description=describe("English text.", "英文文本。"))
    zh: str | None = Field(
        default=None, min_length=1, description=describe("Chinese text.", "中文文本。")
    )

    def text(self, language: str = "en") -> str:
        """The label in ``language`` ('en' or 'zh'), falling back to English."""
        if language.startswith("zh") and self.zh:
            return self.zh
        return self.en
