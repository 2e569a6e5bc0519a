"""Use cases. Each owns its transaction: the state change and its events commit together, or neither does.

An id of another partner is indistinguishable from an unknown one (NotFound), whether it is in the path
or referenced from the body. A creating command may carry an Idempotency-Key: its answer (the response
body) is stored in the transaction of its effect, and a retry gets that answer instead of a second effect.
"""

from __future__ import annotations

from datetime import UTC, datetime

from heyzack_shared.aggregate import found
from heyzack_shared.idempotency import Answer
from installations import commands
from installations.domain import Customer, Handyman, Installation
from installations.schemas import CustomerOut, HandymanOut, InstallationOut
from installations.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


async def register_customer(cmd: commands.RegisterCustomer, uow: UnitOfWork) -> Answer:
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        customer, registered = Customer.register(
            cmd.partner_id, name=cmd.name, email=cmd.email, active=cmd.active, at=_now()
        )
        await uow.customers.save(customer)
        await uow.emit(registered)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(CustomerOut.of(customer)))
        await uow.commit()
    return answer


async def update_customer(cmd: commands.UpdateCustomer, uow: UnitOfWork) -> Customer:
    async with uow:
        customer = found(
            await uow.customers.get(cmd.partner_id, cmd.customer_id, lock=True), "customer", cmd.customer_id
        )
        customer.edit_contact(name=cmd.name, email=cmd.email)
        status_changed = None if cmd.active is None else customer.set_active(cmd.active, _now())
        await uow.customers.save(customer)
        await uow.emit(status_changed)
        await uow.commit()
    return customer


async def register_handyman(cmd: commands.RegisterHandyman, uow: UnitOfWork) -> Answer:
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        handyman, registered = Handyman.register(
            cmd.partner_id,
            name=cmd.name,
            availability=cmd.availability,
            certifications=cmd.certifications,
            skills=cmd.skills,
            at=_now(),
        )
        await uow.handymen.save(handyman)
        await uow.emit(registered)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(HandymanOut.of(handyman)))
        await uow.commit()
    return answer


async def update_handyman_profile(cmd: commands.UpdateHandymanProfile, uow: UnitOfWork) -> Handyman:
    async with uow:
        handyman = found(
            await uow.handymen.get(cmd.partner_id, cmd.handyman_id, lock=True), "handyman", cmd.handyman_id
        )
        updated = handyman.update_profile(_now(), certifications=cmd.certifications, skills=cmd.skills)
        await uow.handymen.save(handyman)
        await uow.emit(updated)
        await uow.commit()
    return handyman


async def change_availability(cmd: commands.ChangeAvailability, uow: UnitOfWork) -> Handyman:
    async with uow:
        handyman = found(
            await uow.handymen.get(cmd.partner_id, cmd.handyman_id, lock=True), "handyman", cmd.handyman_id
        )
        changed = handyman.set_availability(cmd.availability, _now())
        await uow.handymen.save(handyman)
        await uow.emit(changed)
        await uow.commit()
    return handyman


async def schedule_installation(cmd: commands.ScheduleInstallation, uow: UnitOfWork) -> Answer:
    async with uow:
        if replayed := await uow.replay(cmd.idempotency_key):
            return replayed
        customer = found(
            await uow.customers.get(cmd.partner_id, cmd.customer_id), "customer", cmd.customer_id
        )
        installation, created = Installation.schedule(
            customer,
            device_type=cmd.device_type,
            products=cmd.products,
            price_cents=cmd.price_cents,
            scheduled_for=cmd.scheduled_for,
            at=_now(),
        )
        await uow.installations.save(installation)
        await uow.emit(created)
        answer = await uow.answer(cmd.idempotency_key, Answer.created(InstallationOut.of(installation)))
        await uow.commit()
    return answer


async def assign_handyman(cmd: commands.AssignHandyman, uow: UnitOfWork) -> Installation:
    async with uow:
        installation = await _installation_for_update(uow, cmd.partner_id, cmd.installation_id)
        handyman = found(await uow.handymen.get(cmd.partner_id, cmd.handyman_id), "handyman", cmd.handyman_id)
        assigned = installation.assign(handyman, _now())
        await uow.installations.save(installation)
        await uow.emit(assigned)
        await uow.commit()
    return installation


async def change_installation_status(cmd: commands.ChangeInstallationStatus, uow: UnitOfWork) -> Installation:
    async with uow:
        installation = await _installation_for_update(uow, cmd.partner_id, cmd.installation_id)
        changed = installation.change_status(cmd.to_status, _now())
        await uow.installations.save(installation)
        await uow.emit(changed)
        await uow.commit()
    return installation


async def _installation_for_update(uow: UnitOfWork, partner_id: str, installation_id: str) -> Installation:
    installation = await uow.installations.get(partner_id, installation_id, lock=True)
    return found(installation, "installation", installation_id)


async def get_customer(partner_id: str, customer_id: str, uow: UnitOfWork) -> Customer:
    async with uow:
        return found(await uow.customers.get(partner_id, customer_id), "customer", customer_id)


async def get_handyman(partner_id: str, handyman_id: str, uow: UnitOfWork) -> Handyman:
    async with uow:
        return found(await uow.handymen.get(partner_id, handyman_id), "handyman", handyman_id)


async def get_installation(partner_id: str, installation_id: str, uow: UnitOfWork) -> Installation:
    async with uow:
        return found(
            await uow.installations.get(partner_id, installation_id), "installation", installation_id
        )
