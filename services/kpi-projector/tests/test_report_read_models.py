"""The report read-models (day counters) against a real Redis: values by hand, exactly-once under duplicates,
redeliveries and any order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from kpi_projector_testkit import REPORT_NOW, Events, at, batch_of, report_history
from redis.asyncio import Redis

from heyzack_shared.envelope import Envelope
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation

DAYS = [date(2026, 10, day) for day in range(20, 32)] + [date(2026, 11, day) for day in range(1, 26)]


async def project(
    redis: Redis, namespace: str, *batches: Sequence[Envelope], zone: str = "Europe/Paris"
) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace, zone=ZoneInfo(zone))
    for events in batches:
        await store.apply(batch_of(events))
    await store.flush()


async def day_counters(redis: Redis, namespace: str, partner_id: str) -> dict[date, dict[str, int]]:
    counters = await ReadModels(redis, namespace).day_counters(partner_id, DAYS)
    # The installations' counters of the inventory tab (`inv:`) are tested with that tab.
    return {
        day: {name: n for name, n in values.items() if n and not name.startswith("inv:")}
        for day, values in counters.items()
        if values
    }


async def test_day_counters_of_the_report_history(redis: Redis, namespace: str, events: Events) -> None:
    await project(redis, namespace, report_history(events))

    counters = await day_counters(redis, namespace, events.partner_id)

    assert {day: values for day, values in counters.items() if any(v for v in values.values())} == {
        date(2026, 10, 20): {
            "inst:created": 1,
            "inst:created:thermostat": 1,
            "inst:status:CUSTOMER_APPROVED": 1,
            "inst:device_status:thermostat:CUSTOMER_APPROVED": 1,
        },
        date(2026, 10, 27): {"inst:jobs": 1, "inst:job_seconds": 30 * 60},
        date(2026, 10, 28): {"inst:approved_on": 1},
        date(2026, 10, 30): {
            "inst:created": 1,
            "inst:created:camera": 1,
            "inst:status:CUSTOMER_APPROVED": 1,
            "inst:device_status:camera:CUSTOMER_APPROVED": 1,
        },
        date(2026, 10, 31): {
            "inst:created": 1,
            "inst:created:camera": 1,
            "inst:status:WORK_COMPLETED": 1,
            "inst:device_status:camera:WORK_COMPLETED": 1,
            "inst:jobs": 1,
            "inst:job_seconds": 90 * 60,
        },
        date(2026, 11, 1): {
            "inst:created": 1,
            "inst:created:smart_lock": 1,
            "inst:status:CANCELLED": 1,
            "inst:device_status:smart_lock:CANCELLED": 1,
            "inst:jobs": 1,
            "inst:job_seconds": 60 * 60,
        },
        date(2026, 11, 2): {"inst:approved_on": 1},
        date(2026, 11, 24): {
            "inst:created": 1,
            "inst:created:alarm": 1,
            "inst:status:CUSTOMER_APPROVED": 1,
            "inst:device_status:alarm:CUSTOMER_APPROVED": 1,
            "inst:jobs": 1,
            "inst:job_seconds": 120 * 60,
        },
        date(2026, 11, 25): {
            "inst:created": 2,
            "inst:created:alarm": 1,
            "inst:created:camera": 1,
            "inst:status:CUSTOMER_APPROVED": 1,
            "inst:status:SCHEDULED": 1,
            "inst:device_status:alarm:CUSTOMER_APPROVED": 1,
            "inst:device_status:camera:SCHEDULED": 1,
            "inst:approved_on": 2,
            "inst:jobs": 1,
            "inst:job_seconds": 45 * 60,
        },
    }


async def test_day_counters_are_exactly_once_whatever_the_order_and_duplicates(
    redis: Redis, namespace: str, events: Events
) -> None:
    history = report_history(events)
    await project(redis, namespace, history)
    expected = await day_counters(redis, namespace, events.partner_id)

    for seed in range(3):
        partner = Events(f"{events.partner_id}-{seed}")
        events_of_partner = [event.model_copy(update={"partner_id": partner.partner_id}) for event in history]
        chosen = random.Random(seed)
        mixed = events_of_partner * 2
        chosen.shuffle(mixed)
        # Batches of 1 to 5 events (a job's events merged in one batch or spread over several), then a
        # redelivery of everything.
        batches: list[Sequence[Envelope]] = []
        i = 0
        while i < len(mixed):
            size = chosen.randint(1, 5)
            batches.append(mixed[i : i + size])
            i += size
        await project(redis, namespace, *batches, events_of_partner)
        assert await day_counters(redis, namespace, partner.partner_id) == expected, seed


async def test_a_restarted_job_moves_its_duration_to_the_new_completion_day(
    redis: Redis, namespace: str, events: Events
) -> None:
    """Per-field last writer wins: the latest IN_PROGRESS / WORK_COMPLETED moments count, once."""
    first = report_history(events)[:3]  # A: created, IN_PROGRESS 10-31 09:00Z, WORK_COMPLETED 10:30Z
    again = [
        at(events.status("A", "WORK_COMPLETED", "IN_PROGRESS", version=4), REPORT_NOW.replace(hour=7)),
        at(events.status("A", "IN_PROGRESS", "WORK_COMPLETED", version=5), REPORT_NOW.replace(hour=8)),
    ]
    await project(redis, namespace, [*first, again[1]], [again[0], *first])

    counters = await day_counters(redis, namespace, events.partner_id)

    assert counters[date(2026, 11, 25)] == {"inst:jobs": 1, "inst:job_seconds": 60 * 60}
    assert date(2026, 10, 31) not in counters


async def test_business_days_follow_the_time_zone_setting(
    redis: Redis, namespace: str, events: Events
) -> None:
    b = report_history(events)[4]  # B: created 2026-10-31 22:30Z
    await project(redis, namespace, [b], zone="UTC")
    assert await day_counters(redis, namespace, events.partner_id) == {
        date(2026, 10, 31): {
            "inst:created": 1,
            "inst:created:camera": 1,
            "inst:status:SCHEDULED": 1,
            "inst:device_status:camera:SCHEDULED": 1,
        }
    }
