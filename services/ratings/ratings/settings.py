from pydantic import Field

from heyzack_shared.settings import ServiceSettings, database_url_field


class RatingsSettings(ServiceSettings):
    database_url: str = Field(validation_alias=database_url_field("ratings"))
    http_port: int = Field(default=8002, validation_alias="HTTP_PORT")
