"""Site settings: behaviour an admin chooses for the whole site, kept in the site's database.

Settings are configuration, not metadata: they do not travel with packages and are not part of a
change set. They live in ``tessera_site_setting`` (one row per setting, text value), are read when
the site opens (:func:`runtime.site.open_site`) and changed by :func:`set_setting`, which checks
the value first. A running server reads them when it starts.

``time_zone``
    The IANA zone (``Asia/Shanghai``, ``UTC``…) that gives ``TODAY()`` its date, relative date
    filters (``today``, ``this_month``…) their day boundaries and auto-numbers their period, for
    every reader alike: pages, API, export, import and the CLI. New users get it as their own
    time zone, which only changes how their pages display datetimes. Default ``UTC``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa

from runtime.errors import SiteError

__all__ = ["SETTINGS", "SETTING_TABLE", "Setting", "build_tables", "read_settings", "set_setting"]

SETTING_TABLE = "tessera_site_setting"


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteError(f"'{value}' is not a time zone; use an IANA name such as Asia/Shanghai or UTC") from None
    if value not in available_timezones() and value != "UTC":
        # ZoneInfo also opens files such as "posixrules" that are not zone names
        raise SiteError(f"'{value}' is not a time zone; use an IANA name such as Asia/Shanghai or UTC")
    return value


@dataclass(frozen=True)
class Setting:
    """A setting: its name, its value when never set, and the check a new value passes."""

    name: str
    default: str
    check: Callable[[str], str]
    help: str


#: every site setting, by name
SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting("time_zone", "UTC", _time_zone, "the zone TODAY(), relative date filters and auto-numbers use"),
    )
}


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Add the settings table to ``metadata`` (pure: no database)."""
    table = sa.Table(
        SETTING_TABLE,
        metadata,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    return {SETTING_TABLE: table}


def read_settings(connection: sa.Connection, table: sa.Table) -> dict[str, str]:
    """Every setting's value: what was set, else its default."""
    stored: Mapping[str, str] = {row.name: row.value for row in connection.execute(sa.select(table.c.name, table.c.value))}
    return {name: stored.get(name, setting.default) for name, setting in SETTINGS.items()}


def set_setting(connection: sa.Connection, table: sa.Table, name: str, value: str) -> str:
    """Store ``value`` for setting ``name`` (checked first); returns the value stored.

    Raises SiteError naming the setting when there is no such setting or the value is not valid.
    """
    setting = SETTINGS.get(name)
    if setting is None:
        raise SiteError(f"there is no site setting '{name}'; settings: {', '.join(sorted(SETTINGS))}")
    value = setting.check(value.strip())
    updated = connection.execute(sa.update(table).where(table.c.name == name).values(value=value))
    if not updated.rowcount:
        connection.execute(sa.insert(table).values(name=name, value=value))
    return value
