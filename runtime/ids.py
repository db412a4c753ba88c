"""Record ids: globally unique across objects, time-sortable, URL-safe, fixed length.

An id is a ULID written in lowercase Crockford base32: 48 bits of milliseconds since the Unix
epoch, then 80 random bits from ``os.urandom``, 26 characters in all. Because ids are unique
across every object's table, a polymorphic reference needs no "which table" column to be
unambiguous, and because the time comes first, ids sort (roughly) by creation time, which keeps
B-tree inserts at the right-hand edge of the index.
"""

from __future__ import annotations

import os
import re
import time

__all__ = ["ID_LENGTH", "is_id", "new_id"]

ID_LENGTH = 26
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
_ID_RE = re.compile(rf"^[0-7][{_ALPHABET}]{{{ID_LENGTH - 1}}}$")


def new_id() -> str:
    """A fresh id: 26 lowercase Crockford base32 characters, time first."""
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds << 80) | int.from_bytes(os.urandom(10), "big")
    characters = []
    for _ in range(ID_LENGTH):
        characters.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(characters))


def is_id(value: object) -> bool:
    """Whether ``value`` is written like an id (it says nothing about whether the record exists)."""
    return isinstance(value, str) and _ID_RE.match(value) is not None
