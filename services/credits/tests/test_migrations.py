"""A credits database migrated before the Idempotency-Keys moved to the shared table keeps its keys: a retry
of a credit application answered before the upgrade is still answered that answer."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

from credits.app import MIGRATIONS
from credits.schemas import CreditApplication
from heyzack_shared.db import SHARED_MIGRATIONS, create_pool, migrate
from heyzack_shared.idempotency import Answer, IdempotencyKey, IdempotencyKeys
from heyzack_stack.infra import Endpoints, ensure_database

BEFORE = {"shared": ["000_outbox.sql", "001_inbox.sql"], "credits": ["001_credits.sql"]}


def _as_deployed(tmp_path: Path) -> list[Path]:
    """The migration folders as they were before the shared idempotency table."""
    folders = []
    for name, source in (("shared", SHARED_MIGRATIONS), ("credits", MIGRATIONS)):
        (tmp_path / name).mkdir()
        for file in BEFORE[name]:
            shutil.copy(source / file, tmp_path / name / file)
        folders.append(tmp_path / name)
    return folders


async def test_keys_answered_before_the_upgrade_still_replay(
    infrastructure: Endpoints, tmp_path: Path
) -> None:
    name = f"credits_upgrade_{uuid.uuid4().hex[:12]}"
    await ensure_database(infrastructure, name)
    pool = await create_pool(infrastructure.database_url(name))
    try:
        await migrate(pool, *_as_deployed(tmp_path))
        body = CreditApplication(shopify_order_ref="#1001", cart_total_cents=10_000, amount_cents=1_000)
        old_hash = hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True).encode()).hexdigest()
        answered = {"entry_id": "cre_1", "balance_after_cents": 11_000, **body.model_dump()}
        await pool.execute(
            "INSERT INTO idempotency_keys (partner_id, key, request_hash, status, response)"
            " VALUES ('partner-1', 'key-1', $1, 201, $2::jsonb)",
            old_hash,
            json.dumps(answered),
        )

        applied = await migrate(pool, SHARED_MIGRATIONS, MIGRATIONS)

        assert applied == [
            "002_idempotent_requests.sql",
            "003_broker_epochs.sql",
            "003_idempotent_requests_expiry.sql",
            "002_idempotency_keys_to_shared.sql",
        ]
        key = IdempotencyKey.of("partner-1", "key-1", "apply_credit", body)
        assert key is not None
        async with pool.acquire() as conn, conn.transaction():
            assert await IdempotencyKeys(conn).claim(key) == Answer(201, answered, replayed=True)
        assert await pool.fetchval("SELECT to_regclass('idempotency_keys')") is None
    finally:
        await pool.close()
