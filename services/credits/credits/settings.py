"""The credits service's settings, read once from the environment by `app.main`.

Thresholds are integer cents of monthly revenue; rates are basis points (1% = 100), so no float ever
touches money.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from credits.domain import CreditPolicy, Tier, TierSchedule
from heyzack_shared.settings import ServiceSettings, database_url_field


class CreditsSettings(ServiceSettings):
    database_url: str = Field(validation_alias=database_url_field("credits"))
    http_port: int = Field(default=8003, validation_alias="HTTP_PORT", ge=1, le=65535)
    consumer_group_id: str = Field(default="heyzack-credits", validation_alias="CREDITS_CONSUMER_GROUP_ID")

    silver_from_cents: int = Field(default=500_000, ge=1, validation_alias="CREDITS_SILVER_FROM_CENTS")
    gold_from_cents: int = Field(default=1_500_000, ge=1, validation_alias="CREDITS_GOLD_FROM_CENTS")
    platinum_from_cents: int = Field(default=4_000_000, ge=1, validation_alias="CREDITS_PLATINUM_FROM_CENTS")
    bronze_rate_bp: int = Field(default=0, ge=0, le=10_000, validation_alias="CREDITS_BRONZE_RATE_BP")
    silver_rate_bp: int = Field(default=200, ge=0, le=10_000, validation_alias="CREDITS_SILVER_RATE_BP")
    gold_rate_bp: int = Field(default=300, ge=0, le=10_000, validation_alias="CREDITS_GOLD_RATE_BP")
    platinum_rate_bp: int = Field(default=500, ge=0, le=10_000, validation_alias="CREDITS_PLATINUM_RATE_BP")

    @property
    def policy(self) -> CreditPolicy:
        def tier(name: str, from_cents: int, rate_bp: int) -> Tier:
            return Tier(name, from_cents, Decimal(rate_bp) / Decimal(10_000))

        schedule = TierSchedule(
            [
                tier("Bronze", 0, self.bronze_rate_bp),
                tier("Silver", self.silver_from_cents, self.silver_rate_bp),
                tier("Gold", self.gold_from_cents, self.gold_rate_bp),
                tier("Platinum", self.platinum_from_cents, self.platinum_rate_bp),
            ]
        )
        return CreditPolicy(schedule, self.business_zone)
