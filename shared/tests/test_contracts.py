import base64
import json
from datetime import UTC, datetime
from typing import get_args

import pytest

from heyzack_shared.contracts import ALL_EVENTS, EVENT_TYPES, AnyEvent, RejectedEvent, parse_event, topics
from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.contracts.schemas import export


def _status_changed(envelope: dict[str, object] | None = None, **data_overrides: object) -> bytes:
    event = inst.InstallationStatusChanged.new(
        partner_id="partner-a",
        aggregate_id="ins-1",
        aggregate_version=2,
        data=inst.InstallationStatusChangedData(
            installation_id="ins-1", from_status="SCHEDULED", to_status="IN_PROGRESS"
        ),
    )
    message = json.loads(event.to_json())
    message["data"].update(data_overrides)
    message.update(envelope or {})
    return json.dumps(message).encode()


def test_an_event_survives_the_wire_unchanged() -> None:
    event = inst.HandymanRegistered.new(
        partner_id="partner-a",
        aggregate_id="hdm-1",
        aggregate_version=1,
        data=inst.HandymanRegisteredData(
            handyman_id="hdm-1",
            name="Ada",
            availability=inst.Availability.AVAILABLE,
            certifications=["KNX"],
            skills={"camera": 4},
        ),
        occurred_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    assert parse_event(event.to_json()) == event
    assert event.producer == "installations"
    assert event.key == b"partner-a"


def test_unknown_fields_are_ignored() -> None:
    message = json.loads(_status_changed(note="extra"))
    message["trace"] = {"span": 1}
    parsed = parse_event(json.dumps(message).encode())
    assert isinstance(parsed, inst.InstallationStatusChanged)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"event_type": "InstallationTeleported"}', "unknown event type 'InstallationTeleported'"),
        (b'{"data": {}}', "missing field event_type"),
        (_status_changed(to_status="FINISHED"), "invalid data.to_status"),
        (_status_changed({"aggregate_version": 0}), "invalid aggregate_version"),
        (_status_changed({"occurred_at": "2026-11-25T09:30:00"}), "invalid occurred_at"),
        (_status_changed({"partner_id": None}), "invalid partner_id"),
    ],
)
def test_a_bad_message_is_rejected_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(RejectedEvent) as rejected:
        parse_event(raw)
    assert reason in rejected.value.reason


def test_every_event_type_is_registered_once_with_its_topic() -> None:
    assert len(EVENT_TYPES) == len(ALL_EVENTS) == 20
    assert {cls.topic for cls in ALL_EVENTS} == {
        "heyzack.installations.v1",
        "heyzack.ratings.v1",
        "heyzack.credits.v1",
        "heyzack.commerce.v1",
    }


def test_json_schemas_are_exported_for_every_event(tmp_path: object) -> None:
    from pathlib import Path

    written = export(Path(str(tmp_path)))
    assert len(written) == len(ALL_EVENTS) + 1
    schema = json.loads((Path(str(tmp_path)) / "RatingSubmitted.schema.json").read_text())
    assert schema["x-topic"] == "heyzack.ratings.v1"
    assert "aggregate_version" in schema["required"]


def test_a_dead_letter_keeps_the_original_bytes() -> None:
    letter = DeadLetter(
        reason="malformed JSON",
        consumer="kpi-projector",
        source_topic="heyzack.installations.v1",
        source_partition=3,
        source_offset=42,
        source_key_base64=None,
        original_base64=base64.b64encode(b"\xff{").decode(),
        rejected_at=datetime.now(UTC),
    )
    assert DeadLetter.model_validate_json(letter.model_dump_json()).original == b"\xff{"


def test_the_asyncapi_document_names_every_topic_and_resolves_every_reference() -> None:
    import re

    from heyzack_shared.contracts import asyncapi

    document = asyncapi.document()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {*topics.DOMAIN_TOPICS, topics.DEADLETTER}
    assert set(document["components"]["messages"]) == {*EVENT_TYPES, "DeadLetter"}
    referenced = set(re.findall(r"#/components/schemas/(\w+)", json.dumps(document)))
    assert referenced <= set(document["components"]["schemas"])


