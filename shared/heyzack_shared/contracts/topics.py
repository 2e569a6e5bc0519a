"""Kafka topic names: spelled here and nowhere else."""

from typing import Final

INSTALLATIONS: Final = "heyzack.installations.v1"
RATINGS: Final = "heyzack.ratings.v1"
CREDITS: Final = "heyzack.credits.v1"
COMMERCE: Final = "heyzack.commerce.v1"
DEADLETTER: Final = "heyzack.deadletter.v1"

DOMAIN_TOPICS: Final = (INSTALLATIONS, RATINGS, CREDITS, COMMERCE)
ALL_TOPICS: Final = (*DOMAIN_TOPICS, DEADLETTER)

BROKER_EPOCH: Final = "heyzack.broker-epoch.v1"
"""Not a contract topic: one partition whose first record names the broker's epoch (broker_watch.py)."""
