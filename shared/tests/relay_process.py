"""Runs one outbox relay until killed: the test kills it with SIGKILL in the middle of its work."""

import asyncio
import sys

from heyzack_shared.db import create_pool
from heyzack_shared.kafka import new_producer
from heyzack_shared.outbox import OutboxRelay


async def main(database_url: str, bootstrap: str) -> None:
    pool = await create_pool(database_url)
    producer = new_producer(bootstrap)
    await producer.start()
    await OutboxRelay(pool, producer, batch_size=100).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
