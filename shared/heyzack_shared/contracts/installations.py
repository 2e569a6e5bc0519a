"""Events of the installations service (topic heyzack.installations.v1)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from heyzack_shared.contracts import topics
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.values import (
    MAX_LINES,
    BusinessTime,
    Cents,
    Email,
    Id,
    Label,
    Name,
    Quantity,
)


class Availability(StrEnum):
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    OFF_DUTY = "OFF_DUTY"


class InstallationStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    WORK_COMPLETED = "WORK_COMPLETED"
    CUSTOMER_APPROVED = "CUSTOMER_APPROVED"
    CANCELLED = "CANCELLED"


class DeviceType(StrEnum):
    SMART_LOCK = "smart_lock"
    CAMERA = "camera"
    THERMOSTAT = "thermostat"
    NETWORK = "network"
    ALARM = "alarm"
    LIGHTING = "lighting"
    OTHER = "other"


SkillLevel = Annotated[int, Field(ge=0, le=5, strict=True)]
Certifications = Annotated[list[Label], Field(max_length=MAX_LINES)]
Skills = Annotated[dict[Label, SkillLevel], Field(max_length=MAX_LINES)]


class InstallationsEvent(Envelope):
    topic: ClassVar[str] = topics.INSTALLATIONS
    producer_name: ClassVar[str] = "installations"


class ProductLine(EventData):
    sku: Id
    quantity: Quantity


class CustomerRegisteredData(EventData):
    customer_id: Id
    name: Name
    email: Email
    active: bool


class CustomerRegistered(InstallationsEvent):
    event_type: Literal["CustomerRegistered"] = "CustomerRegistered"
    data: CustomerRegisteredData


class CustomerStatusChangedData(EventData):
    customer_id: Id
    active: bool


class CustomerStatusChanged(InstallationsEvent):
    event_type: Literal["CustomerStatusChanged"] = "CustomerStatusChanged"
    data: CustomerStatusChangedData


class HandymanRegisteredData(EventData):
    handyman_id: Id
    name: Name
    availability: Availability
    certifications: Certifications
    skills: Skills


class HandymanRegistered(InstallationsEvent):
    event_type: Literal["HandymanRegistered"] = "HandymanRegistered"
    data: HandymanRegisteredData


class HandymanProfileUpdatedData(EventData):
    handyman_id: Id
    certifications: Certifications
    skills: Skills


class HandymanProfileUpdated(InstallationsEvent):
    event_type: Literal["HandymanProfileUpdated"] = "HandymanProfileUpdated"
    data: HandymanProfileUpdatedData


class HandymanAvailabilityChangedData(EventData):
    handyman_id: Id
    availability: Availability


class HandymanAvailabilityChanged(InstallationsEvent):
    event_type: Literal["HandymanAvailabilityChanged"] = "HandymanAvailabilityChanged"
    data: HandymanAvailabilityChangedData


class InstallationCreatedData(EventData):
    installation_id: Id
    customer_id: Id
    device_type: DeviceType
    products: Annotated[list[ProductLine], Field(max_length=MAX_LINES)]
    price_cents: Cents
    scheduled_for: BusinessTime
    status: Literal[InstallationStatus.SCHEDULED] = InstallationStatus.SCHEDULED


class InstallationCreated(InstallationsEvent):
    event_type: Literal["InstallationCreated"] = "InstallationCreated"
    data: InstallationCreatedData


class HandymanAssignedData(EventData):
    installation_id: Id
    handyman_id: Id


class HandymanAssigned(InstallationsEvent):
    event_type: Literal["HandymanAssigned"] = "HandymanAssigned"
    data: HandymanAssignedData


class InstallationStatusChangedData(EventData):
    installation_id: Id
    from_status: InstallationStatus
    to_status: InstallationStatus


class InstallationStatusChanged(InstallationsEvent):
    event_type: Literal["InstallationStatusChanged"] = "InstallationStatusChanged"
    data: InstallationStatusChangedData


EVENTS = (
    CustomerRegistered,
    CustomerStatusChanged,
    HandymanRegistered,
    HandymanProfileUpdated,
    HandymanAvailabilityChanged,
    InstallationCreated,
    HandymanAssigned,
    InstallationStatusChanged,
)
