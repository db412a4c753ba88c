"""Record ids: fixed length, URL-safe lowercase, unique, time-sortable."""

from __future__ import annotations

import time

from runtime.ids import ID_LENGTH, is_id, new_id


def test_ids_are_fixed_length_lowercase_crockford():
    for _ in range(200):
        value = new_id()
        assert len(value) == ID_LENGTH == 26
        assert set(value) <= set("0123456789abcdefghjkmnpqrstvwxyz")
        assert is_id(value)


def test_ids_are_unique():
    values = {new_id() for _ in range(20_000)}
    assert len(values) == 20_000


def test_ids_sort_by_creation_time():
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert first < second
    assert first[:10] <= second[:10]  # the time prefix


def test_is_id_rejects_other_text():
    assert not is_id("ABCDEFGHJKMNPQRSTVWXYZ0123")  # upper case
    assert not is_id("0" * 25)
    assert not is_id("0" * 25 + "u")  # not Crockford
    assert not is_id(None)
    assert not is_id("8" + "0" * 25)  # past the 48-bit time range


def test_ids_spell_the_time_then_the_random_bits(monkeypatch):
    # 26 base32 digits of (milliseconds << 80 | 80 random bits), most significant first
    monkeypatch.setattr("runtime.ids.time.time_ns", lambda: 1_764_633_600_123_456_789)
    monkeypatch.setattr("runtime.ids.os.urandom", lambda n: bytes(range(1, n + 1)))
    value = (1_764_633_600_123 << 80) | int.from_bytes(bytes(range(1, 11)), "big")
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    expected = "".join(alphabet[(value >> (5 * (25 - position))) & 31] for position in range(26))
    assert new_id() == expected
