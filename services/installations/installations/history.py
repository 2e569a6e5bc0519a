"""Importing past records: a partner's history from before the platform (the demo partner's, a migration).

Each record is rebuilt through the domain, change by change as the commands would have made it, at the
moments the record gives: its events carry those moments as `occurred_at` and are written to the outbox in
the one transaction that saves the record, like a command's. A record keeps its id, so importing it again
changes nothing (the use case returns False). Not offered over HTTP, where a partner records the present
only: whoever runs the service's database imports (the demo loader of `make run` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from heyzack_shared.aggregate import ensure_chronological, found
from heyzack_shared.contracts.installations import Availability, DeviceType, InstallationStatus, ProductLine
from heyzack_shared.envelope import Envelope
from installations.domain import Customer, Handyman, Installation
from installations.unit_of_work import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class ImportCustomer:
    partner_id: str
    customer_id: str
    name: str
    email: str
    active: bool
    registered_at: datetime


@dataclass(frozen=True, kw_only=True)
class ImportHandyman:
    partner_id: str
    handyman_id: str
    name: str
    availability: Availability
    """At registration; `availability_changes` follow, in time order."""
    certifications: list[str]
    skills: dict[str, int]
    registered_at: datetime
    availability_changes: tuple[tuple[datetime, Availability], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ImportInstallation:
    partner_id: str
    installation_id: str
    customer_id: str
    device_type: DeviceType
    products: list[ProductLine]
    price_cents: int
    scheduled_for: datetime
    created_at: datetime
    assignments: tuple[tuple[datetime, str], ...] = ()
    """(moment, handyman_id) in time order."""
    statuses: tuple[tuple[datetime, InstallationStatus], ...] = ()
    """(moment, to_status) in time order, each a transition the workflow allows."""


async def import_customer(cmd: ImportCustomer, uow: UnitOfWork) -> bool:
    ensure_chronological(cmd.registered_at, until=datetime.now(UTC))
    async with uow:
        await uow.claim("customers", cmd.partner_id, cmd.customer_id)
        if await uow.customers.get(cmd.partner_id, cmd.customer_id) is not None:
            return False
        customer, registered = Customer.register(
            cmd.partner_id,
            name=cmd.name,
            email=cmd.email,
            active=cmd.active,
            at=cmd.registered_at,
            customer_id=cmd.customer_id,
        )
        await uow.customers.save(customer)
        await uow.emit(registered)
        await uow.commit()
    return True


async def import_handyman(cmd: ImportHandyman, uow: UnitOfWork) -> bool:
    changes = cmd.availability_changes
    ensure_chronological(cmd.registered_at, *(at for at, _ in changes), until=datetime.now(UTC))
    async with uow:
        await uow.claim("handymen", cmd.partner_id, cmd.handyman_id)
        if await uow.handymen.get(cmd.partner_id, cmd.handyman_id) is not None:
            return False
        handyman, registered = Handyman.register(
            cmd.partner_id,
            name=cmd.name,
            availability=cmd.availability,
            certifications=cmd.certifications,
            skills=cmd.skills,
            at=cmd.registered_at,
            handyman_id=cmd.handyman_id,
        )
        changed = [handyman.set_availability(availability, at) for at, availability in changes]
        await uow.handymen.save(handyman)
        await uow.emit(registered, *changed)
        await uow.commit()
    return True


async def import_installation(cmd: ImportInstallation, uow: UnitOfWork) -> bool:
    """Created, then its assignments and status changes merged in time order (at one moment, the
    assignment first). The customer and handymen must exist: import them first."""
    steps = sorted(
        [*cmd.assignments, *cmd.statuses], key=lambda step: (step[0], isinstance(step[1], InstallationStatus))
    )
    ensure_chronological(cmd.created_at, *(at for at, _ in steps), until=datetime.now(UTC))
    async with uow:
        await uow.claim("installations", cmd.partner_id, cmd.installation_id)
        if await uow.installations.get(cmd.partner_id, cmd.installation_id) is not None:
            return False
        customer = found(
            await uow.customers.get(cmd.partner_id, cmd.customer_id), "customer", cmd.customer_id
        )
        installation, created = Installation.schedule(
            customer,
            device_type=cmd.device_type,
            products=cmd.products,
            price_cents=cmd.price_cents,
            scheduled_for=cmd.scheduled_for,
            at=cmd.created_at,
            installation_id=cmd.installation_id,
        )
        emitted: list[Envelope | None] = [created]
        for at, step in steps:
            if isinstance(step, InstallationStatus):
                emitted.append(installation.change_status(step, at))
            else:
                handyman = found(await uow.handymen.get(cmd.partner_id, step), "handyman", step)
                emitted.append(installation.assign(handyman, at))
        await uow.installations.save(installation)
        await uow.emit(*emitted)
        await uow.commit()
    return True
