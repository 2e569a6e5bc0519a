"""Customers, handymen and installation jobs: their rules and the events they produce. No I/O here.

Every mutating method changes the entity and returns the event recording the change, stamped with the
entity's next `aggregate_version` (so `version` is always that of the entity's last event). A method that
would change nothing returns None and emits nothing. A new entity's id is generated, unless an import
(`history.py`) gives the id its record already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from heyzack_shared.aggregate import Aggregate, new_id
from heyzack_shared.contracts import installations as events
from heyzack_shared.contracts.installations import Availability, DeviceType, InstallationStatus, ProductLine
from heyzack_shared.errors import Conflict

Status = InstallationStatus

WORKFLOW: dict[Status, frozenset[Status]] = {
    Status.SCHEDULED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.WORK_COMPLETED, Status.CANCELLED}),
    Status.WORK_COMPLETED: frozenset({Status.CUSTOMER_APPROVED, Status.CANCELLED}),
    Status.CUSTOMER_APPROVED: frozenset(),
    Status.CANCELLED: frozenset(),
}
FINAL = frozenset(status for status, successors in WORKFLOW.items() if not successors)


class ForbiddenTransition(Conflict):
    code = "forbidden_transition"

    def __init__(self, installation_id: str, from_status: Status, to_status: Status) -> None:
        allowed = ", ".join(sorted(WORKFLOW[from_status])) or f"none, {from_status} is final"
        super().__init__(
            f"installation {installation_id} cannot go from {from_status} to {to_status};"
            f" allowed from {from_status}: {allowed}"
        )


class InstallationClosed(Conflict):
    code = "installation_closed"

    def __init__(self, installation_id: str, status: Status) -> None:
        super().__init__(f"installation {installation_id} is {status}: a handyman can no longer be assigned")


class CustomerInactive(Conflict):
    code = "customer_inactive"

    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"customer {customer_id} is inactive: reactivate it before scheduling an installation"
        )


@dataclass(kw_only=True)
class Customer(Aggregate):
    name: str
    email: str
    active: bool

    @classmethod
    def register(
        cls,
        partner_id: str,
        *,
        name: str,
        email: str,
        active: bool,
        at: datetime,
        customer_id: str | None = None,
    ) -> tuple[Customer, events.CustomerRegistered]:
        customer = cls(
            partner_id=partner_id, id=customer_id or new_id("cus"), name=name, email=email, active=active
        )
        data = events.CustomerRegisteredData(customer_id=customer.id, name=name, email=email, active=active)
        return customer, customer._record(events.CustomerRegistered, data, at)

    def edit_contact(self, *, name: str | None = None, email: str | None = None) -> None:
        """Contact details are state only: no contract event carries them after registration."""
        self.name = self.name if name is None else name
        self.email = self.email if email is None else email

    def set_active(self, active: bool, at: datetime) -> events.CustomerStatusChanged | None:
        if active == self.active:
            return None
        self.active = active
        return self._record(
            events.CustomerStatusChanged,
            events.CustomerStatusChangedData(customer_id=self.id, active=active),
            at,
        )

    def ensure_active(self) -> None:
        if not self.active:
            raise CustomerInactive(self.id)


@dataclass(kw_only=True)
class Handyman(Aggregate):
    name: str
    availability: Availability
    certifications: list[str]
    skills: dict[str, int]

    @classmethod
    def register(
        cls,
        partner_id: str,
        *,
        name: str,
        availability: Availability,
        certifications: list[str],
        skills: dict[str, int],
        at: datetime,
        handyman_id: str | None = None,
    ) -> tuple[Handyman, events.HandymanRegistered]:
        handyman = cls(
            partner_id=partner_id,
            id=handyman_id or new_id("hdm"),
            name=name,
            availability=availability,
            certifications=certifications,
            skills=skills,
        )
        data = events.HandymanRegisteredData(
            handyman_id=handyman.id,
            name=name,
            availability=availability,
            certifications=certifications,
            skills=skills,
        )
        return handyman, handyman._record(events.HandymanRegistered, data, at)

    def update_profile(
        self, at: datetime, *, certifications: list[str] | None = None, skills: dict[str, int] | None = None
    ) -> events.HandymanProfileUpdated | None:
        """A list given replaces the old one whole; the event carries both full lists, never a diff."""
        certifications = self.certifications if certifications is None else certifications
        skills = self.skills if skills is None else skills
        if certifications == self.certifications and skills == self.skills:
            return None
        self.certifications, self.skills = certifications, skills
        data = events.HandymanProfileUpdatedData(
            handyman_id=self.id, certifications=certifications, skills=skills
        )
        return self._record(events.HandymanProfileUpdated, data, at)

    def set_availability(
        self, availability: Availability, at: datetime
    ) -> events.HandymanAvailabilityChanged | None:
        if availability == self.availability:
            return None
        self.availability = availability
        data = events.HandymanAvailabilityChangedData(handyman_id=self.id, availability=availability)
        return self._record(events.HandymanAvailabilityChanged, data, at)


@dataclass(kw_only=True)
class Installation(Aggregate):
    customer_id: str
    device_type: DeviceType
    products: list[ProductLine]
    price_cents: int
    scheduled_for: datetime
    status: Status = Status.SCHEDULED
    handyman_id: str | None = None

    @classmethod
    def schedule(
        cls,
        customer: Customer,
        *,
        device_type: DeviceType,
        products: list[ProductLine],
        price_cents: int,
        scheduled_for: datetime,
        at: datetime,
        installation_id: str | None = None,
    ) -> tuple[Installation, events.InstallationCreated]:
        """A new job for an active customer; `scheduled_for` is kept (and published) in UTC."""
        customer.ensure_active()
        scheduled_for = scheduled_for.astimezone(UTC)
        installation = cls(
            partner_id=customer.partner_id,
            id=installation_id or new_id("ins"),
            customer_id=customer.id,
            device_type=device_type,
            products=products,
            price_cents=price_cents,
            scheduled_for=scheduled_for,
        )
        data = events.InstallationCreatedData(
            installation_id=installation.id,
            customer_id=customer.id,
            device_type=device_type,
            products=products,
            price_cents=price_cents,
            scheduled_for=scheduled_for,
        )
        return installation, installation._record(events.InstallationCreated, data, at)

    def assign(self, handyman: Handyman, at: datetime) -> events.HandymanAssigned | None:
        """(Re)assign the job; assigning the handyman already on it changes nothing."""
        if self.status in FINAL:
            raise InstallationClosed(self.id, self.status)
        if handyman.id == self.handyman_id:
            return None
        self.handyman_id = handyman.id
        data = events.HandymanAssignedData(installation_id=self.id, handyman_id=handyman.id)
        return self._record(events.HandymanAssigned, data, at)

    def change_status(self, to_status: Status, at: datetime) -> events.InstallationStatusChanged:
        if to_status not in WORKFLOW[self.status]:
            raise ForbiddenTransition(self.id, self.status, to_status)
        data = events.InstallationStatusChangedData(
            installation_id=self.id, from_status=self.status, to_status=to_status
        )
        self.status = to_status
        return self._record(events.InstallationStatusChanged, data, at)
