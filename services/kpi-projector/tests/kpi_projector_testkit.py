"""Test kit of the projector's tests: contract events of one partner, and consumer batches of them.

Imported by the tests as `kpi_projector_testkit` (conftest.py puts this folder on sys.path; the name is unique
across the workspace so no other service's test module can shadow it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import TopicPartition
from redis.asyncio import Redis

from heyzack_shared.batches import Batch, Delivery, Span
from heyzack_shared.contracts import credits, ratings
from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope, EventData
from kpi_projector.keyspace import Keys
from kpi_projector.projections import AggregateChange
from kpi_projector.read_models import ReadModels

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Events:
    """Contract events of one partner; business time grows with the version, as a real aggregate's does."""

    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id

    def _new(
        self,
        event_type: type[Envelope],
        aggregate_id: str,
        version: int,
        data: EventData,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        return event_type.new(
            partner_id=self.partner_id,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            data=data,
            occurred_at=occurred_at or START + timedelta(minutes=version),
        )

    def customer(self, customer_id: str, *, version: int = 1, active: bool = True) -> Envelope:
        if version == 1:
            data = inst.CustomerRegisteredData(
                customer_id=customer_id, name="Ada", email="ada@example.com", active=active
            )
            return self._new(inst.CustomerRegistered, customer_id, version, data)
        status = inst.CustomerStatusChangedData(customer_id=customer_id, active=active)
        return self._new(inst.CustomerStatusChanged, customer_id, version, status)

    def handyman(self, handyman_id: str, availability: str = "AVAILABLE", *, version: int = 1) -> Envelope:
        if version == 1:
            data = inst.HandymanRegisteredData(
                handyman_id=handyman_id,
                name="Bob",
                availability=inst.Availability(availability),
                certifications=["electrical"],
                skills={"camera": 4},
            )
            return self._new(inst.HandymanRegistered, handyman_id, version, data)
        change = inst.HandymanAvailabilityChangedData(
            handyman_id=handyman_id, availability=inst.Availability(availability)
        )
        return self._new(inst.HandymanAvailabilityChanged, handyman_id, version, change)

    def installation(
        self, installation_id: str, *, device_type: str = "camera", price_cents: int = 25_000
    ) -> Envelope:
        data = inst.InstallationCreatedData(
            installation_id=installation_id,
            customer_id="cust-1",
            device_type=inst.DeviceType(device_type),
            products=[inst.ProductLine(sku="CAM-01", quantity=2)],
            price_cents=price_cents,
            scheduled_for=START + timedelta(days=2),
        )
        return self._new(inst.InstallationCreated, installation_id, 1, data)

    def assigned(self, installation_id: str, handyman_id: str, *, version: int) -> Envelope:
        data = inst.HandymanAssignedData(installation_id=installation_id, handyman_id=handyman_id)
        return self._new(inst.HandymanAssigned, installation_id, version, data)

    def status(self, installation_id: str, from_status: str, to_status: str, *, version: int) -> Envelope:
        data = inst.InstallationStatusChangedData(
            installation_id=installation_id,
            from_status=inst.InstallationStatus(from_status),
            to_status=inst.InstallationStatus(to_status),
        )
        return self._new(inst.InstallationStatusChanged, installation_id, version, data)

    def approved_job(self, installation_id: str) -> list[Envelope]:
        """Created (v1) → IN_PROGRESS (v2) → WORK_COMPLETED (v3) → CUSTOMER_APPROVED (v4)."""
        return [
            self.installation(installation_id),
            self.status(installation_id, "SCHEDULED", "IN_PROGRESS", version=2),
            self.status(installation_id, "IN_PROGRESS", "WORK_COMPLETED", version=3),
            self.status(installation_id, "WORK_COMPLETED", "CUSTOMER_APPROVED", version=4),
        ]

    def rating(self, rating_id: str, stars: int, *, installation_id: str | None = None) -> Envelope:
        data = ratings.RatingSubmittedData(
            rating_id=rating_id,
            installation_id=installation_id or f"inst-of-{rating_id}",
            customer_id="cust-1",
            handyman_id="hm-1",
            device_type=inst.DeviceType.CAMERA,
            stars=stars,
            comment=None,
        )
        return self._new(ratings.RatingSubmitted, rating_id, 1, data)

    # The credits service's events of a partner share one aggregate (the partner) and one version sequence.

    def revenue(
        self, version: int, month_total_cents: int, *, month: str = "2026-11", amount_cents: int = 10_000
    ) -> Envelope:
        data = credits.RevenueRecordedData(
            sale_id=f"sale-{version}",
            source=credits.SaleSource.PRODUCT_SALES,
            amount_cents=amount_cents,
            month=month,
            month_total_cents=month_total_cents,
            tier="bronze",
        )
        year, number = (int(part) for part in month.split("-"))
        occurred_at = datetime(year, number, 15, 12, tzinfo=UTC) + timedelta(minutes=version)
        return self._new(credits.RevenueRecorded, self.partner_id, version, data, occurred_at)

    def credit_earned(self, version: int, amount_cents: int, balance_after_cents: int) -> Envelope:
        data = credits.CreditEarnedData(
            entry_id=f"entry-{version}",
            amount_cents=amount_cents,
            reason=credits.CreditReason.COMMISSION,
            sale_id=f"sale-{version}",
            rate=0.02,
            balance_after_cents=balance_after_cents,
        )
        return self._new(credits.CreditEarned, self.partner_id, version, data)

    def credit_applied(self, version: int, amount_cents: int, balance_after_cents: int) -> Envelope:
        data = credits.CreditAppliedData(
            entry_id=f"entry-{version}",
            shopify_order_ref=f"#10{version}",
            cart_total_cents=amount_cents * 2,
            amount_cents=amount_cents,
            balance_after_cents=balance_after_cents,
        )
        return self._new(credits.CreditApplied, self.partner_id, version, data)


def batch_of(events: Sequence[Envelope], *, partition: int = 0, first_offset: int | None = None) -> Batch:
    """The events as one consumer batch read from `partition` of a test topic. With `first_offset`, the batch
    covers the offsets from there, fenced: it applies only if that is the stored position, or none is stored
    (it counts as read right after a seek to the log's beginning). Without, it covers none (no position is
    checked or stored: the projection alone)."""
    topic = "test.installations"
    start = first_offset or 0
    deliveries = [Delivery(event, topic, partition, start + n) for n, event in enumerate(events)]
    if first_offset is None:
        return Batch(deliveries)
    span = Span(start, start + len(events), from_beginning=True)
    return Batch(deliveries, {TopicPartition(topic, partition): span})


async def aggregate_fields(
    read_models: ReadModels, partner_id: str, kind: str, aggregate_id: str, fields: Sequence[str]
) -> dict[str, str | None]:
    """The current values of some fields of one aggregate (of the live generation)."""
    _, values = await read_models.dashboard_figures(partner_id, kind, aggregate_id, fields)
    return values


async def switch_generation(redis: Redis, generation: str, namespace: str) -> None:
    """Point every later read at `generation`, as a finished rebuild would."""
    await redis.set(Keys(namespace).pointer, generation)


def version_of(change: AggregateChange, field: str) -> int:
    """The version that set `field` of a (possibly merged) change."""
    return change.field_versions[field] if change.field_versions is not None else change.version


def unchecked(event: Envelope, **fields: object) -> Envelope:
    """The event with envelope fields changed and not validated: what a hostile producer could write (the
    projector's parser refuses it; a test of the store itself hands it over directly)."""
    return event.model_copy(update=fields)


def at(event: Envelope, moment: datetime) -> Envelope:
    """The event as if it had occurred at `moment`."""
    return event.model_copy(update={"occurred_at": moment})


def _utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


REPORT_NOW = _utc(11, 25, 10)
"""Query time of the report tests: 11:00 in Paris on 2026-11-25 (Paris is UTC+1 from 2026-10-25)."""


def report_history(events: Events) -> list[Envelope]:
    """A fixed installations history whose report figures the tests state by hand (Paris business days):

    | id | device     | created (Paris day)          | IN_PROGRESS → WORK_COMPLETED     | now               |
    | A  | camera     | 10-30                        | 10-31 10:00 → 11:30 (90 min)     | approved 11-02    |
    | B  | camera     | 10-31 (22:30Z = 23:30 Paris) | 11-01 09:00 → 10:00 (60 min)     | WORK_COMPLETED    |
    | C  | smart_lock | 11-01 (10-31 23:30Z)         | -                                | CANCELLED 11-03   |
    | D  | alarm      | 11-25                        | 11-25 09:00 → 09:45 (45 min)     | approved 11-25    |
    | E  | camera     | 11-25                        | -                                | SCHEDULED         |
    | F  | alarm      | 11-24                        | 11-24 13:00 → 15:00 (120 min)    | approved 11-25    |
    | G  | thermostat | 10-20 (UTC+2 then)           | 10-27 10:00 → 10:30 (30 min)     | approved 10-28    |
    """

    def created(installation_id: str, device_type: str, moment: datetime) -> Envelope:
        return at(events.installation(installation_id, device_type=device_type), moment)

    def moved(installation_id: str, to_status: str, version: int, moment: datetime) -> Envelope:
        before = {
            "IN_PROGRESS": "SCHEDULED",
            "WORK_COMPLETED": "IN_PROGRESS",
            "CUSTOMER_APPROVED": "WORK_COMPLETED",
            "CANCELLED": "SCHEDULED",
        }[to_status]
        return at(events.status(installation_id, before, to_status, version=version), moment)

    def job(
        installation_id: str, started: datetime, completed: datetime, approved: datetime | None = None
    ) -> list[Envelope]:
        steps = [
            moved(installation_id, "IN_PROGRESS", 2, started),
            moved(installation_id, "WORK_COMPLETED", 3, completed),
        ]
        if approved is not None:
            steps.append(moved(installation_id, "CUSTOMER_APPROVED", 4, approved))
        return steps

    return [
        created("A", "camera", _utc(10, 30, 10)),
        *job("A", _utc(10, 31, 9), _utc(10, 31, 10, 30), _utc(11, 2, 8)),
        created("B", "camera", _utc(10, 31, 22, 30)),
        *job("B", _utc(11, 1, 8), _utc(11, 1, 9)),
        created("C", "smart_lock", _utc(10, 31, 23, 30)),
        moved("C", "CANCELLED", 2, _utc(11, 3, 9)),
        created("D", "alarm", _utc(11, 25, 7)),
        *job("D", _utc(11, 25, 8), _utc(11, 25, 8, 45), _utc(11, 25, 9)),
        created("E", "camera", _utc(11, 25, 9, 30)),
        created("F", "alarm", _utc(11, 24, 10)),
        *job("F", _utc(11, 24, 12), _utc(11, 24, 14), _utc(11, 25, 8)),
        created("G", "thermostat", _utc(10, 20, 10)),
        *job("G", _utc(10, 27, 9), _utc(10, 27, 9, 30), _utc(10, 28, 10)),
    ]


async def snapshot(redis: Redis, namespace: str) -> dict[str, Any]:
    """Every key of the namespace and what it holds."""
    keys = [key async for key in redis.scan_iter(f"{namespace}:*")]
    return {
        key: await (redis.hgetall(key) if await redis.type(key) == "hash" else redis.get(key)) for key in keys
    }
