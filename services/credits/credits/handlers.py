"""Use cases. Each runs inside one transaction: the caller's unit of work, or the consumer's batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from credits import commands
from credits.domain import CreditEntry, CreditPolicy, Sale, month_of
from credits.unit_of_work import Stores, UnitOfWork
from heyzack_shared.idempotency import Answer


async def record_sale(sale: Sale, stores: Stores, policy: CreditPolicy) -> bool:
    """Add a sale to its month's revenue and earn its commission, once per sale id; False if seen before.

    Sales of a partner count in the order they are recorded: the partner's row lock orders them.
    """
    partner = await stores.partners.lock(sale.partner_id)
    month = month_of(sale.occurred_at, policy.zone)
    if not await stores.sales.add(sale, month):
        return False
    before = await stores.revenue.total(sale.partner_id, month)
    recorded = partner.record_sale(
        sale, month=month, month_total_before_cents=before, schedule=policy.schedule
    )
    await stores.revenue.save(sale.partner_id, month, recorded.month_total_cents, recorded.tier)
    if recorded.earned is not None:
        await stores.ledger.append(recorded.earned)
    await stores.partners.save(partner)
    await stores.emit(recorded.events)
    return True


async def apply_credit(cmd: commands.ApplyCredit, uow: UnitOfWork) -> Answer:
    """Apply credit once per Idempotency-Key.

    The key is claimed in the transaction that writes the ledger entry, so it is stored only with a
    success: a refused attempt (4xx) rolls back and leaves the key free, and a retry after a top-up can
    succeed. A request racing one in flight with the same key waits for it, then replays its answer.
    """
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        partner = await uow.stores.partners.lock(cmd.partner_id)
        entry, applied = partner.apply_credit(
            shopify_order_ref=cmd.shopify_order_ref,
            cart_total_cents=cmd.cart_total_cents,
            amount_cents=cmd.amount_cents,
        )
        await uow.stores.ledger.append(entry)
        await uow.stores.partners.save(partner)
        await uow.stores.emit([applied])
        body = {
            "entry_id": entry.entry_id,
            "shopify_order_ref": cmd.shopify_order_ref,
            "cart_total_cents": cmd.cart_total_cents,
            "amount_cents": cmd.amount_cents,
            "balance_after_cents": entry.balance_after_cents,
        }
        answer = await uow.answer(cmd.idempotency_key, Answer(201, body))
        await uow.commit()
    return answer


@dataclass(frozen=True, kw_only=True)
class Statement:
    partner_id: str
    balance_cents: int
    month: str
    monthly_revenue_cents: int
    tier: str
    ledger: list[CreditEntry]
    next_cursor: int | None


async def show_credits(query: commands.ShowCredits, uow: UnitOfWork, policy: CreditPolicy) -> Statement:
    month = month_of(datetime.now(UTC), policy.zone)
    async with uow:
        partner = await uow.stores.partners.get(query.partner_id)
        revenue = await uow.stores.revenue.total(query.partner_id, month)
        entries, following = await uow.stores.ledger.page(
            query.partner_id, limit=query.limit, before=query.cursor
        )
    return Statement(
        partner_id=query.partner_id,
        balance_cents=partner.balance_cents,
        month=month,
        monthly_revenue_cents=revenue,
        tier=policy.schedule.tier_for(revenue).name,
        ledger=entries,
        next_cursor=following,
    )
