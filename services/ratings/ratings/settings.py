"""The ratings service's settings, read once from the environment by `app.main`."""

from __future__ import annotations

from pydantic import Field

from heyzack_shared.settings import ServiceSettings, database_url_field


class RatingsSettings(ServiceSettings):
    database_url: str = Field(validation_alias=database_url_field("ratings"))
    http_port: int = Field(default=8002, validation_alias="HTTP_PORT", ge=1, le=65535)
    consumer_group_id: str = Field(
        default="heyzack-ratings", validation_alias="RATINGS_CONSUMER_GROUP_ID", min_length=1
    )
