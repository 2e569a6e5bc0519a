"""The AsyncAPI 3.0 document of the platform's topics, generated from the contract models."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from heyzack_shared.contracts import ALL_EVENTS
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.envelope import Envelope

_REF = "#/components/schemas/{model}"
_PRODUCERS = {
    "installations": "the installations service",
    "ratings": "the ratings service",
    "credits": "the credits service",
    "commerce": "the Shopify/ERP integration (outside the platform; `heyzack-commerce-sim` plays it)",
}


def document() -> dict[str, Any]:
    """Channels (one per topic), their messages and the schemas, keyed by event type."""
    by_topic: dict[str, list[type[Envelope] | type[DeadLetter]]] = defaultdict(list)
    models: list[type[Envelope] | type[DeadLetter]] = [*ALL_EVENTS, DeadLetter]
    for event in models:
        by_topic[event.topic].append(event)
    channels, operations, messages, schemas = {}, {}, {}, {}
    for topic, models in by_topic.items():
        channel = topic.replace(".", "_")
        names = [model.__name__ for model in models]
        channels[channel] = {
            "address": topic,
            "description": _describe(models[0]),
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        operations[f"publish_{channel}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
        for model, name in zip(models, names, strict=True):
            messages[name] = {
                "name": name,
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{name}"},
                "bindings": {"kafka": {"key": {"type": "string", "description": "the partner_id"}}},
            }
            schemas[name] = model.model_json_schema(
                mode="serialization", ref_template="#/components/schemas/{model}"
            )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "HeyZack partner platform events",
            "version": "1",
            "description": "Message value: one JSON envelope; key: the partner_id. "
            "Domain topics keep their events forever.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _hoist_definitions(schemas)},
    }


def _describe(model: type[Envelope] | type[DeadLetter]) -> str:
    if model is DeadLetter:
        return "Messages a consumer rejected: reason, original bytes (base64), source topic/partition/offset."
    return f"Events published by {_PRODUCERS[model.producer_name]}."  # type: ignore[union-attr]


def _hoist_definitions(schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Move each schema's nested `$defs` up to the components, where the `$ref`s point."""
    hoisted: dict[str, Any] = {}
    for name, schema in schemas.items():
        hoisted.update(schema.pop("$defs", {}))
        hoisted[name] = schema
    return hoisted
