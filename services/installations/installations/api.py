"""The HTTP API: every route authenticates the caller and acts within the caller's partner only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse

from heyzack_shared.auth import CurrentCaller
from heyzack_shared.http import (
    STANDARD_ERRORS,
    IdempotencyKeyHeader,
    IdInPath,
    error_response,
    idempotent_responses,
    respond,
)
from heyzack_shared.idempotency import IdempotencyKey
from installations import commands, handlers
from installations.schemas import (
    Assignment,
    AvailabilityChange,
    CustomerChange,
    CustomerOut,
    HandymanOut,
    HandymanProfileChange,
    InstallationOut,
    NewCustomer,
    NewHandyman,
    NewInstallation,
    StatusChange,
)
from installations.unit_of_work import UnitOfWork


async def _unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.pool)


Uow = Annotated[UnitOfWork, Depends(_unit_of_work)]
router = APIRouter(prefix="/v1")
_errors = STANDARD_ERRORS
_conflict: dict[int | str, dict[str, Any]] = {
    409: error_response("refused by the installation workflow; nothing changed")
}


@router.post(
    "/customers",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerOut,
    responses=idempotent_responses("the customer, registered"),
    tags=["customers"],
)
async def register_customer(
    body: NewCustomer, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "register_customer", body)
    cmd = commands.RegisterCustomer(partner_id=caller.partner_id, idempotency_key=key, **body.model_dump())
    return respond(await handlers.register_customer(cmd, uow), CustomerOut)


@router.patch("/customers/{customer_id}", responses=_errors, tags=["customers"])
async def update_customer(
    customer_id: IdInPath, body: CustomerChange, caller: CurrentCaller, uow: Uow
) -> CustomerOut:
    cmd = commands.UpdateCustomer(partner_id=caller.partner_id, customer_id=customer_id, **body.model_dump())
    return CustomerOut.of(await handlers.update_customer(cmd, uow))


@router.get("/customers/{customer_id}", responses=_errors, tags=["customers"])
async def get_customer(customer_id: IdInPath, caller: CurrentCaller, uow: Uow) -> CustomerOut:
    return CustomerOut.of(await handlers.get_customer(caller.partner_id, customer_id, uow))


@router.post(
    "/handymen",
    status_code=status.HTTP_201_CREATED,
    response_model=HandymanOut,
    responses=idempotent_responses("the handyman, registered"),
    tags=["handymen"],
)
async def register_handyman(
    body: NewHandyman, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    key = IdempotencyKey.of(caller.partner_id, idempotency_key, "register_handyman", body)
    cmd = commands.RegisterHandyman(partner_id=caller.partner_id, idempotency_key=key, **body.model_dump())
    return respond(await handlers.register_handyman(cmd, uow), HandymanOut)


@router.patch("/handymen/{handyman_id}", responses=_errors, tags=["handymen"])
async def update_handyman_profile(
    handyman_id: IdInPath, body: HandymanProfileChange, caller: CurrentCaller, uow: Uow
) -> HandymanOut:
    cmd = commands.UpdateHandymanProfile(
        partner_id=caller.partner_id, handyman_id=handyman_id, **body.model_dump()
    )
    return HandymanOut.of(await handlers.update_handyman_profile(cmd, uow))


@router.put("/handymen/{handyman_id}/availability", responses=_errors, tags=["handymen"])
async def change_availability(
    handyman_id: IdInPath, body: AvailabilityChange, caller: CurrentCaller, uow: Uow
) -> HandymanOut:
    cmd = commands.ChangeAvailability(
        partner_id=caller.partner_id, handyman_id=handyman_id, availability=body.availability
    )
    return HandymanOut.of(await handlers.change_availability(cmd, uow))


@router.get("/handymen/{handyman_id}", responses=_errors, tags=["handymen"])
async def get_handyman(handyman_id: IdInPath, caller: CurrentCaller, uow: Uow) -> HandymanOut:
    return HandymanOut.of(await handlers.get_handyman(caller.partner_id, handyman_id, uow))


@router.post(
    "/installations",
    status_code=status.HTTP_201_CREATED,
    response_model=InstallationOut,
    responses={
        **idempotent_responses("the installation, scheduled"),
        409: error_response("the customer is inactive"),
    },
    tags=["installations"],
)
async def schedule_installation(
    body: NewInstallation, caller: CurrentCaller, uow: Uow, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    cmd = commands.ScheduleInstallation(
        partner_id=caller.partner_id,
        idempotency_key=IdempotencyKey.of(caller.partner_id, idempotency_key, "schedule_installation", body),
        customer_id=body.customer_id,
        device_type=body.device_type,
        products=body.products,
        price_cents=body.price_cents,
        scheduled_for=body.scheduled_for,
    )
    return respond(await handlers.schedule_installation(cmd, uow), InstallationOut)


@router.post(
    "/installations/{installation_id}/assign", responses={**_errors, **_conflict}, tags=["installations"]
)
async def assign_handyman(
    installation_id: IdInPath, body: Assignment, caller: CurrentCaller, uow: Uow
) -> InstallationOut:
    cmd = commands.AssignHandyman(
        partner_id=caller.partner_id, installation_id=installation_id, handyman_id=body.handyman_id
    )
    return InstallationOut.of(await handlers.assign_handyman(cmd, uow))


@router.post(
    "/installations/{installation_id}/status", responses={**_errors, **_conflict}, tags=["installations"]
)
async def change_installation_status(
    installation_id: IdInPath, body: StatusChange, caller: CurrentCaller, uow: Uow
) -> InstallationOut:
    cmd = commands.ChangeInstallationStatus(
        partner_id=caller.partner_id, installation_id=installation_id, to_status=body.to_status
    )
    return InstallationOut.of(await handlers.change_installation_status(cmd, uow))


@router.get("/installations/{installation_id}", responses=_errors, tags=["installations"])
async def get_installation(installation_id: IdInPath, caller: CurrentCaller, uow: Uow) -> InstallationOut:
    return InstallationOut.of(await handlers.get_installation(caller.partner_id, installation_id, uow))
