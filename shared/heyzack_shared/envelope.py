"""The event envelope every HeyZack topic carries (docs/events.md, "The envelope")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from heyzack_shared.values import MAX_VERSION, BusinessTime, Id, Label, Version


class EventData(BaseModel):
    """Base of every event's `data`: tolerant of unknown fields, strict on required ones."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(BaseModel):
    """One event as it travels on Kafka. Subclasses pin `event_type` and type `data`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    topic: ClassVar[str]
    producer_name: ClassVar[str]

    event_id: uuid.UUID
    event_type: str
    schema_version: int = Field(default=1, ge=1, le=MAX_VERSION)
    occurred_at: BusinessTime
    partner_id: Id
    aggregate_id: Id
    aggregate_version: Version
    producer: Label
    data: Any

    @classmethod
    def new(
        cls,
        *,
        partner_id: str,
        aggregate_id: str,
        aggregate_version: int,
        data: EventData,
        occurred_at: datetime | None = None,
    ) -> Self:
        """A fresh event with a new id, stamped by this event's producer."""
        return cls(
            event_id=uuid.uuid4(),
            event_type=cls.model_fields["event_type"].default,
            occurred_at=occurred_at or datetime.now(UTC),
            partner_id=partner_id,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            producer=cls.producer_name,
            data=data,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @property
    def key(self) -> bytes:
        """The Kafka message key: the partner, so a partner's events stay in one partition."""
        return self.partner_id.encode()
