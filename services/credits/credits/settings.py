from pydantic import Field

from heyzack_shared.settings import ServiceSettings, database_url_field


class CreditsSettings(ServiceSettings):
    database_url: str = Field(validation_alias=database_url_field("credits"))
    http_port: int = Field(default=8003, validation_alias="HTTP_PORT")
