"""What a caller asks the service to do, already validated and scoped to the caller's partner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from heyzack_shared.contracts.installations import Availability, DeviceType, InstallationStatus, ProductLine
from heyzack_shared.idempotency import IdempotencyKey


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer:
    partner_id: str
    name: str
    email: str
    active: bool = True
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateCustomer:
    partner_id: str
    customer_id: str
    name: str | None = None
    email: str | None = None
    active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterHandyman:
    partner_id: str
    name: str
    availability: Availability = Availability.AVAILABLE
    certifications: list[str]
    skills: dict[str, int]
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateHandymanProfile:
    partner_id: str
    handyman_id: str
    certifications: list[str] | None = None
    skills: dict[str, int] | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeAvailability:
    partner_id: str
    handyman_id: str
    availability: Availability


@dataclass(frozen=True, kw_only=True)
class ScheduleInstallation:
    partner_id: str
    customer_id: str
    device_type: DeviceType
    products: list[ProductLine]
    price_cents: int
    scheduled_for: datetime
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class AssignHandyman:
    partner_id: str
    installation_id: str
    handyman_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeInstallationStatus:
    partner_id: str
    installation_id: str
    to_status: InstallationStatus
