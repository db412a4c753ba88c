"""Records the page tests start from (created as the platform, owned by whom the test says)."""

from __future__ import annotations

from runtime.records.context import SYSTEM


def make_account(services, owner: str, name: str, **values) -> str:
    data = {"name": name, "industry": "manufacturing", "owner": owner, **values}
    return services.records.create(SYSTEM, "account", data)["id"]


def make_opportunity(services, owner: str, account: str, name: str, **values) -> str:
    import datetime as dt

    data = {"name": name, "account": account, "owner": owner, "close_date": (dt.date.today() + dt.timedelta(days=30)).isoformat(), **values}
    return services.records.create(SYSTEM, "opportunity", data)["id"]
