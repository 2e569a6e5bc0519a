"""Events of the installations service (topic heyzack.installations.v1)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from heyzack_shared.contracts import topics
from heyzack_shared.envelope import Envelope, EventData


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


SkillLevel = Annotated[int, Field(ge=0, le=5)]


class InstallationsEvent(Envelope):
    topic: ClassVar[str] = topics.INSTALLATIONS
    producer_name: ClassVar[str] = "installations"


class ProductLine(EventData):
    sku: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class CustomerRegisteredData(EventData):
    customer_id: str
    name: str
    email: str
    active: bool


class CustomerRegistered(InstallationsEvent):
    event_type: Literal["CustomerRegistered"] = "CustomerRegistered"
    data: CustomerRegisteredData


class CustomerStatusChangedData(EventData):
    customer_id: str
    active: bool


class CustomerStatusChanged(InstallationsEvent):
    event_type: Literal["CustomerStatusChanged"] = "CustomerStatusChanged"
    data: CustomerStatusChangedData


class HandymanRegisteredData(EventData):
    handyman_id: str
    name: str
    availability: Availability
    certifications: list[str]
    skills: dict[str, SkillLevel]


class HandymanRegistered(InstallationsEvent):
    event_type: Literal["HandymanRegistered"] = "HandymanRegistered"
    data: HandymanRegisteredData


class HandymanProfileUpdatedData(EventData):
    handyman_id: str
    certifications: list[str]
    skills: dict[str, SkillLevel]


class HandymanProfileUpdated(InstallationsEvent):
    event_type: Literal["HandymanProfileUpdated"] = "HandymanProfileUpdated"
    data: HandymanProfileUpdatedData


class HandymanAvailabilityChangedData(EventData):
    handyman_id: str
    availability: Availability


class HandymanAvailabilityChanged(InstallationsEvent):
    event_type: Literal["HandymanAvailabilityChanged"] = "HandymanAvailabilityChanged"
    data: HandymanAvailabilityChangedData


class InstallationCreatedData(EventData):
    installation_id: str
    customer_id: str
    device_type: DeviceType
    products: list[ProductLine]
    price_cents: int = Field(ge=0)
    scheduled_for: AwareDatetime
    status: Literal[InstallationStatus.SCHEDULED] = InstallationStatus.SCHEDULED


class InstallationCreated(InstallationsEvent):
    event_type: Literal["InstallationCreated"] = "InstallationCreated"
    data: InstallationCreatedData


class HandymanAssignedData(EventData):
    installation_id: str
    handyman_id: str


class HandymanAssigned(InstallationsEvent):
    event_type: Literal["HandymanAssigned"] = "HandymanAssigned"
    data: HandymanAssignedData


class InstallationStatusChangedData(EventData):
    installation_id: str
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
