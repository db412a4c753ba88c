"""Fixture packages and helpers of the record and query tests.

``lab`` is a small laboratory package (sites, samples, instruments, notes) using every field
type, business types, dependent picklists, validation rules, formulas, roll-ups and every kind of
reference, so the runtime is proven on a domain that is not the CRM.
"""

from __future__ import annotations

from pathlib import Path

from metadata.registry import SYSTEM_PACKAGE
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site

LAB_PACKAGE = Path(__file__).parent / "lab"
FIXED_NOW = "2026-03-15T10:00:00+00:00"


def lab_service(engine) -> RecordService:
    """A record service over a new site holding the system and lab packages."""
    return RecordService(init_site(engine, [SYSTEM_PACKAGE, LAB_PACKAGE]))


def new_user(service: RecordService, username: str = "ann") -> Actor:
    """An actor for a freshly created user."""
    user = service.create(SYSTEM, "user", {"username": username, "name": username.title()})
    return Actor(user_id=user["id"])


def sample_input(site_id: str, **values) -> dict:
    """A valid clinical sample for ``site_id``, with ``values`` on top."""
    return {"site": site_id, "collected_on": "2026-03-01", "kind": "blood", "label_text": "A1", **values}
