"""The HTTP API: the caller's credits, and applying them to a Shopify order. Always the caller's partner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from credits import commands, handlers
from credits.domain import CreditPolicy
from credits.schemas import CreditApplication, CreditApplied, Credits
from credits.unit_of_work import UnitOfWork
from heyzack_shared.auth import CurrentCaller
from heyzack_shared.errors import HeyZackError
from heyzack_shared.http import STANDARD_ERRORS, error_response, idempotent_responses, respond
from heyzack_shared.idempotency import IdempotencyKey
from heyzack_shared.values import MAX_EXACT


class MissingIdempotencyKey(HeyZackError):
    status = 400
    code = "idempotency_key_required"


async def _unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.pool)


async def _policy(request: Request) -> CreditPolicy:
    policy: CreditPolicy = request.app.state.policy
    return policy


Uow = Annotated[UnitOfWork, Depends(_unit_of_work)]
Policy = Annotated[CreditPolicy, Depends(_policy)]
router = APIRouter(prefix="/v1", tags=["credits"])
_errors = STANDARD_ERRORS


@router.get("/credits", responses=_errors)
async def show_credits(
    caller: CurrentCaller,
    uow: Uow,
    policy: Policy,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_EXACT, description="`next_cursor` of the previous page")
    ] = None,
) -> Credits:
    """Balance, this month's revenue and tier, and a page of the ledger (newest first)."""
    query = commands.ShowCredits(partner_id=caller.partner_id, limit=limit, cursor=cursor)
    return Credits.of(await handlers.show_credits(query, uow, policy))


@router.post(
    "/credits/apply",
    status_code=201,
    response_model=CreditApplied,
    responses={
        **idempotent_responses("the credit, applied"),
        400: error_response("the Idempotency-Key header is missing"),
        409: error_response("over the balance (insufficient_credit) or the cart total; nothing changed"),
        422: error_response("invalid input, amount ≤ 0, or a key reused with other parameters"),
    },
)
async def apply_credit(
    body: CreditApplication,
    caller: CurrentCaller,
    uow: Uow,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="required; a retry with the same key and body returns the first answer, applied once",
        ),
    ] = None,
) -> JSONResponse:
    """Deduct credit for a Shopify order. Refusals change nothing and do not use up the Idempotency-Key."""
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "apply_credit", body)
    if key is None or not key.key.strip():
        raise MissingIdempotencyKey("the Idempotency-Key header is required to apply credit")
    cmd = commands.ApplyCredit(
        partner_id=caller.partner_id,
        idempotency_key=key,
        shopify_order_ref=body.shopify_order_ref,
        cart_total_cents=body.cart_total_cents,
        amount_cents=body.amount_cents,
    )
    return respond(await handlers.apply_credit(cmd, uow), CreditApplied)
