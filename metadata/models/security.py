"""Security metadata: roles with data scopes, profiles (职能), public groups, sharing rules,
dimensions and record teams.

A package declares them in its ``security/`` folder, one file per kind (``roles.yaml``,
``profiles.yaml``, ``groups.yaml``, ``sharing_rules.yaml``, ``dimensions.yaml``, ``teams.yaml``),
each a mapping with one list under the file's own key. Who holds which role or profile, group
members added by admins, team members and users' dimension values are org data kept in the
database, not here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from metadata.models.common import Identifier, Label, Model, describe

#: how far a role's data permission reaches, from narrowest to widest
Scope = Literal["self", "self_and_subordinates", "department", "department_and_children", "all"]
SCOPES: tuple[str, ...] = ("self", "self_and_subordinates", "department", "department_and_children", "all")
#: what a data scope is given for (查询 / 修改 / 删除 / 转移)
SCOPE_OPERATIONS: tuple[str, ...] = ("query", "modify", "delete", "transfer")
FieldAccess = Literal["hidden", "read", "edit"]
ShareAccess = Literal["read", "read_write"]

_SCOPE_HELP = describe(
    "self (本人), self_and_subordinates (本人及下属), department (本部门), "
    "department_and_children (本部门及下级部门) or all (全部).",
    "数据范围：self 本人、self_and_subordinates 本人及下属、department 本部门、"
    "department_and_children 本部门及下级部门、all 全部。",
)


class DataScopes(Model):
    """A role's data scope on an object, per operation."""

    query: Scope = Field(default="self", description=_SCOPE_HELP)
    modify: Scope = Field(default="self", description=_SCOPE_HELP)
    delete: Scope = Field(default="self", description=_SCOPE_HELP)
    transfer: Scope = Field(default="self", description=_SCOPE_HELP)

    def for_operation(self, operation: str) -> str:
        return getattr(self, operation)


class Role(Model):
    """A role (角色): which records its holders reach, per object and operation."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    editable: bool = Field(default=True, description=describe("False for preset roles admins may not change.", "为 false 时管理员不可修改（预置角色）。"))
    all_data: bool = Field(default=False, description=describe("Reaches every record of every object (the administrator).", "可操作所有对象的全部数据（管理员）。"))
    default: bool = Field(default=False, description=describe("Held by users given no role.", "未分配角色的用户默认持有。"))
    partner: bool = Field(
        default=False,
        description=describe(
            "For partner users: scopes never reach past the user's partner department and its sub-departments.",
            "合作伙伴用户角色：数据范围不超出其所在的外部部门及下级部门。",
        ),
    )
    # a bare scope (`account: department`) is the same scope for all four operations
    scopes: DataScopes | Scope = Field(default="self", description=describe("Scopes for objects not listed under objects.", "未在 objects 中列出的对象的数据范围。"))
    objects: dict[Identifier, DataScopes | Scope] = Field(default_factory=dict, description=describe("Scopes per object.", "各对象的数据范围。"))

    def scope(self, object_name: str, operation: str) -> str:
        """The scope of ``operation`` (query, modify, delete or transfer) on ``object_name``."""
        if self.all_data:
            return "all"
        setting = self.objects.get(object_name, self.scopes)
        return setting if isinstance(setting, str) else setting.for_operation(operation)


class ObjectPermissions(Model):
    """What a profile allows on one object, and on its fields."""

    create: bool = False
    read: bool = False
    edit: bool = False
    delete: bool = False
    fields: dict[Identifier, FieldAccess] = Field(
        default_factory=dict,
        description=describe(
            "Field access: hidden, read or edit. Fields not listed are editable when the object is, readable otherwise.",
            "字段权限：hidden 不可见、read 只读、edit 可编辑。未列出的字段：对象可编辑时可编辑，否则只读。",
        ),
    )

    def field_access(self, field_name: str) -> str:
        access = self.fields.get(field_name)
        if access is None:
            return "edit" if self.edit else ("read" if self.read else "hidden")
        if not self.read:
            return "hidden"
        return "read" if access == "edit" and not self.edit else access


class Profile(Model):
    """A profile (职能): which objects and fields its holders may create, read, edit and delete."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    editable: bool = True
    default: bool = Field(default=False, description=describe("Held by users given no profile.", "未分配职能的用户默认持有。"))
    all_objects: bool = Field(default=False, description=describe("Everything on every object and field.", "所有对象和字段的全部权限。"))
    default_permissions: ObjectPermissions | None = Field(
        default=None, description=describe("Permissions on objects not listed under objects.", "未在 objects 中列出的对象的权限。")
    )
    objects: dict[Identifier, ObjectPermissions] = Field(default_factory=dict)

    def permissions(self, object_name: str) -> ObjectPermissions | None:
        if self.all_objects:
            return ObjectPermissions(create=True, read=True, edit=True, delete=True)
        return self.objects.get(object_name, self.default_permissions)


