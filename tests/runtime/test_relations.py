"""References: lookup checks, master-detail cascade to the recycle bin and back, restrict, set-null."""

from __future__ import annotations

import pytest
from fixtures_records import lab_service, new_user, sample_input

from runtime.errors import DeleteRestrictedError, RecordNotFoundError, RecordValidationError


@pytest.fixture
def lab(engine):
    service = lab_service(engine)
    actor = new_user(service)
    site = service.create(actor, "lab_site", {"name": "North"})["id"]
    return service, actor, site


def test_lookups_to_records_in_the_recycle_bin_are_refused(lab):
    service, actor, site = lab
    instrument = service.create(actor, "lab_instrument", {"name": "Centrifuge"})["id"]
    service.delete(actor, "lab_instrument", instrument)
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "lab_sample", sample_input(site, instrument=instrument))
    assert [(e.field, e.code) for e in caught.value.errors] == [("instrument", "lookup_deleted")]
    assert "recycle bin" in caught.value.errors[0].message_en and "回收站" in caught.value.errors[0].message_zh


def test_master_detail_cascades_to_the_recycle_bin_and_back(lab):
    service, actor, site = lab
    kept = service.create(actor, "lab_sample", sample_input(site, label_text="kept"))["id"]
    gone_before = service.create(actor, "lab_sample", sample_input(site, label_text="early"))["id"]
    service.delete(actor, "lab_sample", gone_before)
    service.delete(actor, "lab_site", site)
    with pytest.raises(RecordNotFoundError):
        service.get(actor, "lab_sample", kept)
    # a child cannot come back while its parent is in the recycle bin
    with pytest.raises(RecordValidationError) as caught:
        service.restore(actor, "lab_sample", kept)
    assert [(e.field, e.code) for e in caught.value.errors] == [("site", "parent_deleted")]
    service.restore(actor, "lab_site", site)
    assert service.get(actor, "lab_sample", kept)["label_text"] == "kept"
    # the child deleted on its own earlier stays in the recycle bin
    with pytest.raises(RecordNotFoundError):
        service.get(actor, "lab_sample", gone_before)
    assert service.get(actor, "lab_site", site)["sample_count"] == 1


def test_restrict_refuses_and_names_the_blocking_records(lab):
    service, actor, site = lab
    instrument = service.create(actor, "lab_instrument", {"name": "Centrifuge"})["id"]
    service.bulk_create(actor, "lab_sample", [sample_input(site, instrument=instrument, label_text=f"L{i}") for i in range(4)])
    with pytest.raises(DeleteRestrictedError) as caught:
        service.delete(actor, "lab_instrument", instrument)
    error = caught.value.errors[0]
    assert error.code == "restricted"
    assert error.message_en.endswith("4 Sample record(s) refer to it through 'instrument' (S-2026-0001, S-2026-0002, S-2026-0003).")
    assert "4 条样本记录" in error.message_zh
    # children in the recycle bin do not block; the parent's delete took them there
    service.delete(actor, "lab_site", site)
    service.delete(actor, "lab_instrument", instrument)


def test_purge_clears_references_and_removes_children(lab):
    service, actor, site = lab
    sample = service.create(actor, "lab_sample", sample_input(site))["id"]
    note = service.create(actor, "lab_note", {"title": "about it", "sample": sample})["id"]
    service.delete(actor, "lab_site", site)
    service.purge(actor, "lab_site", site)
    assert service.get(actor, "lab_note", note)["sample"] is None  # set_null on purge
    for object_name, record_id in (("lab_site", site), ("lab_sample", sample)):
        with pytest.raises(RecordNotFoundError):
            service.restore(actor, object_name, record_id)


def test_purge_is_restricted_by_live_records(lab):
    service, actor, site = lab
    instrument = service.create(actor, "lab_instrument", {"name": "Scope"})["id"]
    sample = service.create(actor, "lab_sample", sample_input(site, instrument=instrument))["id"]
    with service.site.begin() as connection:  # the platform moved it to the bin regardless
        table = service.site.table("lab_instrument")
        connection.execute(table.update().where(table.c.id == instrument).values(deleted_at=table.c.created_at))
    with pytest.raises(DeleteRestrictedError):
        service.purge(actor, "lab_instrument", instrument)
    service.delete(actor, "lab_sample", sample)
    service.purge(actor, "lab_instrument", instrument)
    service.restore(actor, "lab_sample", sample)
    assert service.get(actor, "lab_sample", sample)["instrument"] is None
