"""Settings every service shares, read from the environment once, in the service's app.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    jwt_secret: SecretStr = Field(validation_alias="HEYZACK_JWT_SECRET", min_length=32)
    timezone: str = Field(default="Europe/Paris", validation_alias="HEYZACK_TIMEZONE")
    http_host: str = Field(default="127.0.0.1", validation_alias="HTTP_HOST")
    portal_origins: str = Field(
        default="http://127.0.0.1:8000,http://localhost:8000", validation_alias="HEYZACK_PORTAL_ORIGINS"
    )
    """Comma-separated origins the partner portal is served from (CORS)."""

    @property
    def portal_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.portal_origins.split(",") if origin.strip()]

    @property
    def business_zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def database_url_field(service: str) -> AliasChoices:
    """`<SERVICE>_DATABASE_URL`, falling back to `DATABASE_URL`."""
    return AliasChoices(f"{service.upper()}_DATABASE_URL", "DATABASE_URL")