class Principals(Model):
    """A set of users: named users, departments (by code), roles and public groups."""

    users: list[str] = Field(default_factory=list, description=describe("Usernames.", "用户名。"))
    departments: list[str] = Field(default_factory=list, description=describe("Department codes.", "部门编码。"))
    include_sub_departments: bool = Field(default=False, description=describe("Also the departments below them.", "包含下级部门。"))
    roles: list[Identifier] = Field(default_factory=list)
    groups: list[Identifier] = Field(default_factory=list)

    def empty(self) -> bool:
        return not (self.users or self.departments or self.roles or self.groups)


class PublicGroup(Principals):
    """A public group (公共组): users, departments, roles and other groups; groups may nest."""

    api_name: Identifier
    label: Label
    description: Label | None = None


class SharingRule(Model):
    """A sharing rule (共享规则): records owned by some users, or matching a condition, shared with others."""

    api_name: Identifier
    label: Label
    object: Identifier
    owners: Principals | None = Field(default=None, description=describe("Owner-based: records owned by these users.", "按负责人共享：这些用户负责的记录。"))
    criteria: str | None = Field(default=None, description=describe("Criteria-based: a boolean formula over the record.", "按条件共享：对记录求值的布尔公式。"))
    filter: dict[str, Any] | None = Field(default=None, description=describe("Criteria-based: a filter in the query language.", "按条件共享：查询语言的筛选条件。"))
    share_with: Principals
    access: ShareAccess = "read"

    @model_validator(mode="after")
    def _one_kind(self) -> SharingRule:
        given = [name for name in ("owners", "criteria", "filter") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a sharing rule has exactly one of owners, criteria or filter (got {', '.join(given) or 'none'})")
        if self.share_with.empty():
            raise ValueError("share_with names nobody")
        return self


class DimensionValue(Model):
    """One value of a dimension; values form a tree through ``parent``."""

    api_name: Identifier
    label: Label
    parent: Identifier | None = None


class Dimension(Model):
    """A data-permission dimension (维度: product line, region, industry, business).

    On the objects where it is enabled, a record carries a value in the named field, and what a
    role's scope reaches is cut down to records whose value is one of the user's values or below.
    """

    api_name: Identifier
    label: Label
    values: list[DimensionValue] = Field(default_factory=list)
    objects: dict[Identifier, Identifier] = Field(
        default_factory=dict, description=describe("Object → the field holding the record's value.", "对象 → 保存记录维度值的字段。")
    )


class TeamChild(Model):
    """An object whose records share the team of their parent through a reference field."""

    object: Identifier
    field: Identifier


class RecordTeam(Model):
    """Record teams (团队成员) on an object, and the child objects that inherit them."""

    object: Identifier
    children: list[TeamChild] = Field(default_factory=list)


class RolesFile(Model):
    """Roles of a package: security/roles.yaml."""

    roles: list[Role] = Field(default_factory=list)


class ProfilesFile(Model):
    """Profiles of a package: security/profiles.yaml."""

    profiles: list[Profile] = Field(default_factory=list)


class GroupsFile(Model):
    """Public groups of a package: security/groups.yaml."""

    groups: list[PublicGroup] = Field(default_factory=list)


class SharingRulesFile(Model):
    """Sharing rules of a package: security/sharing_rules.yaml."""

    sharing_rules: list[SharingRule] = Field(default_factory=list)


class DimensionsFile(Model):
    """Data-permission dimensions of a package: security/dimensions.yaml."""

    dimensions: list[Dimension] = Field(default_factory=list)


class TeamsFile(Model):
    """Objects with record teams: security/teams.yaml."""

    teams: list[RecordTeam] = Field(default_factory=list)


#: file stem in ``security/`` → (model, the list it holds)
SECURITY_FILES: dict[str, type[Model]] = {
    "roles": RolesFile,
    "profiles": ProfilesFile,
    "groups": GroupsFile,
    "sharing_rules": SharingRulesFile,
    "dimensions": DimensionsFile,
    "teams": TeamsFile,
}
