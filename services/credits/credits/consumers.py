"""Sales learned from other services' events: approved installations and placed orders.

Runs as the `Inbox` handler, on the batch's connection and inside its transaction, so the sales, credits and
outbox rows an event causes commit together with the record that the event was processed.
"""

from __future__ import annotations

from datetime import datetime

from credits.domain import CreditPolicy, Sale
from credits.handlers import record_sale
from credits.unit_of_work import Stores
from heyzack_shared.contracts.commerce import OrderPlaced
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.contracts.installations import (
    InstallationCreated,
    InstallationStatus,
    InstallationStatusChanged,
)
from heyzack_shared.envelope import Envelope
from heyzack_shared.inbox import EventHandler
from heyzack_shared.outbox import Connection


def sales_handler(policy: CreditPolicy) -> EventHandler:
    async def handle(conn: Connection, event: Envelope) -> None:
        stores = Stores(conn)
        for sale in await _sales_of(event, stores):
            await record_sale(sale, stores, policy)

    return handle


async def _sales_of(event: Envelope, stores: Stores) -> list[Sale]:
    if isinstance(event, OrderPlaced):
        return [
            Sale(
                partner_id=event.partner_id,
                sale_id=f"{event.data.order_id}:{line_no}",
                source=line.source,
                amount_cents=line.quantity * line.unit_price_cents,
                occurred_at=event.occurred_at,
            )
            for line_no, line in enumerate(event.data.lines, start=1)
        ]
    if isinstance(event, InstallationCreated):
        approved_at = await stores.installations.priced(
            event.partner_id, event.data.installation_id, event.data.price_cents, event.aggregate_version
        )
        if approved_at is None:
            return []
        return [
            _installation_sale(
                event.partner_id, event.data.installation_id, event.data.price_cents, approved_at
            )
        ]
    if isinstance(event, InstallationStatusChanged) and (
        event.data.to_status is InstallationStatus.CUSTOMER_APPROVED
    ):
        price = await stores.installations.approved(
            event.partner_id, event.data.installation_id, event.occurred_at
        )
        if price is None:
            return []
        return [_installation_sale(event.partner_id, event.data.installation_id, price, event.occurred_at)]
    return []


def _installation_sale(partner_id: str, installation_id: str, price_cents: int, at: datetime) -> Sale:
    return Sale(
        partner_id=partner_id,
        sale_id=installation_id,
        source=SaleSource.PARTNER_REVENUE,
        amount_cents=price_cents,
        occurred_at=at,
    )