_LINE = {"sku": "CAM-01", "name": "Camera", "category": "cameras", "quantity": 1}
SAMPLE_DATA: dict[str, dict[str, object]] = {
    "CustomerRegistered": {"customer_id": "c-1", "name": "Ada", "email": "ada@example.com", "active": True},
    "CustomerStatusChanged": {"customer_id": "c-1", "active": False},
    "HandymanRegistered": {
        "handyman_id": "h-1",
        "name": "Bob",
        "availability": "AVAILABLE",
        "certifications": ["KNX"],
        "skills": {"camera": 4},
    },
    "HandymanProfileUpdated": {"handyman_id": "h-1", "certifications": [], "skills": {}},
    "HandymanAvailabilityChanged": {"handyman_id": "h-1", "availability": "BUSY"},
    "InstallationCreated": {
        "installation_id": "i-1",
        "customer_id": "c-1",
        "device_type": "camera",
        "products": [{"sku": "CAM-01", "quantity": 2}],
        "price_cents": 25_000,
        "scheduled_for": "2026-11-27T09:00:00Z",
    },
    "HandymanAssigned": {"installation_id": "i-1", "handyman_id": "h-1"},
    "InstallationStatusChanged": {
        "installation_id": "i-1",
        "from_status": "SCHEDULED",
        "to_status": "CANCELLED",
    },
    "RatingSubmitted": {
        "rating_id": "r-1",
        "installation_id": "i-1",
        "customer_id": "c-1",
        "handyman_id": None,
        "device_type": "alarm",
        "stars": 5,
        "comment": None,
    },
    "SurveySent": {"survey_id": "s-1", "customer_id": "c-1", "installation_id": None},
    "SurveyAnswered": {"survey_id": "s-1", "nps_score": 9, "comment": "fine"},
    "IssueReported": {"issue_id": "q-1", "customer_id": "c-1", "installation_id": "i-1", "summary": "noisy"},
    "IssueResolved": {"issue_id": "q-1"},
    "RevenueRecorded": {
        "sale_id": "sale-1",
        "source": "product_sales",
        "amount_cents": 10_000,
        "month": "2026-11",
        "month_total_cents": 10_000,
        "tier": "bronze",
    },
    "TierChanged": {"month": "2026-11", "from_tier": "bronze", "to_tier": "silver"},
    "CreditEarned": {
        "entry_id": "e-1",
        "amount_cents": 200,
        "reason": "commission",
        "sale_id": "sale-1",
        "rate": 0.02,
        "balance_after_cents": 200,
    },
    "CreditApplied": {
        "entry_id": "e-2",
        "shopify_order_ref": "#1001",
        "cart_total_cents": 400,
        "amount_cents": 200,
        "balance_after_cents": 0,
    },
    "OrderPlaced": {
        "order_id": "o-1",
        "customer_id": None,
        "installation_id": None,
        "lines": [_LINE | {"unit_price_cents": 9_900, "unit_cost_cents": 5_000, "source": "product_sales"}],
        "total_cents": 9_900,
        "due_at": "2026-12-25T00:00:00Z",
    },
    "PaymentReceived": {"order_id": "o-1", "amount_cents": 9_900},
    "StockLevelChanged": {"sku": "CAM-01", "name": "Camera", "category": "cameras", "on_hand": 3},
}
"""A valid `data` of every event type of the contract."""


def test_the_union_parse_event_reads_is_exactly_all_events() -> None:
    members, discriminator = get_args(AnyEvent)
    assert get_args(members) == ALL_EVENTS
    assert discriminator.discriminator == "event_type"
    assert set(SAMPLE_DATA) == set(EVENT_TYPES)  # the test below covers every event type


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_parses_through_the_union(event_type: str) -> None:
    message = json.loads(_status_changed()) | {"event_type": event_type, "data": SAMPLE_DATA[event_type]}
    event = parse_event(json.dumps(message).encode())
    assert type(event) is EVENT_TYPES[event_type]
    assert event.data.model_dump(mode="json", exclude_defaults=True) == SAMPLE_DATA[event_type]
