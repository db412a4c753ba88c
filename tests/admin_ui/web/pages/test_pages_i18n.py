"""Every word the pages print is in both catalogues, and values are written the locale's way."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from babel.messages.pofile import read_po

from admin_ui.web.pages import i18n
from admin_ui.web.pages.lists import BULK_LABELS, RELATIVE_RANGES, SCOPE_LABELS
from admin_ui.web.pages.records import HISTORY_EVENTS
from admin_ui.web.pages.values import SYSTEM_LABELS

PAGES = Path(i18n.__file__).parent
TEMPLATES = PAGES.parent / "templates" / "app"


def used_messages() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        found |= set(re.findall(r"_\('((?:[^'\\]|\\.)*)'\)", template.read_text(encoding="utf-8")))
    for module in PAGES.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        found |= set(re.findall(r'gettext\(\w+(?:\["language"\])?, "([^"]+)"', text))
        found |= set(re.findall(r'\.gettext\("([^"]+)"\)', text))
    return found | set(SYSTEM_LABELS.values()) | set(SCOPE_LABELS.values()) | set(BULK_LABELS.values()) | set(HISTORY_EVENTS.values()) | set(RELATIVE_RANGES)


def catalogue(language: str) -> dict[str, str]:
    with i18n.catalogue_path(language).open("rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


def test_every_message_is_translated_and_none_is_stale():
    used = used_messages()
    assert len(used) > 40
    chinese, english = catalogue("zh"), catalogue("en")
    assert sorted(used - set(chinese)) == []
    assert sorted(message for message in used if not chinese[message]) == []
    assert set(english) == set(chinese)
    assert sorted(set(chinese) - used) == []


def test_placeholders_survive_translation():
    for message, text in catalogue("zh").items():
        assert re.findall(r"%\(\w+\)s", message) == re.findall(r"%\(\w+\)s", text), message
    assert i18n.gettext("zh", "New %(object)s", object="客户") == "新建客户"
    assert i18n.gettext("en", "this_month") == "This month"


def test_values_are_formatted_per_locale():
    assert i18n.money(Decimal("1234567.5"), "CNY", "en") == "CN¥1,234,567.50"
    assert i18n.money(Decimal("1234567.5"), "CNY", "zh") == "¥1,234,567.50"
    assert i18n.number(Decimal("1234.5"), "en", 2) == "1,234.50"
    assert i18n.percent(Decimal("62.5"), "zh") == "62.5%"
    assert i18n.date(dt.date(2031, 3, 5), "en") == "Mar 5, 2031"
    assert i18n.date(dt.date(2031, 3, 5), "zh") == "2031年3月5日"
    moment = dt.datetime(2031, 3, 5, 23, 30, tzinfo=dt.timezone.utc)
    assert i18n.datetime(moment, "zh", "Asia/Shanghai").startswith("2031年3月6日")
