"""Projections of the installations service's events: customers, handymen and installations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import orjson

from heyzack_shared.contracts import installations as inst
from kpi_projector.projections.business_time import business_day, business_day_at, utc_text
from kpi_projector.projections.engine import AggregateChange, aggregate_change, fact, fans_out, projects
from kpi_projector.projections.vocabulary import (
    APPROVED_DAY,
    ASSIGNED_S,
    COMPLETED_DAY,
    COMPLETED_S,
    CREATED_DAY,
    CUSTOMER,
    HANDYMAN,
    INSTALLATION,
    INSTALLATION_SKU,
    INSTALLATION_SKU_FIELDS,
    PRICE,
    STARTED_DAY,
    STARTED_S,
)


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@projects(inst.CustomerRegistered)
@projects(inst.CustomerStatusChanged)
def _customer(event: inst.CustomerRegistered | inst.CustomerStatusChanged, zone: ZoneInfo) -> AggregateChange:
    return aggregate_change(event, CUSTOMER, {"active": "true" if event.data.active else "false"})


@projects(inst.HandymanRegistered)
def _handyman_registered(event: inst.HandymanRegistered, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        "handyman_id": event.aggregate_id,
        "name": data.name,
        "availability": data.availability,
        "certifications": _json(data.certifications),
        "skills": _json(data.skills),
    }
    return aggregate_change(event, HANDYMAN, fields)


@projects(inst.HandymanProfileUpdated)
def _handyman_profile_updated(event: inst.HandymanProfileUpdated, zone: ZoneInfo) -> AggregateChange:
    fields = {
        "handyman_id": event.aggregate_id,
        "certifications": _json(event.data.certifications),
        "skills": _json(event.data.skills),
    }
    return aggregate_change(event, HANDYMAN, fields)


@projects(inst.HandymanAvailabilityChanged)
def _handyman_availability_changed(
    event: inst.HandymanAvailabilityChanged, zone: ZoneInfo
) -> AggregateChange:
    fields = {"handyman_id": event.aggregate_id, "availability": event.data.availability}
    return aggregate_change(event, HANDYMAN, fields)


@projects(inst.InstallationCreated)
def _installation_created(event: inst.InstallationCreated, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        "status": data.status,
        "customer_id": data.customer_id,
        "device_type": data.device_type,
        "products": _json([[line.sku, line.quantity] for line in data.products]),
        PRICE: str(data.price_cents),
        "created_at": utc_text(event.occurred_at),
        CREATED_DAY: business_day(event.occurred_at, zone),
    }
    _sku_fields(data.products, fields)
    return aggregate_change(event, INSTALLATION, fields)


@projects(inst.HandymanAssigned)
def _handyman_assigned(event: inst.HandymanAssigned, zone: ZoneInfo) -> AggregateChange:
    fields = {"handyman_id": event.data.handyman_id, ASSIGNED_S: str(int(event.occurred_at.timestamp()))}
    return aggregate_change(event, INSTALLATION, fields)


@projects(inst.InstallationStatusChanged)
def _installation_status_changed(event: inst.InstallationStatusChanged, zone: ZoneInfo) -> AggregateChange:
    to_status = event.data.to_status
    fields: dict[str, str] = {"status": to_status.value}
    if to_status is inst.InstallationStatus.IN_PROGRESS:
        seconds = int(event.occurred_at.timestamp())
        fields[STARTED_S] = str(seconds)
        fields[STARTED_DAY] = business_day_at(seconds, zone)
    elif to_status is inst.InstallationStatus.WORK_COMPLETED:
        seconds = int(event.occurred_at.timestamp())
        fields[COMPLETED_S] = str(seconds)
        fields[COMPLETED_DAY] = business_day_at(seconds, zone)
    elif to_status is inst.InstallationStatus.CUSTOMER_APPROVED:
        fields[APPROVED_DAY] = business_day(event.occurred_at, zone)
    return aggregate_change(event, INSTALLATION, fields)


def _skus(products: list[inst.ProductLine]) -> list[tuple[str, int]]:
    if len(products) == 1:
        return [(products[0].sku, products[0].quantity)]
    quantities: dict[str, int] = {}
    for line in products:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return list(quantities.items())


def _sku_fields(products: list[inst.ProductLine], fields: dict[str, str]) -> None:
    """The first `INSTALLATION_SKU_FIELDS` distinct SKUs of an installation's products, as its own fields
    `sku_<i>`, `sku_quantity_<i>` (no extra aggregate in the usual case; see `_installation_skus`)."""
    for index, (sku, quantity) in enumerate(_skus(products)[:INSTALLATION_SKU_FIELDS]):
        fields[f"sku_{index}"] = sku
        fields[f"sku_quantity_{index}"] = str(quantity)


@fans_out(inst.InstallationCreated)
def _installation_skus(event: inst.InstallationCreated, zone: ZoneInfo) -> list[AggregateChange]:
    """The SKUs of an installation beyond its first `INSTALLATION_SKU_FIELDS`: one `INSTALLATION_SKU` each."""
    products = event.data.products
    if len(products) <= INSTALLATION_SKU_FIELDS:
        return []
    day = business_day(event.occurred_at, zone)
    return [
        fact(
            event,
            INSTALLATION_SKU,
            f"{event.aggregate_id}#{sku}",
            {CREATED_DAY: day, "sku": sku, "quantity": str(quantity)},
        )
        for sku, quantity in _skus(products)[INSTALLATION_SKU_FIELDS:]
    ]
