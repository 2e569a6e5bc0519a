"""PostgreSQL going away for a while is the infrastructure's failure, not the events': the consumer waits it
out with backoff, dead-letters nothing, and every event published meanwhile takes effect once it is back.
Without the transient/poison distinction the failing batch would be split and each event dead-lettered.
"""

from __future__ import annotations

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from heyzack_shared.testing import wait_until
from heyzack_shared.testing.dead_letters import Source, dead_letters_among
from heyzack_stack.infra import Endpoints
from ratings.consumers import CONSUMER

from .test_consumer import History, all_handled
from .test_poison import approved, send

TIMEOUT = 60


def retries() -> float:
    return REGISTRY.get_sample_value("heyzack_consumer_retries_total", {"consumer": CONSUMER}) or 0.0


async def test_an_outage_of_postgresql_dead_letters_nothing_and_loses_nothing(
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    partner: str,
    infrastructure: Endpoints,
    postgres_admin: asyncpg.Connection,
) -> None:
    """The service's database shut (existing connections terminated, new ones refused) while events arrive."""
    database = await pool.fetchval("SELECT current_database()")
    await all_handled(producer, pool, partner)  # the consumer has its partitions and positions
    jobs = [History(partner), History(f"{partner}-b")]
    before = retries()
    sources: list[Source] = []
    await postgres_admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        await postgres_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        for job in jobs:
            for event in [*job.until_work_completed(), job.approved()]:
                sources.append(await send(producer, event))
        await wait_until(
            lambda: retries() > before + 2, timeout=TIMEOUT, message="the consumer never retried"
        )
    finally:
        await postgres_admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    # what the outage made the consumer dead-letter, it did before the database came back
    assert await dead_letters_among(infrastructure.kafka_bootstrap, sources) == {}

    async def all_applied() -> bool:
        return all([await approved(pool, job) for job in jobs])

    await wait_until(all_applied, timeout=TIMEOUT, message="events published during the outage were lost")
