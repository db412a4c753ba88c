"""Record ids: globally unique across objects, time-sortable, URL-safe, fixed length.

An id is a ULID written in lowercase Crockford base32: 48 bits of milliseconds since the Unix
epoch, then 80 random bits from ``os.urandom``, 26 characters in all. Because ids are unique
across every object's table, a polymorphic reference needs no "which table" column to be
unambiguous, and because the time comes first, ids sort (roughly) by creation time, which keeps
B-tree inserts at the right-hand edge of the index.
"""

from __future__ import annotations

import base64
import os
import re
import time

__all__ = ["ID_LENGTH", "is_id", "new_id"]

ID_LENGTH = 26
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)
_ID_RE = re.compile(rf"^[0-7][{_ALPHABET}]{{{ID_LENGTH - 1}}}$")


def new_id() -> str:
    """A fresh id: 26 lowercase Crockford base32 characters, time first."""
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds << 80) | int.from_bytes(os.urandom(10), "big")
    # The 130 bits of 26 characters, moved to the top of 160 bits, are the first 26 characters
    # of the standard base32 of those 20 bytes; C does the encoding, one translate the alphabet
    # (ids are made for every record and every history row: a bulk create makes thousands).
    encoded = base64.b32encode((value << 30).to_bytes(20, "big"))[:ID_LENGTH]
    return encoded.decode("ascii").translate(_TO_CROCKFORD)


def is_id(value: object) -> bool:
    """Whether ``value`` is written like an id (it says nothing about whether the record exists)."""
    return isinstance(value, str) and _ID_RE.match(value) is not None
