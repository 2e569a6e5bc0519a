"""The projector's settings, read once from the environment by `app.main`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from heyzack_shared.contracts import topics
from heyzack_shared.settings import ServiceSettings


class Role(StrEnum):
    """What one process runs: both parts (the default), or one of them to scale them separately."""

    ALL = "all"
    API = "api"
    CONSUMER = "consumer"


class ProjectorSettings(ServiceSettings):
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    http_port: int = Field(default=8000, validation_alias="HTTP_PORT", ge=1, le=65535)
    role: Role = Field(default=Role.ALL, validation_alias="PROJECTOR_ROLE")
    consumer_group_id: str = Field(default="heyzack-kpi-projector", validation_alias="PROJECTOR_GROUP_ID")
    batch_size: int = Field(default=20_000, validation_alias="PROJECTOR_BATCH_SIZE", ge=1)
    topic_names: str = Field(default="all", validation_alias="PROJECTOR_TOPICS")
    """Comma-separated domain topics to consume, or `all` for every domain topic."""
    low_stock_threshold: int = Field(default=5, validation_alias="PROJECTOR_LOW_STOCK_THRESHOLD", ge=0)
    """Inventory report: a SKU with on hand ≤ this is low stock."""
    redis_namespace: str = Field(default="hz", validation_alias="PROJECTOR_REDIS_NAMESPACE", min_length=1)
    """First segment of every read-model key; lets several projections share one Redis (tests do)."""
    credits_url: str = Field(default="http://127.0.0.1:8003", validation_alias="HEYZACK_CREDITS_URL")
    """Where the portal's browser reaches the credits service (Use Credit)."""

    @field_validator("topic_names")
    @classmethod
    def _known_topics(cls, value: str) -> str:
        if value.strip() != "all":
            unknown = {name.strip() for name in value.split(",")} - set(topics.DOMAIN_TOPICS)
            if unknown:
                raise ValueError(f"not domain topics: {sorted(unknown)}; choose from {topics.DOMAIN_TOPICS}")
        return value

    @property
    def topics(self) -> tuple[str, ...]:
        if self.topic_names.strip() == "all":
            return tuple(topics.DOMAIN_TOPICS)
        return tuple(dict.fromkeys(name.strip() for name in self.topic_names.split(",")))
