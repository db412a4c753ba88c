"""The package manifest, ``package.yaml``."""

from __future__ import annotations

from pydantic import Field, field_validator

from metadata.models.common import Identifier, Label, Model, describe
from metadata.versions import SpecifierError, parse_specifier, parse_version


class Dependency(Model):
    """Another package this one needs, with the versions it works with."""

    name: Identifier
    version: str = Field(default=">=0", description=describe("Version range such as '>=1.0,<2'.", "版本范围，如 '>=1.0,<2'。"))

    @field_validator("version")
    @classmethod
    def _valid_range(cls, value: str) -> str:
        try:
            parse_specifier(value)
        except SpecifierError as error:
            raise ValueError(str(error)) from None
        return value


class PackageManifest(Model):
    """What a package is: its name, namespace, version and dependencies."""

    name: Identifier
    namespace: Identifier | None = Field(
        default=None,
        description=describe(
            "Prefix of the objects and fields it adds, as 'ns_…'; only the platform's own packages go without.",
            "命名空间：其新增对象和字段的前缀 'ns_…'；仅平台自带的包可以没有。",
        ),
    )
    version: str = Field(description=describe("Version such as 1.2.0.", "版本号，如 1.2.0。"))
    label: Label
    description: Label | None = None
    depends: list[Dependency] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _valid_version(cls, value: str) -> str:
        try:
            parse_version(value)
        except SpecifierError as error:
            raise ValueError(str(error)) from None
        return value
