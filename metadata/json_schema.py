"""JSON Schema for metadata files, generated from the models, for editors that validate YAML as typed.

The files are draft-07 (what yaml-language-server understands): ``definitions`` rather than
``$defs``. They are committed under ``metadata/schema/``; a test regenerates them and fails on drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from metadata.models import App, Layout, ObjectDef, ObjectExtension, PackageManifest, ValueSet
from metadata.models.common import describe
from metadata.models.security import DimensionsFile, GroupsFile, ProfilesFile, RolesFile, SharingRulesFile, TeamsFile
from metadata.overrides import Override

SCHEMA_DIR = Path(__file__).parent / "schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"

#: file name → (model, Chinese title); the English title is the model's docstring.
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "package.schema.json": (PackageManifest, "包清单（package.yaml）"),
    "object.schema.json": (ObjectDef, "对象定义"),
    "extension.schema.json": (ObjectExtension, "对象扩展：为其他包的对象添加字段、业务类型和规则"),
    "layout.schema.json": (Layout, "页面布局"),
    "value_set.schema.json": (ValueSet, "全局选项集"),
    "app.schema.json": (App, "应用：按顺序排列的对象页签"),
    "roles.schema.json": (RolesFile, "角色（security/roles.yaml）"),
    "profiles.schema.json": (ProfilesFile, "职能（security/profiles.yaml）"),
    "groups.schema.json": (GroupsFile, "公共组（security/groups.yaml）"),
    "sharing_rules.schema.json": (SharingRulesFile, "共享规则（security/sharing_rules.yaml）"),
    "dimensions.schema.json": (DimensionsFile, "数据权限维度（security/dimensions.yaml）"),
    "teams.schema.json": (TeamsFile, "团队成员（security/teams.yaml）"),
    "override.schema.json": (Override, "覆盖：逐属性修改其他包的组件（overrides/<kind>.<name>.yaml）"),
}


def _retarget(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (value.replace("#/$defs/", "#/definitions/") if key == "$ref" and isinstance(value, str) else _retarget(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_retarget(item) for item in node]
    return node


def schema_for(model: type[BaseModel], title_zh: str) -> dict[str, Any]:
    """The draft-07 JSON Schema of one metadata file kind."""
    raw = model.model_json_schema(ref_template="#/definitions/{model}", mode="validation")
    definitions = raw.pop("$defs", {})
    english = (model.__doc__ or model.__name__).strip().splitlines()[0]
    schema: dict[str, Any] = {
        "$schema": DRAFT_07,
        "title": f"Tessera {model.__name__}",
        "description": describe(english, title_zh),
        **{key: value for key, value in raw.items() if key not in {"title", "description"}},
    }
    if definitions:
        schema["definitions"] = definitions
    return _retarget(schema)


def render_schemas() -> dict[str, str]:
    """Every schema file's name and text, as committed."""
    return {
        name: json.dumps(schema_for(model, title_zh), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        for name, (model, title_zh) in SCHEMAS.items()
    }


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
