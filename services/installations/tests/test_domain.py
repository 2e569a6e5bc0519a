"""The rules of installations.domain, without I/O: the workflow, versions, and what each change emits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from heyzack_shared.contracts.installations import (
    Availability,
    CustomerStatusChanged,
    DeviceType,
    HandymanAssigned,
    HandymanProfileUpdated,
    InstallationCreated,
    InstallationStatusChanged,
    ProductLine,
)
from heyzack_shared.errors import Conflict
from installations.domain import (
    Customer,
    CustomerInactive,
    ForbiddenTransition,
    Handyman,
    Installation,
    InstallationClosed,
    Status,
)

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PARTNER = "partner-domain"

ALLOWED = [
    (Status.SCHEDULED, Status.IN_PROGRESS),
    (Status.SCHEDULED, Status.CANCELLED),
    (Status.IN_PROGRESS, Status.WORK_COMPLETED),
    (Status.IN_PROGRESS, Status.CANCELLED),
    (Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED),
    (Status.WORK_COMPLETED, Status.CANCELLED),
]
ALLOWED_PATH = [Status.IN_PROGRESS, Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED]
FORBIDDEN = [(src, dst) for src in Status for dst in Status if (src, dst) not in ALLOWED]


def customer(active: bool = True) -> Customer:
    return Customer.register(PARTNER, name="Ada", email="ada@example.com", active=active, at=AT)[0]


def handyman() -> Handyman:
    return Handyman.register(
        PARTNER, name="Bob", availability=Availability.AVAILABLE, certifications=[], skills={}, at=AT
    )[0]


def installation_in(status: Status) -> Installation:
    """An installation brought to `status` the only way there is: through the workflow."""
    job, _ = Installation.schedule(
        customer(),
        device_type=DeviceType.CAMERA,
        products=[ProductLine(sku="CAM-1", quantity=2)],
        price_cents=12_000,
        scheduled_for=AT,
        at=AT,
    )
    path = {
        Status.SCHEDULED: [],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.WORK_COMPLETED: [Status.IN_PROGRESS, Status.WORK_COMPLETED],
        Status.CUSTOMER_APPROVED: [Status.IN_PROGRESS, Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED],
        Status.CANCELLED: [Status.CANCELLED],
    }[status]
    for step in path:
        job.change_status(step, AT)
    return job


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition_emits_one_event_with_the_next_version(
    from_status: Status, to_status: Status
) -> None:
    job = installation_in(from_status)
    version = job.version

    event = job.change_status(to_status, AT)

    assert isinstance(event, InstallationStatusChanged)
    assert (event.data.from_status, event.data.to_status) == (from_status, to_status)
    assert job.status is to_status
    assert event.aggregate_version == job.version == version + 1
    assert (event.aggregate_id, event.partner_id, event.occurred_at) == (job.id, PARTNER, AT)


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_every_other_transition_is_refused_and_changes_nothing(
    from_status: Status, to_status: Status
) -> None:
    job = installation_in(from_status)
    version = job.version

    with pytest.raises(ForbiddenTransition) as refused:
        job.change_status(to_status, AT)

    assert isinstance(refused.value, Conflict)
    assert f"cannot go from {from_status} to {to_status}" in refused.value.message
    assert (job.status, job.version) == (from_status, version)


def test_the_happy_path_counts_versions_from_one() -> None:
    job, created = Installation.schedule(
        customer(), device_type=DeviceType.THERMOSTAT, products=[], price_cents=0, scheduled_for=AT, at=AT
    )
    assert isinstance(created, InstallationCreated)
    assert created.aggregate_version == 1
    assert created.data.status is Status.SCHEDULED
    versions = [job.change_status(step, AT).aggregate_version for step in ALLOWED_PATH]
    assert versions == [2, 3, 4]
    assert job.status is Status.CUSTOMER_APPROVED


def test_an_inactive_customer_gets_no_new_installation() -> None:
    with pytest.raises(CustomerInactive):
        Installation.schedule(
            customer(active=False),
            device_type=DeviceType.ALARM,
            products=[],
            price_cents=1,
            scheduled_for=AT,
            at=AT,
        )


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.IN_PROGRESS, Status.WORK_COMPLETED])
def test_a_handyman_can_be_assigned_until_the_job_is_closed(status: Status) -> None:
    job, worker = installation_in(status), handyman()

    event = job.assign(worker, AT)

    assert isinstance(event, HandymanAssigned)
    assert event.data.handyman_id == job.handyman_id == worker.id
    assert event.aggregate_version == job.version
    assert job.assign(worker, AT) is None, "assigning the same handyman again changes nothing"


@pytest.mark.parametrize("status", [Status.CUSTOMER_APPROVED, Status.CANCELLED])
def test_a_closed_job_refuses_assignment(status: Status) -> None:
    job = installation_in(status)
    with pytest.raises(InstallationClosed):
        job.assign(handyman(), AT)
    assert job.handyman_id is None


def test_customer_status_changes_only_when_it_differs() -> None:
    ada = customer()
    assert ada.set_active(True, AT) is None
    event = ada.set_active(False, AT)
    assert isinstance(event, CustomerStatusChanged)
    assert (event.data.active, event.aggregate_version, ada.version) == (False, 2, 2)
    ada.edit_contact(name="Ada L.")
    assert (ada.name, ada.email, ada.version) == ("Ada L.", "ada@example.com", 2)


def test_a_profile_update_carries_the_full_new_lists() -> None:
    bob = handyman()
    event = bob.update_profile(AT, skills={"camera": 4})
    assert isinstance(event, HandymanProfileUpdated)
    assert (event.data.certifications, event.data.skills) == ([], {"camera": 4})
    event = bob.update_profile(AT, certifications=["electrician"])
    assert event is not None
    assert (event.data.certifications, event.data.skills, event.aggregate_version) == (
        ["electrician"],
        {"camera": 4},
        3,
    )
    assert bob.update_profile(AT, certifications=["electrician"]) is None


def test_availability_changes_only_when_it_differs() -> None:
    bob = handyman()
    assert bob.set_availability(Availability.AVAILABLE, AT) is None
    event = bob.set_availability(Availability.OFF_DUTY, AT)
    assert event is not None
    assert (event.data.availability, event.aggregate_version) == (Availability.OFF_DUTY, 2)
