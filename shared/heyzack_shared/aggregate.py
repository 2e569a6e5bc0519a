"""What every event-emitting entity of a domain service shares: its id, its partner and its version."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.errors import Invalid, NotFound

E = TypeVar("E", bound=Envelope)
T = TypeVar("T")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


@dataclass(kw_only=True)
class Aggregate:
    """An entity whose every change is an event; `version` is the aggregate_version of the last one."""

    partner_id: str
    id: str
    version: int = 0

    def _record(self, event_type: type[E], data: EventData, at: datetime) -> E:
        self.version += 1
        return event_type.new(
            partner_id=self.partner_id,
            aggregate_id=self.id,
            aggregate_version=self.version,
            data=data,
            occurred_at=at,
        )


def ensure_chronological(*moments: datetime, until: datetime) -> None:
    """The moments of an imported record: in the order given, none after `until` (history has happened)."""
    for earlier, later in itertools.pairwise(moments):
        if later < earlier:
            raise Invalid(f"{later.isoformat()} comes before {earlier.isoformat()}: moments must be in order")
    if moments and max(moments) > until:
        raise Invalid(f"{max(moments).isoformat()} is in the future: only the past can be imported")


def found(entity: T | None, kind: str, entity_id: str) -> T:
    """The entity, or NotFound: another partner's id is answered exactly like an unknown one."""
    if entity is None:
        raise NotFound(f"{kind} {entity_id} not found")
    return entity
