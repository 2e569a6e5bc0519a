"""What tests check of the broker's topics: how each was created."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType


async def topic_shapes(bootstrap: str) -> dict[str, tuple[int, str | None]]:
    """Each topic's number of partitions and its `retention.ms`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        if not partitions:
            return {}
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in partitions]
        )
        retention = {
            resource[3]: {entry[0]: entry[1] for entry in resource[4]}.get("retention.ms")
            for answer in answers
            for resource in answer.resources
        }
        return {name: (count, retention.get(name)) for name, count in partitions.items()}
    finally:
        await admin.close()
