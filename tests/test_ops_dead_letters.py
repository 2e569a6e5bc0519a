"""`heyzack-ops deadletters` against real servers: a letter the projector wrote is listed, shown, redriven
after a correction (it then counts, once), and refused a second time; a discarded letter stays discarded."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from click.testing import Result
from kpi_projector_testkit import Events
from running_projector import dashboard_shows, projector, publish
from typer.testing import CliRunner

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts import topics
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import dead_letters_of
from heyzack_stack.endpoints import Endpoints
from heyzack_stack.ops.cli import EXIT_REFUSED, app
from heyzack_stack.pytest_plugin import ensure_database, projector_settings

YEAR_ONE = "0001-01-01T00:00:00Z"


@pytest.fixture
async def operations(infrastructure: Endpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's settings, as the services' environment would give them."""
    database = f"operations_{uuid.uuid4().hex[:8]}"
    await ensure_database(infrastructure, database)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", infrastructure.kafka_bootstrap)
    monkeypatch.setenv("OPERATIONS_DATABASE_URL", infrastructure.database_url(database))


@pytest_asyncio.fixture
async def dashboard(infrastructure: Endpoints, jwt_secret: str) -> AsyncIterator[Any]:
    namespace = f"ops{uuid.uuid4().hex[:8]}"
    settings = projector_settings(infrastructure, jwt_secret, namespace)
    async with projector(settings) as client:
        yield client


async def ops(*arguments: str) -> Result:
    """The command line, as an operator types it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


def last_json(result: Result) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return payload


def from_year_one(events: Events, customer: str) -> bytes:
    body = json.loads(events.customer(customer).to_json())
    body["occurred_at"] = YEAR_ONE
    return json.dumps(body).encode()


async def test_a_corrected_letter_counts_once_and_is_never_redriven_twice(
    operations: None, dashboard: Any, infrastructure: Endpoints, jwt_secret: str, tmp_path: Path
) -> None:
    events = Events(f"ops-{uuid.uuid4().hex[:8]}")
    token = issue_token(jwt_secret, partner_id=events.partner_id, roles=["partner"], subject="t")
    bad = from_year_one(events, "c2")
    sent = await publish(
        infrastructure.kafka_bootstrap, topics.INSTALLATIONS, events.partner_id, [events.customer("c1"), bad]
    )
    await dead_letters_of(infrastructure.kafka_bootstrap, [(topics.INSTALLATIONS, *sent[1])])
    await wait_until(dashboard_shows(dashboard, token, {"total_customers": {"value": 1, "display": "1"}}))

    listed = await ops("deadletters", "list", "--partner", events.partner_id, "--json")
    assert listed.exit_code == 0, listed.output
    (letter,) = last_json(listed)["letters"]
    assert (letter["source_partition"], letter["source_offset"], letter["action"]) == (*sent[1], None)
    assert letter["reason"].startswith("invalid occurred_at")
    shown = await ops("deadletters", "show", letter["id"], "--json")
    assert json.loads(last_json(shown)["original"]) == json.loads(bad)

    corrected = tmp_path / "corrected.json"
    corrected.write_bytes(bad.replace(YEAR_ONE.encode(), b"2026-12-01T09:00:00Z"))
    redriven = await ops(
        "deadletters", "redrive", letter["id"], "--corrected", str(corrected), "--yes", "--json"
    )
    assert redriven.exit_code == 0, redriven.output
    assert last_json(redriven) == {
        "id": letter["id"],
        "action": "redriven",
        "topic": topics.INSTALLATIONS,
        "corrected": True,
    }
    await wait_until(dashboard_shows(dashboard, token, {"total_customers": {"value": 2, "display": "2"}}))

    again = await ops("deadletters", "redrive", letter["id"], "--corrected", str(corrected), "--yes")
    assert again.exit_code == EXIT_REFUSED
    assert f"letter {letter['id']} was already redriven" in again.output
    (after,) = last_json(await ops("deadletters", "list", "--partner", events.partner_id, "--json"))[
        "letters"
    ]
    assert after["action"] == "redriven"


async def test_a_discarded_letter_is_left_alone_and_a_bad_correction_is_refused(
    operations: None, infrastructure: Endpoints, tmp_path: Path
) -> None:
    """No projector needed: the letter is written as a consumer would, then handled from the CLI."""
    events = Events(f"ops-{uuid.uuid4().hex[:8]}")
    bad = from_year_one(events, "c1")
    # As a consumer of a topic of its own would write it (the letter names its source; nothing is read there).
    await _write_letter(infrastructure.kafka_bootstrap, events.partner_id, (0, 41), bad)
    listed = await ops(
        "deadletters", "list", "--topic", "ops.test.source", "--partner", events.partner_id, "--json"
    )
    (letter,) = last_json(listed)["letters"]

    still_bad = tmp_path / "still-bad.json"
    still_bad.write_bytes(bad)
    refused = await ops("deadletters", "redrive", letter["id"], "--corrected", str(still_bad), "--yes")
    assert refused.exit_code == EXIT_REFUSED and "the correction is not a valid event" in refused.output

    discarded = await ops("deadletters", "discard", letter["id"], "--reason", "test data", "--json")
    assert discarded.exit_code == 0, discarded.output
    assert last_json(discarded) == {"id": letter["id"], "action": "discarded", "reason": "test data"}
    assert (await ops("deadletters", "redrive", letter["id"], "--yes")).exit_code == EXIT_REFUSED
    open_only = await ops("deadletters", "list", "--partner", events.partner_id, "--open", "--json")
    assert last_json(open_only)["count"] == 0
    unknown = await ops("deadletters", "show", "0@999999999")
    assert unknown.exit_code == EXIT_REFUSED and "no letter 0@999999999" in unknown.output


async def _write_letter(bootstrap: str, partner: str, source: tuple[int, int], original: bytes) -> None:
    letter = DeadLetter(
        reason="invalid occurred_at: Value error, must lie between 2000-01-01 and 2099-12-31 (UTC)",
        consumer="ops-test",
        source_topic="ops.test.source",
        source_partition=source[0],
        source_offset=source[1],
        source_key_base64=base64.b64encode(partner.encode()).decode(),
        original_base64=base64.b64encode(original).decode(),
        rejected_at=datetime.now(UTC),
    )
    await publish(bootstrap, topics.DEADLETTER, partner, [letter.model_dump_json().encode()])
