"""Record and field security: who may see and change what, compiled into SQL.

:class:`SecurityPolicy` is the :class:`~runtime.query.access.AccessPolicy` of a site. It answers
the record pipeline's four questions (record predicate, readable fields, object actions, editable
fields) and the questions the web layer asks to draw pages (object and field permissions, the
objects a user may open, why a user may or may not reach a record). See docs/security.md.

    policy = SecurityPolicy(site)
    service = RecordService(site, access=policy)
    assign(site, user_id, roles=["manager"], profiles=["sales_rep"])
"""

from __future__ import annotations

from runtime.security.assignments import assign, set_assistants, set_dimension_values, set_group_members, set_team_member, team_of
from runtime.security.errors import SecurityError
from runtime.security.policy import SecurityPolicy

__all__ = [
    "ADMINISTRATOR",
    "SecurityError",
    "SecurityPolicy",
    "assign",
    "set_assistants",
    "set_dimension_values",
    "set_group_members",
    "set_team_member",
    "team_of",
]

#: the preset role that sees and changes everything; it cannot be edited
ADMINISTRATOR = "administrator"
