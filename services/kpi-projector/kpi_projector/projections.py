"""Events → read-model changes. Pure: no I/O, no clock; the same events always give the same changes.

Every projected event becomes an `AggregateChange`: field values of one aggregate, stamped with the event's
`aggregate_version`. The store applies them with these semantics, which make duplicates, redeliveries and
out-of-order arrival harmless:
- an aggregate counts once in its kind's total (`total(kind)`) the first time any event of it is seen;
- each field is last-writer-wins by version, per field: an older event never overwrites a newer value, and a
  late early event still contributes the fields no later event set;
- for a counted field, the counter `counter(kind, field, value)` follows the aggregate's current value.

Adding a projection is adding a function decorated with `@projects(EventClass)`. Events without one are
accepted and ignored. A read-model needing a field not stored yet adds it here and rebuilds a generation by
replay. This runs for every event at 50k+ events/s: plain dicts, no per-field objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import orjson

from heyzack_shared.contracts import credits, ratings
from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope

CUSTOMER: Final = "customer"
HANDYMAN: Final = "handyman"
INSTALLATION: Final = "installation"
RATING: Final = "rating"
PARTNER_CREDITS: Final = "partner_credits"
"""One aggregate per partner (aggregate id = the partner id) for every event of the credits service, which
gives them one version sequence: the balance and each month's revenue total are last-writer-wins by it."""
BALANCE: Final = "balance_cents"

COUNTED: Final[dict[str, tuple[str, ...]]] = {
    CUSTOMER: ("active",),
    HANDYMAN: ("availability",),
    INSTALLATION: ("status",),
    RATING: ("stars",),
    PARTNER_CREDITS: (),
}
"""Per kind, the fields whose values are counted. A property of the kind, not of an event: a counted field
set by an event that did not count it would leave its counter behind."""


def total(kind: str) -> str:
    """Name of the counter of every aggregate of `kind` ever seen."""
    return kind


def month_revenue(month: str) -> str:
    """Name of the `PARTNER_CREDITS` field holding the revenue total (cents) of business month `YYYY-MM`."""
    return f"month:{month}"


def month_tier(month: str) -> str:
    """Name of the `PARTNER_CREDITS` field holding the tier reached in the business month `YYYY-MM`."""
    return f"tier:{month}"


def counter_prefix(kind: str, field: str) -> str:
    return f"{kind}:{field}:"


def counter(kind: str, field: str, value: str) -> str:
    """Name of the counter of aggregates of `kind` whose `field` currently holds `value`."""
    return counter_prefix(kind, field) + value


@dataclass(slots=True)
class AggregateChange:
    """What one event of one aggregate sets (or several events, merged by `absorb`).

    Every field of `fields` was set at `version`, unless `field_versions` names its own version (merged).
    """

    partner_id: str
    kind: str
    aggregate_id: str
    version: int
    fields: dict[str, str]
    field_versions: dict[str, int] | None = None

    @property
    def counted(self) -> tuple[str, ...]:
        return COUNTED.get(self.kind, ())

    def version_of(self, field: str) -> int:
        return self.field_versions[field] if self.field_versions is not None else self.version

    def absorb(self, other: AggregateChange) -> None:
        """Take in another change of the same aggregate: per field, the value of the higher version wins."""
        versions = self.field_versions
        if versions is None:
            versions = self.field_versions = dict.fromkeys(self.fields, self.version)
        for name, value in other.fields.items():
            version = other.version_of(name)
            if version > versions.get(name, 0):
                self.fields[name] = value
                versions[name] = version
        self.version = max(self.version, other.version)


Projection = Callable[[Any], AggregateChange]
P = TypeVar("P", bound=Projection)
_PROJECTIONS: dict[type[Envelope], Projection] = {}


def projects(event_type: type[Envelope]) -> Callable[[P], P]:
    """Register the decorated function as the projection of `event_type`."""

    def register(function: P) -> P:
        _PROJECTIONS[event_type] = function
        return function

    return register


def project(event: Envelope) -> AggregateChange | None:
    """The read-model change of one event, or None for an event nothing projects (yet)."""
    projection = _PROJECTIONS.get(type(event))
    return projection(event) if projection is not None else None


