"""A realistic, reproducible installations workload and the dashboard figures it must produce.

Each partner has customers (some deactivated later), handymen (availability changes, profile updates) and
installations going through the workflow (most approved, some cancelled, some still open). Every aggregate's
events carry growing versions and times; the stream interleaves all partners in time order, like the
installations service's outbox would publish them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope

START = datetime(2026, 10, 1, tzinfo=UTC)
WORKFLOW = ("IN_PROGRESS", "WORK_COMPLETED", "CUSTOMER_APPROVED")
DEVICES = [device.value for device in inst.DeviceType]
SKILLS = ("smart_lock", "camera", "thermostat", "network", "alarm", "lighting")


@dataclass
class Expected:
    """The first four dashboard cards of one partner, as the events define them."""

    customers: int = 0
    installations: int = 0
    completed: int = 0
    handymen: int = 0
    available: int = 0


@dataclass
class Workload:
    events: list[tuple[datetime, Envelope]] = field(default_factory=list)
    expected: dict[str, Expected] = field(default_factory=dict)

    def ordered(self) -> list[Envelope]:
        return [event for _, event in sorted(self.events, key=lambda pair: pair[0])]


class _Aggregate:
    def __init__(self, workload: Workload, rng: random.Random, partner_id: str, aggregate_id: str) -> None:
        self.workload, self.partner_id, self.aggregate_id = workload, partner_id, aggregate_id
        self.version = 0
        self.at = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 50))
        self.rng = rng

    def emit(self, event_type: type[Envelope], data: inst.EventData) -> None:
        self.version += 1
        self.at += timedelta(minutes=self.rng.randrange(1, 60 * 24 * 3))
        event = event_type.new(
            partner_id=self.partner_id,
            aggregate_id=self.aggregate_id,
            aggregate_version=self.version,
            data=data,
            occurred_at=self.at,
        )
        self.workload.events.append((self.at, event))


def build(target_events: int, *, seed: int = 7) -> Workload:
    """At least `target_events` events over as many partners as it takes (about 2,000 events each)."""
    rng = random.Random(seed)
    workload = Workload()
    number = 0
    while len(workload.events) < target_events:
        number += 1
        partner_id = f"bench-partner-{number:04d}"
        workload.expected[partner_id] = _partner(workload, rng, partner_id)
    return workload


def _partner(workload: Workload, rng: random.Random, partner_id: str) -> Expected:
    expected = Expected()
    customers = [f"cust-{n:05d}" for n in range(150)]
    for customer_id in customers:
        customer = _Aggregate(workload, rng, partner_id, customer_id)
        customer.emit(
            inst.CustomerRegistered,
            inst.CustomerRegisteredData(
                customer_id=customer_id,
                name=f"Customer {customer_id}",
                email=f"{customer_id}@example.com",
                active=True,
            ),
        )
        if rng.random() < 0.2:
            customer.emit(
                inst.CustomerStatusChanged,
                inst.CustomerStatusChangedData(customer_id=customer_id, active=False),
            )
        expected.customers += 1
    handymen = [f"hm-{n:03d}" for n in range(10)]
    for handyman_id in handymen:
        expected.available += _handyman(_Aggregate(workload, rng, partner_id, handyman_id), rng)
        expected.handymen += 1
    for n in range(400):
        installation_id = f"inst-{n:05d}"
        job = _Aggregate(workload, rng, partner_id, installation_id)
        final = _installation(job, rng, rng.choice(customers), rng.choice(handymen))
        expected.installations += 1
        expected.completed += final == "CUSTOMER_APPROVED"
    return expected


def _handyman(handyman: _Aggregate, rng: random.Random) -> bool:
    skills = {skill: rng.randrange(0, 6) for skill in rng.sample(SKILLS, 3)}
    handyman.emit(
        inst.HandymanRegistered,
        inst.HandymanRegisteredData(
            handyman_id=handyman.aggregate_id,
            name=f"Handyman {handyman.aggregate_id}",
            availability=inst.Availability.AVAILABLE,
            certifications=["electrical"],
            skills=skills,
        ),
    )
    availability = inst.Availability.AVAILABLE
    for _ in range(rng.randrange(2, 7)):
        availability = rng.choice(list(inst.Availability))
        handyman.emit(
            inst.HandymanAvailabilityChanged,
            inst.HandymanAvailabilityChangedData(
                handyman_id=handyman.aggregate_id, availability=availability
            ),
        )
    handyman.emit(
        inst.HandymanProfileUpdated,
        inst.HandymanProfileUpdatedData(
            handyman_id=handyman.aggregate_id, certifications=["electrical", "alarm"], skills=skills
        ),
    )
    return availability is inst.Availability.AVAILABLE


def _installation(job: _Aggregate, rng: random.Random, customer_id: str, handyman_id: str) -> str:
    job.emit(
        inst.InstallationCreated,
        inst.InstallationCreatedData(
            installation_id=job.aggregate_id,
            customer_id=customer_id,
            device_type=rng.choice(DEVICES),
            products=[inst.ProductLine(sku=f"SKU-{rng.randrange(40):03d}", quantity=rng.randrange(1, 4))],
            price_cents=rng.randrange(5_000, 250_000),
            scheduled_for=job.at + timedelta(days=3),
        ),
    )
    job.emit(
        inst.HandymanAssigned,
        inst.HandymanAssignedData(installation_id=job.aggregate_id, handyman_id=handyman_id),
    )
    status = "SCHEDULED"
    steps = rng.choices([0, 1, 2, 3], weights=[5, 5, 10, 80])[0]
    for to_status in WORKFLOW[:steps]:
        _move(job, status, to_status)
        status = to_status
    if status != "CUSTOMER_APPROVED" and rng.random() < 0.3:
        _move(job, status, "CANCELLED")
        status = "CANCELLED"
    return status


def _move(job: _Aggregate, from_status: str, to_status: str) -> None:
    job.emit(
        inst.InstallationStatusChanged,
        inst.InstallationStatusChangedData(
            installation_id=job.aggregate_id,
            from_status=inst.InstallationStatus(from_status),
            to_status=inst.InstallationStatus(to_status),
        ),
    )
