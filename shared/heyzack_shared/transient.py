"""Failures worth waiting out, and the wait between attempts.

A transient failure is the infrastructure's (a server unreachable, restarting, failing over, out of
resources, a timeout): the same records apply once it has passed, so a consumer retries them and never
dead-letters them. Any other failure is taken to be the record's own and is isolated (see consumer.py).
"""

from __future__ import annotations

import random

import asyncpg
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from redis import exceptions as redis_errors

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    KafkaError,
    redis_errors.ConnectionError,  # with BusyLoadingError: unreachable, or loading its data
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # a replica that was a master a moment ago
    redis_errors.OutOfMemoryError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
    redis_errors.MasterDownError,
    redis_errors.MaxConnectionsError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    # asyncpg's protocol state confused by a connection the server closed under it (seen when PostgreSQL
    # terminates a backend while a query is being sent); nothing was committed.
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, cannot connect now, query cancelled
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,  # a database not accepting connections now
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, out of memory, too many connections
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.LockNotAvailableError,
)
# A busy script (Redis is running another one) has no class of its own in redis-py.
_TRANSIENT_REPLIES = ("BUSY ",)
# Kafka errors that the same message meets again however long one waits.
_NEVER_TRANSIENT = (MessageSizeTooLargeError, RecordTooLargeError)


class StoreUnavailable(ConnectionError):
    """No connection to the store could be had: whatever the reason, no record was touched yet."""


def is_transient(error: BaseException) -> bool:
    if isinstance(error, _NEVER_TRANSIENT):
        return False
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    return isinstance(error, redis_errors.ResponseError) and str(error).startswith(_TRANSIENT_REPLIES)


def backoff(attempt: int, *, first: float = 0.1, cap: float = 2.0) -> float:
    """Seconds to wait before attempt `attempt` + 1: doubling from `first` up to `cap`, with jitter so that
    many consumers do not retry in step."""
    ceiling = min(cap, first * 2 ** min(attempt, 30))
    return random.uniform(ceiling / 2, ceiling)