def project_all(events: Iterable[Envelope]) -> list[AggregateChange]:
    """The changes of many events, merged per aggregate so the store does one write per aggregate."""
    merged: dict[tuple[str, str, str], AggregateChange] = {}
    projections = _PROJECTIONS
    for event in events:
        projection = projections.get(type(event))
        if projection is None:
            continue
        change = projection(event)
        key = (change.partner_id, change.kind, change.aggregate_id)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = change
        else:
            earlier.absorb(change)
    return list(merged.values())


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC RFC 3339 text: equal instants give equal texts, and texts sort like instants."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _change(event: Envelope, kind: str, fields: dict[str, str]) -> AggregateChange:
    return AggregateChange(event.partner_id, kind, event.aggregate_id, event.aggregate_version, fields)


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@projects(inst.CustomerRegistered)
@projects(inst.CustomerStatusChanged)
def _customer(event: inst.CustomerRegistered | inst.CustomerStatusChanged) -> AggregateChange:
    return _change(event, CUSTOMER, {"active": "true" if event.data.active else "false"})


@projects(inst.HandymanRegistered)
def _handyman_registered(event: inst.HandymanRegistered) -> AggregateChange:
    data = event.data
    fields = {
        "name": data.name,
        "availability": data.availability,
        "certifications": _json(data.certifications),
        "skills": _json(data.skills),
    }
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanProfileUpdated)
def _handyman_profile_updated(event: inst.HandymanProfileUpdated) -> AggregateChange:
    fields = {"certifications": _json(event.data.certifications), "skills": _json(event.data.skills)}
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanAvailabilityChanged)
def _handyman_availability_changed(event: inst.HandymanAvailabilityChanged) -> AggregateChange:
    return _change(event, HANDYMAN, {"availability": event.data.availability})


@projects(inst.InstallationCreated)
def _installation_created(event: inst.InstallationCreated) -> AggregateChange:
    data = event.data
    fields = {
        "status": data.status,
        "customer_id": data.customer_id,
        "device_type": data.device_type,
        "products": _json([[line.sku, line.quantity] for line in data.products]),
        "price_cents": str(data.price_cents),
        "created_at": utc_text(event.occurred_at),
    }
    return _change(event, INSTALLATION, fields)


@projects(inst.HandymanAssigned)
def _handyman_assigned(event: inst.HandymanAssigned) -> AggregateChange:
    return _change(event, INSTALLATION, {"handyman_id": event.data.handyman_id})


@projects(inst.InstallationStatusChanged)
def _installation_status_changed(event: inst.InstallationStatusChanged) -> AggregateChange:
    return _change(event, INSTALLATION, {"status": event.data.to_status})


@projects(ratings.RatingSubmitted)
def _rating_submitted(event: ratings.RatingSubmitted) -> AggregateChange:
    data = event.data
    fields = {
        "stars": str(data.stars),
        "installation_id": data.installation_id,
        "customer_id": data.customer_id,
        "device_type": data.device_type,
        "submitted_at": utc_text(event.occurred_at),
    }
    if data.handyman_id is not None:
        fields["handyman_id"] = data.handyman_id
    return _change(event, RATING, fields)


def _partner_credits(event: Envelope, fields: dict[str, str]) -> AggregateChange:
    partner_id = event.partner_id
    return AggregateChange(partner_id, PARTNER_CREDITS, partner_id, event.aggregate_version, fields)


@projects(credits.RevenueRecorded)
def _revenue_recorded(event: credits.RevenueRecorded) -> AggregateChange:
    data = event.data
    fields = {month_revenue(data.month): str(data.month_total_cents), month_tier(data.month): data.tier}
    return _partner_credits(event, fields)


@projects(credits.TierChanged)
def _tier_changed(event: credits.TierChanged) -> AggregateChange:
    return _partner_credits(event, {month_tier(event.data.month): event.data.to_tier})


@projects(credits.CreditEarned)
@projects(credits.CreditApplied)
def _credit_balance(event: credits.CreditEarned | credits.CreditApplied) -> AggregateChange:
    return _partner_credits(event, {BALANCE: str(event.data.balance_after_cents)})
