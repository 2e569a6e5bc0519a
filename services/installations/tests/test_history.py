"""Importing past records: through the domain and the outbox, stamped with the records' moments, once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heyzack_shared.aggregate import new_id
from heyzack_shared.contracts.installations import (
    Availability,
    DeviceType,
    HandymanAssigned,
    InstallationCreated,
    InstallationStatus,
    InstallationStatusChanged,
    ProductLine,
)
from heyzack_shared.envelope import Envelope
from heyzack_shared.errors import Invalid
from installations.domain import ForbiddenTransition
from installations.history import (
    ImportCustomer,
    ImportHandyman,
    ImportInstallation,
    import_customer,
    import_handyman,
    import_installation,
)
from installations.unit_of_work import UnitOfWork

OutboxEvents = Callable[[str], Awaitable[list[Envelope]]]
DAY = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
Status = InstallationStatus


def job(partner: str, customer_id: str, handyman_id: str) -> ImportInstallation:
    """Created, assigned three hours before the visit, two hours of work, approved the next day."""
    return ImportInstallation(
        partner_id=partner,
        installation_id=new_id("ins"),
        customer_id=customer_id,
        device_type=DeviceType.ALARM,
        products=[ProductLine(sku="HZ-ALARM-KIT", quantity=1)],
        price_cents=54_900,
        scheduled_for=DAY + timedelta(days=2),
        created_at=DAY,
        assignments=((DAY + timedelta(days=2, hours=-3), handyman_id),),
        statuses=(
            (DAY + timedelta(days=2), Status.IN_PROGRESS),
            (DAY + timedelta(days=2, hours=2), Status.WORK_COMPLETED),
            (DAY + timedelta(days=3), Status.CUSTOMER_APPROVED),
        ),
    )


async def people(pool: asyncpg.Pool, partner: str) -> tuple[str, str]:
    customer = ImportCustomer(
        partner_id=partner,
        customer_id=new_id("cus"),
        name="Ada",
        email="ada@example.com",
        active=True,
        registered_at=DAY - timedelta(days=30),
    )
    handyman = ImportHandyman(
        partner_id=partner,
        handyman_id=new_id("hdm"),
        name="Bob",
        availability=Availability.AVAILABLE,
        certifications=["HeyZack Certified Installer"],
        skills={"alarm": 5},
        registered_at=DAY - timedelta(days=40),
        availability_changes=((DAY + timedelta(days=5), Availability.OFF_DUTY),),
    )
    assert await import_customer(customer, UnitOfWork(pool))
    assert await import_handyman(handyman, UnitOfWork(pool))
    return customer.customer_id, handyman.handyman_id


async def test_an_imported_job_emits_its_history_at_its_moments_once(
    pool: asyncpg.Pool, partner: str, outbox_events: OutboxEvents
) -> None:
    customer_id, handyman_id = await people(pool, partner)
    record = job(partner, customer_id, handyman_id)

    assert await import_installation(record, UnitOfWork(pool))
    assert not await import_installation(record, UnitOfWork(pool))

    events = await outbox_events(record.installation_id)
    assert [type(event) for event in events] == [
        InstallationCreated,
        HandymanAssigned,
        *[InstallationStatusChanged] * 3,
    ]
    assert [event.aggregate_version for event in events] == [1, 2, 3, 4, 5]
    moments = [record.created_at, *(at for at, _ in record.assignments), *(at for at, _ in record.statuses)]
    assert [event.occurred_at for event in events] == moments
    handyman = await outbox_events(handyman_id)
    assert [event.occurred_at for event in handyman] == [DAY - timedelta(days=40), DAY + timedelta(days=5)]


async def test_an_import_in_the_future_or_against_the_workflow_writes_nothing(
    pool: asyncpg.Pool, partner: str, outbox_events: OutboxEvents
) -> None:
    customer_id, handyman_id = await people(pool, partner)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    future = replace(job(partner, customer_id, handyman_id), statuses=((tomorrow, Status.IN_PROGRESS),))
    skipping = replace(job(partner, customer_id, handyman_id), statuses=((DAY, Status.CUSTOMER_APPROVED),))

    with pytest.raises(Invalid):
        await import_installation(future, UnitOfWork(pool))
    with pytest.raises(ForbiddenTransition):
        await import_installation(skipping, UnitOfWork(pool))

    assert await outbox_events(future.installation_id) == []
    assert await outbox_events(skipping.installation_id) == []


async def test_concurrent_imports_of_one_job_take_effect_once(
    pool: asyncpg.Pool, partner: str, outbox_events: OutboxEvents
) -> None:
    """Two loaders at once: the second waits for the first's claim, then finds its row (no second history
    of events with new ids, which consumers would take for new facts)."""
    customer_id, handyman_id = await people(pool, partner)
    record = job(partner, customer_id, handyman_id)

    warm = [await pool.acquire() for _ in range(4)]  # so no import waits for a new connection meanwhile
    for connection in warm:
        await pool.release(connection)
    outcomes = await asyncio.gather(*(import_installation(record, UnitOfWork(pool)) for _ in range(4)))

    assert sorted(outcomes) == [False, False, False, True]
    assert len(await outbox_events(record.installation_id)) == 5
