"""Safe retries of a creating command: the first answer under a partner's Idempotency-Key is stored in the
transaction of its effect, and a retry of the same request gets that answer again instead of a second effect.

A key is claimed by inserting its row. A request racing one in flight with the same key waits on the unique
index until that transaction ends, then replays the stored answer (commit) or claims the key itself
(rollback: a refused command, 4xx, leaves the key free).

An answer is kept for KEY_RETENTION: long past any client's retries, and the table does not grow forever.
After that the key is free again, and each claim removes a few of its partner's expired answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

from heyzack_shared.errors import Invalid

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
KEY_RETENTION = timedelta(days=7)
_FORGET_AT_ONCE = 100


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used with other parameters;"
            " use a new key for a different request"
        )


@dataclass(frozen=True, kw_only=True)
class IdempotencyKey:
    """A caller's key and what it stands for: one command with one body, for one partner."""

    partner_id: str
    key: str
    command: str
    fingerprint: str

    @classmethod
    def of(cls, partner_id: str, key: str | None, command: str, body: BaseModel) -> Self | None:
        """None without a key. Two bodies equal once validated (defaults filled in, text trimmed) are the
        same request."""
        if key is None:
            return None
        return cls(partner_id=partner_id, key=key, command=command, fingerprint=fingerprint(body))


def fingerprint(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False

    @classmethod
    def created(cls, body: BaseModel) -> Self:
        return cls(201, body.model_dump(mode="json"))


class IdempotencyKeys:
    """The stored answers, on the connection of the unit of work whose effect they answer for."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def claim(self, key: IdempotencyKey) -> Answer | None:
        """None once the key is this transaction's; else the answer stored by its first request.

        Raises IdempotencyKeyReused if the key was first used for another command or another body.
        """
        await self._forget_expired(key.partner_id)
        claimed = await self._conn.fetchval(
            "INSERT INTO idempotent_requests (partner_id, key, command, request_hash) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (partner_id, key) DO UPDATE"
            " SET command = $3, request_hash = $4, status = NULL, response = NULL, created_at = now()"
            " WHERE idempotent_requests.created_at < now() - $5::interval"
            " RETURNING true",
            key.partner_id,
            key.key,
            key.command,
            key.fingerprint,
            KEY_RETENTION,
        )
        if claimed:
            return None
        row = await self._conn.fetchrow(
            "SELECT command, request_hash, status, response FROM idempotent_requests"
            " WHERE partner_id = $1 AND key = $2",
            key.partner_id,
            key.key,
        )
        assert row is not None and row["status"] is not None
        if (row["command"], row["request_hash"]) != (key.command, key.fingerprint):
            raise IdempotencyKeyReused(key.key)
        return Answer(row["status"], json.loads(row["response"]), replayed=True)

    async def _forget_expired(self, partner_id: str) -> None:
        await self._conn.execute(
            "DELETE FROM idempotent_requests WHERE ctid = ANY(ARRAY("
            "SELECT ctid FROM idempotent_requests WHERE partner_id = $1 AND created_at < now() - $2::interval"
            " LIMIT $3 FOR UPDATE SKIP LOCKED))",
            partner_id,
            KEY_RETENTION,
            _FORGET_AT_ONCE,
        )

    async def answer(self, key: IdempotencyKey, answer: Answer) -> None:
        await self._conn.execute(
            "UPDATE idempotent_requests SET status = $3, response = $4::jsonb"
            " WHERE partner_id = $1 AND key = $2",
            key.partner_id,
            key.key,
            answer.status,
            json.dumps(answer.body),
        )
