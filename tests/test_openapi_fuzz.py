"""Every service against its own OpenAPI document, as a hostile integrator with a valid token would call it.

Schemathesis generates requests from each service's `/openapi.json` (the documented examples, boundary
values, then random ones, and chains of calls linked by the ids the answers return) and checks every answer:
never a 5xx, only statuses and bodies the document declares, invalid input refused. The four services run as
the processes `make run` starts, on the test servers; afterwards every consumer still applies events.
The run is bounded: a fixed seed, a cap on examples per operation and on time (the four services are
fuzzed side by side).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from heyzack_shared.auth import issue_token
from heyzack_shared.testing import wait_until
from heyzack_stack.endpoints import Endpoints, ensure_database
from heyzack_stack.ports import free_port
from heyzack_stack.services import SERVICES, Service, Services, running_services

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
    ]
)
MAX_EXAMPLES = 25
SECONDS_PER_SERVICE = 40


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def platform(
    infrastructure: Endpoints, jwt_secret: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    run = uuid.uuid4().hex[:8]
    env = dict(os.environ)
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=infrastructure.kafka_bootstrap,
        REDIS_URL=infrastructure.redis_url,
        HEYZACK_JWT_SECRET=jwt_secret,
        PROJECTOR_REDIS_NAMESPACE=f"fuzz{run}",
        PROJECTOR_GROUP_ID=f"fuzz-{run}",
    )
    for name in ("installations", "ratings", "credits"):
        database = f"{name}_fuzz_{run}"
        await ensure_database(infrastructure, database)
        env[f"{name.upper()}_DATABASE_URL"] = infrastructure.database_url(database)
        env[f"{name.upper()}_CONSUMER_GROUP_ID"] = database
    services = [Service(s.name, s.command, free_port()) for s in SERVICES]
    env["HEYZACK_CREDITS_URL"] = next(s.url for s in services if s.name == "credits")
    logs = tmp_path_factory.mktemp("fuzz-logs")
    async with running_services(services, env, logs, say=lambda _: None) as running:
        yield running


async def _schemathesis(service: Service, token: str, report: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{service.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--exclude-path",
        "/v1/changes",  # a stream that lasts as long as the token: tested on its own (test_live.py)
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(SECONDS_PER_SERVICE),
        "--seed",
        "20261208",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--no-color",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=report,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.timeout(SECONDS_PER_SERVICE + 240)
async def test_no_input_makes_a_service_fail_or_answer_off_its_document(
    platform: Services, jwt_secret: str, tmp_path: Path
) -> None:
    partner = f"fuzz-{uuid.uuid4().hex[:8]}"
    token = issue_token(jwt_secret, partner_id=partner, roles=["partner"], subject="fuzzer", ttl=3600)
    services = list(platform.services.values())
    # Side by side: the time budget is wall-clock time, and each run mostly waits for its service's answers.
    outputs = await asyncio.gather(*(_schemathesis(service, token, tmp_path) for service in services))
    failures = {}
    for service, (code, output) in zip(services, outputs, strict=True):
        (tmp_path / f"{service.name}.txt").write_text(output)
        if code != 0:
            failures[service.name] = _failures_of(output)
    assert not failures, "\n\n".join(f"== {name}\n{output}" for name, output in failures.items())
    await _consumers_still_apply(platform, token)


def _failures_of(output: str, limit: int = 12_000) -> str:
    """The report's failures section (each failure with a curl line to reproduce it), or its end."""
    start = output.find("FAILURES")
    return output[start : start + limit] if start >= 0 else output[-limit:]


async def _consumers_still_apply(platform: Services, token: str) -> None:
    """Every service is ready, and a customer registered over HTTP after the run reaches the dashboard: the
    outbox relay and the projector's consumer still move."""
    url = {name: service.url for name, service in platform.services.items()}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        for name in url:
            assert (await client.get(f"{url[name]}/readyz")).status_code == 200, name

        async def customers() -> int:
            answer = await client.get(f"{url['kpi-projector']}/v1/dashboard", headers=headers)
            count: int = answer.json()["cards"]["total_customers"]["value"]
            return count

        before = await customers()
        body = {"name": "After the fuzzing", "email": "after@example.com"}
        created = await client.post(f"{url['installations']}/v1/customers", json=body, headers=headers)
        assert created.status_code == 201, created.text

        async def counted() -> bool:
            return await customers() == before + 1

        await wait_until(
            counted, timeout=30, message="the projector stopped applying events after the fuzzing"
        )
