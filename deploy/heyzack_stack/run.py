"""`heyzack-stack`, what `make run` starts: the whole platform on this machine, until Ctrl-C or SIGTERM.

State (PostgreSQL data, logs, the JWT secret) lives in `.state/` at the repository root. Stopping takes the
services down first, then the infrastructure. A service, or the embedded broker, that exits is started
again after a pause that grows with each restart (the broker comes back empty: the services re-create its
topics and publish their outboxes again); the platform stops (exit 1) when a process keeps failing, or
PostgreSQL or Redis ends.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from heyzack_shared.auth import issue_token
from heyzack_shared.contracts.topics import ALL_TOPICS
from heyzack_shared.kafka import create_topics
from heyzack_stack.demo import DEMO_PARTNER, demo_history
from heyzack_stack.demo_loader import DemoDataRejected, load_demo
from heyzack_stack.infra import (
    Endpoints,
    InfrastructureError,
    ensure_database,
    start_infrastructure,
)
from heyzack_stack.services import DATABASES, SERVICES, ServiceFailure, running_services, service

# deploy/heyzack_stack/run.py -> the repository root: the workspace installs this package editable.
STATE_DIR = Path(__file__).resolve().parents[2] / ".state"
KAFKA_PORT = 9092
DEMO_TOKEN_TTL_SECONDS = 30 * 24 * 3600


def main() -> None:
    sys.exit(asyncio.run(_main()))


async def _main() -> int:
    _stop_on_signals(asyncio.current_task())
    try:
        await run_platform(STATE_DIR)
    except asyncio.CancelledError:
        _say("stopped.")
    except (InfrastructureError, ServiceFailure, DemoDataRejected, httpx.HTTPError) as failure:
        print(f"heyzack-stack: {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


async def run_platform(state_dir: Path) -> None:
    """Run until cancelled (a stop signal), a service keeps failing or a server ends (ServiceFailure)."""
    secret = _jwt_secret(state_dir)
    _say("starting PostgreSQL, Redis and Kafka…")
    async with start_infrastructure(state_dir, kafka_port=KAFKA_PORT) as endpoints:
        await create_topics(endpoints.kafka_bootstrap, ALL_TOPICS)
        database_urls = {name: await _database(endpoints, name) for name in DATABASES}
        _say(f"starting {', '.join(service.name for service in SERVICES)}…")
        env = _service_environment(endpoints, database_urls, secret)
        env["OPERATIONS_DATABASE_URL"] = await _database(endpoints, "operations")
        _leave_platform_env(state_dir, env)
        logs = state_dir / "logs"
        async with running_services(SERVICES, env, logs, say=_say, servers=endpoints.restarts) as services:
            token = issue_token(
                secret,
                partner_id=DEMO_PARTNER,
                roles=["partner"],
                subject="demo-user",
                ttl=DEMO_TOKEN_TTL_SECONDS,
            )
            await _load_demo(state_dir, token, endpoints.kafka_bootstrap, database_urls)
            await _projection_caught_up(secret)
            _announce(token, state_dir)
            raise await services.keep_running()


async def _database(endpoints: Endpoints, name: str) -> str:
    if external := os.environ.get(f"{name.upper()}_DATABASE_URL"):
        return external
    await ensure_database(endpoints, name)
    return endpoints.database_url(name)


def _service_environment(
    endpoints: Endpoints, database_urls: dict[str, str], jwt_secret: str
) -> dict[str, str]:
    env = dict(os.environ)  # passes HEYZACK_TIMEZONE and the rest through
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap,
        REDIS_URL=endpoints.redis_url,
        HEYZACK_JWT_SECRET=jwt_secret,
    )
    env.update({f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()})
    return env


def _leave_platform_env(state_dir: Path, env: dict[str, str]) -> None:
    """Where the servers are, for `heyzack-ops` (it reads this file when its environment does not say)."""
    names = [
        "KAFKA_BOOTSTRAP_SERVERS",
        "REDIS_URL",
        *(name for name in env if name.endswith("_DATABASE_URL")),
    ]
    lines = [f"{name}={env[name]}" for name in names if name in env]
    (state_dir / "platform.env").write_text("\n".join(lines) + "\n")


def _jwt_secret(state_dir: Path) -> str:
    if secret := os.environ.get("HEYZACK_JWT_SECRET"):
        return secret
    path = state_dir / "jwt_secret"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


async def _load_demo(
    state_dir: Path, token: str, kafka_bootstrap: str, database_urls: dict[str, str]
) -> None:
    """Load the demo history as of its first load, on every start: records already there are skipped, and
    the commerce events, which only the (in-memory) broker kept, are published again."""
    if (state_dir / "demo-loaded").exists():  # written by versions before the demo history
        _say("the demo data of an earlier version is loaded; `make clean` for the current demo")
        return
    anchor_file = state_dir / "demo-anchor"
    if not anchor_file.exists():
        anchor_file.write_text(datetime.now(UTC).isoformat() + "\n")
    anchor = datetime.fromisoformat(anchor_file.read_text().strip())
    _say(f"loading the demo history of {DEMO_PARTNER} as of {anchor:%Y-%m-%d %H:%M} UTC…")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=service("credits").url, headers=headers, timeout=30) as credits:
        await load_demo(
            demo_history(DEMO_PARTNER, now=anchor),
            databases=database_urls,
            kafka_bootstrap=kafka_bootstrap,
            credits=credits,
            say=_say,
        )


async def _projection_caught_up(secret: str, timeout: float = 60.0) -> None:
    """Wait (a little) until the projector has applied every event published so far, so the portal opens on
    the figures rather than filling up before the partner's eyes; it updates live after that anyway."""
    _say("projecting the events…")
    operator = issue_token(secret, partner_id=DEMO_PARTNER, roles=["ops"], subject="heyzack-stack")
    headers = {"Authorization": f"Bearer {operator}"}
    url = f"{service('kpi-projector').url}/v1/ops/projection"
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(headers=headers, timeout=10) as http:
        while asyncio.get_running_loop().time() < deadline:
            state = (await http.get(url)).json()
            if state.get("lag") == 0 and state.get("events_handled", 0) > 0:
                return
            await asyncio.sleep(0.5)
    _say("the projection is still catching up; the portal will fill in as it does")


def _announce(token: str, state_dir: Path) -> None:
    portal = service("kpi-projector").url
    (state_dir / "demo_token").write_text(token + "\n")
    print(
        f"\nHeyZack platform is up.\n"
        f"  portal:      {portal}/?token={token}\n"
        f"  partner:     {DEMO_PARTNER}\n"
        f"  demo token:  {token}\n"
        f"  try:         curl -H 'Authorization: Bearer {token}' {portal}/v1/dashboard\n"
        f"  logs:        {state_dir / 'logs'}/\n"
        f"Ctrl-C stops everything.\n",
        flush=True,
    )


def _stop_on_signals(task: asyncio.Task[Any] | None) -> None:
    assert task is not None
    loop = asyncio.get_running_loop()

    def stop(signum: signal.Signals) -> None:
        if task.cancelling():
            _say("already stopping…")
            return
        _say(f"{signum.name}: stopping the services, then the infrastructure…")
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)


def _say(message: str) -> None:
    print(f"heyzack-stack: {message}", flush=True)


__all__ = ["main", "run_platform"]
