"""The installations service's settings, read once from the environment by `app.main`."""

from __future__ import annotations

from pydantic import Field

from heyzack_shared.settings import ServiceSettings, database_url_field


class InstallationsSettings(ServiceSettings):
    database_url: str = Field(validation_alias=database_url_field("installations"))
    http_port: int = Field(default=8001, validation_alias="HTTP_PORT", ge=1, le=65535)
