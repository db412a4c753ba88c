"""The record pipeline: create, read, update, delete, restore, purge and bulk-create records.

    service = RecordService(site)
    record = service.create(Actor(user_id=…), "hosp_device", {"name": "X-ray 2", "price": "1200"})
    service.update(actor, "hosp_device", record["id"], {"price": 1100}, version=record["version"])

See docs/runtime.md (Records) for the pipeline's steps and the error codes.
"""

from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService

__all__ = ["SYSTEM", "Actor", "RecordService"]
