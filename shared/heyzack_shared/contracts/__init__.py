"""Every event of the public contract, and the one way to read an event off the wire."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from heyzack_shared.contracts import commerce, credits, installations, ratings, topics
from heyzack_shared.envelope import Envelope

ALL_EVENTS: tuple[type[Envelope], ...] = (
    *installations.EVENTS,
    *ratings.EVENTS,
    *credits.EVENTS,
    *commerce.EVENTS,
)
EVENT_TYPES: dict[str, type[Envelope]] = {cls.model_fields["event_type"].default: cls for cls in ALL_EVENTS}


def _discriminated_union(events: tuple[type[Envelope], ...]) -> Any:
    """`events` as one pydantic union told apart by `event_type` (built at run time: one list of events)."""
    return Annotated[reduce(operator.or_, events), Field(discriminator="event_type")]


AnyEvent: Any = _discriminated_union(ALL_EVENTS)
"""The union of every event of `ALL_EVENTS`, discriminated by `event_type`: what `parse_event` reads."""
_event_adapter: TypeAdapter[Any] = TypeAdapter(AnyEvent)


class RejectedEvent(ValueError):
    """A message that is not a valid event of the contract; `reason` says why, for the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_event(raw: bytes) -> Envelope:
    """Read one message value as a typed event, or raise RejectedEvent with a reason a person can act on."""
    try:
        event: Envelope = _event_adapter.validate_json(raw)
    except ValidationError as error:
        raise RejectedEvent(_describe(error)) from None
    return event


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    kind = first["type"]
    if kind == "json_invalid":
        return f"malformed JSON: {first['msg']}"
    if kind == "union_tag_invalid":
        return f"unknown event type {first['input'].get('event_type')!r}"
    if kind == "union_tag_not_found":
        return "missing field event_type"
    where = ".".join(str(part) for part in first["loc"][1:]) or "message"
    return f"invalid {where}: {first['msg']} ({error.error_count()} error(s))"


__all__ = [
    "ALL_EVENTS",
    "EVENT_TYPES",
    "AnyEvent",
    "RejectedEvent",
    "commerce",
    "credits",
    "installations",
    "parse_event",
    "ratings",
    "topics",
]
