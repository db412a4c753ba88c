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
