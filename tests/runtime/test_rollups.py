"""Roll-up summaries kept current on every child create, update, re-parent, delete, restore and purge."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from fixtures_records import lab_service, new_user, sample_input


@pytest.fixture
def lab(engine):
    service = lab_service(engine)
    actor = new_user(service)
    north = service.create(actor, "lab_site", {"name": "North"})["id"]
    south = service.create(actor, "lab_site", {"name": "South"})["id"]
    return service, actor, north, south


def summary(service, actor, site_id):
    record = service.get(actor, "lab_site", site_id)
    return (record["sample_count"], record["urgent_count"], record["total_cost"], record["max_cost"], record["first_collected"])


def test_a_new_parent_starts_at_zero(lab):
    service, actor, north, _ = lab
    assert summary(service, actor, north) == (0, 0, 0, None, None)


def test_rollups_follow_every_child_write(lab):
    service, actor, north, south = lab
    a = service.create(actor, "lab_sample", sample_input(north, cost="10", collected_on="2026-02-01"))
    b = service.create(actor, "lab_sample", sample_input(north, cost="2.5", collected_on="2026-01-15", urgent=True, slot="08:00"))
    assert summary(service, actor, north) == (2, 1, Decimal("12.50"), Decimal("10.00"), b["collected_on"])
    # update the summarised field
    service.update(actor, "lab_sample", a["id"], {"cost": 1})
    assert summary(service, actor, north)[2:4] == (Decimal("3.50"), Decimal("2.50"))
    # a field the filter reads
    service.update(actor, "lab_sample", a["id"], {"urgent": True, "slot": "09:00"})
    assert summary(service, actor, north)[1] == 2
    # re-parent: both parents change
    service.update(actor, "lab_sample", b["id"], {"site": south})
    assert summary(service, actor, north) == (1, 1, Decimal("1.00"), Decimal("1.00"), a["collected_on"])
    assert summary(service, actor, south) == (1, 1, Decimal("2.50"), Decimal("2.50"), b["collected_on"])
    # delete, restore, purge
    service.delete(actor, "lab_sample", a["id"])
    assert summary(service, actor, north) == (0, 0, 0, None, None)
    service.restore(actor, "lab_sample", a["id"])
    assert summary(service, actor, north)[0] == 1
    service.delete(actor, "lab_sample", a["id"])
    service.purge(actor, "lab_sample", a["id"])
    assert summary(service, actor, north)[0] == 0


def test_bulk_create_refreshes_each_parent_once(lab):
    service, actor, north, south = lab
    service.bulk_create(actor, "lab_sample", [sample_input(north, cost=1)] * 3 + [sample_input(south, cost=7)])
    assert summary(service, actor, north)[:3] == (3, 0, Decimal("3.00"))
    assert summary(service, actor, south)[:3] == (1, 0, Decimal("7.00"))


def test_rollup_upkeep_does_not_bump_the_parent_version(lab):
    service, actor, north, _ = lab
    service.create(actor, "lab_sample", sample_input(north))
    assert service.get(actor, "lab_site", north)["version"] == 1


def test_concurrent_children_are_all_counted(lab):
    service, actor, north, _ = lab
    failures: list[BaseException] = []

    def add():
        try:
            for _ in range(5):
                service.create(actor, "lab_sample", sample_input(north, cost=1))
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert summary(service, actor, north)[:3] == (20, 0, Decimal("20.00"))


def test_a_rollup_over_formulas_follows_the_fields_they_read(lab):
    # large_total sums the formula total (cost * quantity) of the samples whose total exceeds 10:
    # a change of cost or quantity changes both what is summed and what is counted in.
    service, actor, north, south = lab
    small = service.create(actor, "lab_sample", sample_input(north, cost="5", quantity=1))
    service.create(actor, "lab_sample", sample_input(north, cost="5", quantity=3))
    assert service.get(actor, "lab_site", north)["large_total"] == Decimal("15.00")
    service.update(actor, "lab_sample", small["id"], {"quantity": 4})
    assert service.get(actor, "lab_site", north)["large_total"] == Decimal("35.00")
    service.update(actor, "lab_sample", small["id"], {"cost": "2"})
    assert service.get(actor, "lab_site", north)["large_total"] == Decimal("15.00")
    service.update(actor, "lab_sample", small["id"], {"site": south, "cost": "3"})
    assert service.get(actor, "lab_site", south)["large_total"] == Decimal("12.00")
