import base64
import json
from datetime import UTC, datetime

import pytest

from heyzack_shared.contracts import ALL_EVENTS, EVENT_TYPES, RejectedEvent, parse_event, topics
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
