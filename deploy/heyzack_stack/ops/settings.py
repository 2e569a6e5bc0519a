"""Where the platform is: the environment the services read, else the file `make run` leaves in `.state/`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PLATFORM_ENV = Path(__file__).resolve().parents[3] / ".state" / "platform.env"
"""Written by `make run`; `HEYZACK_PLATFORM_ENV` names another file (tests name none that exists)."""


class OpsSettings(BaseSettings):
    """Read from the environment first, then from `.state/platform.env` (written by `make run`)."""

    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    operations_database_url: str = Field(
        default="postgresql://127.0.0.1:5432/operations", validation_alias="OPERATIONS_DATABASE_URL"
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    projector_redis_namespace: str = Field(default="hz", validation_alias="PROJECTOR_REDIS_NAMESPACE")
    installations_database_url: str | None = Field(
        default=None, validation_alias="INSTALLATIONS_DATABASE_URL"
    )
    ratings_database_url: str | None = Field(default=None, validation_alias="RATINGS_DATABASE_URL")
    credits_database_url: str | None = Field(default=None, validation_alias="CREDITS_DATABASE_URL")

    def database_of(self, service: str) -> str | None:
        """The database URL of a domain service (`installations`, `ratings`, `credits`), if known."""
        url: str | None = getattr(self, f"{service}_database_url")
        return url


def ops_settings() -> OpsSettings:
    """The settings from the environment, then from the file `make run` left (or `HEYZACK_PLATFORM_ENV`)."""
    return OpsSettings(_env_file=os.environ.get("HEYZACK_PLATFORM_ENV", str(PLATFORM_ENV)))
