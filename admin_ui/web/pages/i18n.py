"""The pages' own words, in English and Chinese, and numbers and dates written per locale.

The catalogues are Babel ``.po`` files in ``admin_ui/locale/<language>/LC_MESSAGES/messages.po``.
They are compiled in memory the first time a language is asked for, so running from a checkout
needs no build step. Labels that come from metadata are bilingual already and never go through
here; only the interface's chrome does.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).parents[2] / "locale"
#: the Babel locale each page language formats with
LOCALES = {"en": Locale.parse("en_US"), "zh": Locale.parse("zh_Hans_CN")}


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@functools.lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (the English one for anything unknown)."""
    language = language if language in LANGUAGES else "en"
    with catalogue_path(language).open("rb") as handle:
        catalogue = read_po(handle, locale=LOCALES[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(language: str, message: str, **values) -> str:
    """``message`` translated into ``language``, with ``%(name)s`` placeholders filled."""
    text = translations(language).gettext(message)
    return text % values if values else text


def _decimal(value) -> Decimal | None:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def number(value, language: str, scale: int | None = None, *, grouped: bool = True) -> str:
    """A number in the language's notation; ``grouped=False`` leaves out thousands separators
    (a field with ``format: plain``: a year reads 2026, not 2,026)."""
    amount = _decimal(value)
    if amount is None:
        return str(value)
    digits = "#,##0" if grouped else "0"
    if scale is None:
        pattern = None if grouped else "0.################"
    else:
        pattern = digits + ("." + "0" * scale if scale else "")
    return format_decimal(amount, format=pattern, locale=LOCALES[language])


def money(value, currency: str, language: str) -> str:
    amount = _decimal(value)
    if amount is None:
        return str(value)
    return format_currency(amount, currency.upper(), locale=LOCALES[language])


def percent(value, language: str) -> str:
    amount = _decimal(value)
    if amount is None:
        return str(value)
    return format_percent(amount / 100, format="#,##0.##%", locale=LOCALES[language])


def date(value, language: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, format="medium", locale=LOCALES[language])


def datetime(value, language: str, zone: str = "UTC") -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return format_datetime(value.astimezone(ZoneInfo(zone)), format="medium", locale=LOCALES[language])


def time(value, language: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            return value
    return format_time(value, format="short", locale=LOCALES[language])
