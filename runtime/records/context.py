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
    #: the user's own zone: how their pages show datetimes, nothing more. What day it is comes
    #: from the site's time zone (:attr:`runtime.site.Site.zone`), the same for every reader.
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

    def today(self, zone: ZoneInfo) -> dt.date:
        """Today's date in ``zone``: pass the site's zone, so every reader agrees on the day."""
        return self.moment().astimezone(zone).date()


SYSTEM = Actor(user_id=None, system=True)
