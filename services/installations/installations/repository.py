"""Loading and saving entities on the unit of work's connection. Never commits: the use case does.

Every query names the partner, so one partner can never read or change another's rows. `lock=True`
reads with `SELECT ... FOR UPDATE`: concurrent commands on one aggregate then run one after the other,
each seeing the version the previous one wrote.
"""

from __future__ import annotations

import json
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heyzack_shared.contracts.installations import Availability, DeviceType, ProductLine
from installations.domain import Customer, Handyman, Installation, Status

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy


def _locking(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""


class Customers:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, customer_id: str, *, lock: bool = False) -> Customer | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, name, email, active, version FROM customers"
            " WHERE partner_id = $1 AND id = $2" + _locking(lock),
            partner_id,
            customer_id,
        )
        return None if row is None else Customer(**dict(row))

    async def save(self, customer: Customer) -> None:
        await self._conn.execute(
            "INSERT INTO customers (partner_id, id, name, email, active, version)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (partner_id, id) DO UPDATE SET name = $3, email = $4, active = $5, version = $6,"
            " updated_at = now()",
            customer.partner_id,
            customer.id,
            customer.name,
            customer.email,
            customer.active,
            customer.version,
        )


class Handymen:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, handyman_id: str, *, lock: bool = False) -> Handyman | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, name, availability, certifications, skills, version FROM handymen"
            " WHERE partner_id = $1 AND id = $2" + _locking(lock),
            partner_id,
            handyman_id,
        )
        if row is None:
            return None
        return Handyman(
            partner_id=row["partner_id"],
            id=row["id"],
            name=row["name"],
            availability=Availability(row["availability"]),
            certifications=list(row["certifications"]),
            skills=json.loads(row["skills"]),
            version=row["version"],
        )

    async def save(self, handyman: Handyman) -> None:
        await self._conn.execute(
            "INSERT INTO handymen (partner_id, id, name, availability, certifications, skills, version)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)"
            " ON CONFLICT (partner_id, id) DO UPDATE SET name = $3, availability = $4, certifications = $5,"
            " skills = $6::jsonb, version = $7, updated_at = now()",
            handyman.partner_id,
            handyman.id,
            handyman.name,
            handyman.availability.value,
            handyman.certifications,
            json.dumps(handyman.skills),
            handyman.version,
        )


class Installations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, partner_id: str, installation_id: str, *, lock: bool = False) -> Installation | None:
        row = await self._conn.fetchrow(
            "SELECT partner_id, id, customer_id, handyman_id, device_type, products, price_cents,"
            " scheduled_for, status, version FROM installations"
            " WHERE partner_id = $1 AND id = $2" + _locking(lock),
            partner_id,
            installation_id,
        )
        if row is None:
            return None
        return Installation(
            partner_id=row["partner_id"],
            id=row["id"],
            customer_id=row["customer_id"],
            handyman_id=row["handyman_id"],
            device_type=DeviceType(row["device_type"]),
            products=[ProductLine.model_validate(line) for line in json.loads(row["products"])],
            price_cents=row["price_cents"],
            scheduled_for=row["scheduled_for"],
            status=Status(row["status"]),
            version=row["version"],
        )

    async def save(self, installation: Installation) -> None:
        products = json.dumps([line.model_dump(mode="json") for line in installation.products])
        await self._conn.execute(
            "INSERT INTO installations (partner_id, id, customer_id, handyman_id, device_type, products,"
            " price_cents, scheduled_for, status, version)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)"
            " ON CONFLICT (partner_id, id) DO UPDATE SET handyman_id = $4, status = $9, version = $10,"
            " updated_at = now()",
            installation.partner_id,
            installation.id,
            installation.customer_id,
            installation.handyman_id,
            installation.device_type.value,
            products,
            installation.price_cents,
            installation.scheduled_for,
            installation.status.value,
            installation.version,
        )
