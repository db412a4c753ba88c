"""Who is acting and when: the :class:`Actor` every read and write is done for.

Every entry point builds one Actor per request (``admin_ui``) or per job and passes it down; the
runtime never looks up a current user anywhere else. The security layer will read the same object
to build its record predicate, so this is the one place a request's identity lives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Actor:
    """The user a read or write is done for, the language of messages, and the moment of the request."""

    user_id: str | None = None
    language: str = "en"
    time_zone: str = "UTC"
    #: a fixed moment for the whole request (tests, batch jobs); None means "the clock, when asked"
    now: dt.datetime | None = None
    #: platform jobs (package data, processes) may set read-only fields
    system: bool = False
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))

    def moment(self) -> dt.datetime:
        """The current moment in UTC (fixed when ``now`` was given)."""
        if self.now is not None:
            return self.now.astimezone(dt.timezone.utc) if self.now.tzinfo else self.now.replace(tzinfo=dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc)

    def today(self) -> dt.date:
        """Today's date in the actor's time zone."""
        return self.moment().astimezone(self.zone).date()


SYSTEM = Actor(user_id=None, system=True)
