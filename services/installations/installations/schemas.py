"""The HTTP request and response bodies (docs/http-api.md, installations). Money is integer cents."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, StrictBool, model_validator

from heyzack_shared.contracts.installations import (
    Availability,
    Certifications,
    DeviceType,
    InstallationStatus,
    ProductLine,
    Skills,
)
from heyzack_shared.http import RequestBody
from heyzack_shared.values import MAX_LINES, BusinessTime, Cents, Email, Id, Name
from installations.domain import Customer, Handyman, Installation


class Change(RequestBody):
    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            fields = ", ".join(type(self).model_fields)
            raise ValueError(f"give at least one of: {fields}")
        return self


class NewCustomer(RequestBody):
    name: Name
    email: Email
    active: StrictBool = True


class CustomerChange(Change):
    name: Name | None = None
    email: Email | None = None
    active: StrictBool | None = None


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    email: str
    active: bool
    version: int

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            customer_id=customer.id,
            name=customer.name,
            email=customer.email,
            active=customer.active,
            version=customer.version,
        )


class NewHandyman(RequestBody):
    name: Name
    availability: Availability = Availability.AVAILABLE
    certifications: Certifications = Field(default_factory=list)
    skills: Skills = Field(default_factory=dict, description="category → level 0–5")


class HandymanProfileChange(Change):
    certifications: Certifications | None = None
    skills: Skills | None = Field(
        default=None, description="category → level 0–5; replaces the old skills whole"
    )


class AvailabilityChange(RequestBody):
    availability: Availability


class HandymanOut(BaseModel):
    handyman_id: str
    name: str
    availability: Availability
    certifications: list[str]
    skills: dict[str, int]
    version: int

    @classmethod
    def of(cls, handyman: Handyman) -> HandymanOut:
        return cls(
            handyman_id=handyman.id,
            name=handyman.name,
            availability=handyman.availability,
            certifications=handyman.certifications,
            skills=handyman.skills,
            version=handyman.version,
        )


class NewInstallation(RequestBody):
    customer_id: Id
    device_type: DeviceType
    products: list[ProductLine] = Field(default_factory=list, max_length=MAX_LINES)
    price_cents: Cents = Field(strict=True, description="integer cents, EUR")
    scheduled_for: BusinessTime = Field(description="RFC 3339 with an offset")


class Assignment(RequestBody):
    handyman_id: Id


class StatusChange(RequestBody):
    to_status: InstallationStatus


class InstallationOut(BaseModel):
    installation_id: str
    customer_id: str
    handyman_id: str | None
    device_type: DeviceType
    products: list[ProductLine]
    price_cents: int
    scheduled_for: datetime
    status: InstallationStatus
    version: int

    @classmethod
    def of(cls, installation: Installation) -> InstallationOut:
        return cls(
            installation_id=installation.id,
            customer_id=installation.customer_id,
            handyman_id=installation.handyman_id,
            device_type=installation.device_type,
            products=installation.products,
            price_cents=installation.price_cents,
            scheduled_for=installation.scheduled_for,
            status=installation.status,
            version=installation.version,
        )
