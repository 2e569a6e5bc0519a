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

Report read-models are *day counters* (`DAY_COUNTERS`): per kind, counters in a business-day bucket that are a
pure function of one aggregate's current fields (see `DayCounter`). A business day is the date of a moment in
the business time zone, a projection argument (a setting; changing it means rebuilding a generation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

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


DEFAULT_ZONE: Final = ZoneInfo("Europe/Paris")

# Fields of an installation that the reports build on (besides status and device_type).
CREATED_DAY: Final = "created_day"
"""Business day (YYYY-MM-DD) of InstallationCreated's occurred_at."""
STARTED_S: Final = "in_progress_s"
"""Epoch seconds of the (latest) move to IN_PROGRESS."""
COMPLETED_S: Final = "completed_s"
"""Epoch seconds of the (latest) move to WORK_COMPLETED."""
COMPLETED_DAY: Final = "completed_day"
APPROVED_DAY: Final = "approved_day"
"""Business day of the move to CUSTOMER_APPROVED."""


@dataclass(frozen=True, slots=True)
class DayCounter:
    """A counter in a business-day bucket that an aggregate contributes to, a pure function of its fields.

    An aggregate contributes `amount` (1, or the integer field `amount[0]` minus `amount[1]`) to the
    counter `name` (+ `:<value>` of each `keyed_by` field) of the day in its field `day`, when `day`, every
    `keyed_by`, `requires` and `amount` field is known; otherwise nothing. The store keeps every day counter
    equal to the sum of the contributions of the aggregates' current states: when an applied change alters an
    aggregate's contribution, it takes the old one back and adds the new one in the same atomic step that
    stores the fields. As the fields converge (last-writer-wins per field by version) whatever the order and
    duplicates of the events, so do the counters: exactly-once by construction, with no event log.
    """

    day: str
    name: str
    keyed_by: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    amount: tuple[str, str] | None = None

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (self.day, *self.keyed_by, *self.requires, *(self.amount or ()))


# Day-counter names of the installations report.
INSTALLATIONS_CREATED: Final = "inst:created"
"""By creation day: installations created; `:<device_type>`: per device type."""
INSTALLATIONS_STATUS: Final = "inst:status"
"""By creation day, `:<status>`: installations created that day whose status is now <status>."""
INSTALLATIONS_DEVICE_STATUS: Final = "inst:device_status"
"""By creation day, `:<device_type>:<status>`."""
INSTALLATIONS_APPROVED_ON: Final = "inst:approved_on"
"""By approval day: installations approved that day."""
JOBS_COMPLETED: Final = "inst:jobs"
"""By completion day: jobs whose IN_PROGRESS and WORK_COMPLETED moments are both known."""
JOB_SECONDS: Final = "inst:job_seconds"
"""By completion day: the sum of those jobs' durations (IN_PROGRESS → WORK_COMPLETED), in seconds."""

DAY_COUNTERS: Final[dict[str, tuple[DayCounter, ...]]] = {
    INSTALLATION: (
        DayCounter(CREATED_DAY, INSTALLATIONS_CREATED),
        DayCounter(CREATED_DAY, INSTALLATIONS_CREATED, keyed_by=("device_type",)),
        DayCounter(CREATED_DAY, INSTALLATIONS_STATUS, keyed_by=("status",)),
        DayCounter(CREATED_DAY, INSTALLATIONS_DEVICE_STATUS, keyed_by=("device_type", "status")),
        DayCounter(APPROVED_DAY, INSTALLATIONS_APPROVED_ON),
        DayCounter(COMPLETED_DAY, JOBS_COMPLETED, requires=(STARTED_S, COMPLETED_S)),
        DayCounter(COMPLETED_DAY, JOB_SECONDS, amount=(COMPLETED_S, STARTED_S)),
    ),
}
"""Per kind, its day counters (the report read-models)."""


def day_counter(name: str, *keys: str) -> str:
    """The name of a day counter, keyed by the values `keys` (as `DayCounter.keyed_by` builds it)."""
    return ":".join((name, *keys))


def business_day(moment: datetime, zone: ZoneInfo) -> str:
    """The `YYYY-MM-DD` of `moment` in the business time zone `zone`."""
    return _business_day(int(moment.timestamp()), zone)


_DAYS: dict[tuple[int, ZoneInfo], str] = {}
_QUARTER: Final = 900


def _business_day(epoch_seconds: int, zone: ZoneInfo) -> str:
    """Memoised per quarter hour: modern time zones' offsets and their changes fall on quarter hours, so all
    moments of a UTC quarter hour share their business day (a cache, not a clock: the result is the same)."""
    quarter = epoch_seconds // _QUARTER
    day = _DAYS.get((quarter, zone))
    if day is None:
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        day = _DAYS[quarter, zone] = (
            datetime.fromtimestamp(quarter * _QUARTER, UTC).astimezone(zone).date().isoformat()
        )
    return day


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


Projection = Callable[[Any, ZoneInfo], AggregateChange]
P = TypeVar("P", bound=Projection)
_PROJECTIONS: dict[type[Envelope], Projection] = {}


def projects(event_type: type[Envelope]) -> Callable[[P], P]:
    """Register the decorated function as the projection of `event_type`."""

    def register(function: P) -> P:
        _PROJECTIONS[event_type] = function
        return function

    return register


def project(event: Envelope, zone: ZoneInfo = DEFAULT_ZONE) -> AggregateChange | None:
    """The read-model change of one event, or None for an event nothing projects (yet); business days are
    those of `zone`."""
    projection = _PROJECTIONS.get(type(event))
    return projection(event, zone) if projection is not None else None


def project_all(events: Iterable[Envelope], zone: ZoneInfo = DEFAULT_ZONE) -> list[AggregateChange]:
    """The changes of many events, merged per aggregate so the store does one write per aggregate."""
    merged: dict[tuple[str, str, str], AggregateChange] = {}
    projections = _PROJECTIONS
    for event in events:
        projection = projections.get(type(event))
        if projection is None:
            continue
        change = projection(event, zone)
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
def _customer(event: inst.CustomerRegistered | inst.CustomerStatusChanged, zone: ZoneInfo) -> AggregateChange:
    return _change(event, CUSTOMER, {"active": "true" if event.data.active else "false"})


@projects(inst.HandymanRegistered)
def _handyman_registered(event: inst.HandymanRegistered, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        "name": data.name,
        "availability": data.availability,
        "certifications": _json(data.certifications),
        "skills": _json(data.skills),
    }
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanProfileUpdated)
def _handyman_profile_updated(event: inst.HandymanProfileUpdated, zone: ZoneInfo) -> AggregateChange:
    fields = {"certifications": _json(event.data.certifications), "skills": _json(event.data.skills)}
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanAvailabilityChanged)
def _handyman_availability_changed(
    event: inst.HandymanAvailabilityChanged, zone: ZoneInfo
) -> AggregateChange:
    return _change(event, HANDYMAN, {"availability": event.data.availability})


@projects(inst.InstallationCreated)
def _installation_created(event: inst.InstallationCreated, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        "status": data.status,
        "customer_id": data.customer_id,
        "device_type": data.device_type,
        "products": _json([[line.sku, line.quantity] for line in data.products]),
        "price_cents": str(data.price_cents),
        "created_at": utc_text(event.occurred_at),
        CREATED_DAY: business_day(event.occurred_at, zone),
    }
    return _change(event, INSTALLATION, fields)


@projects(inst.HandymanAssigned)
def _handyman_assigned(event: inst.HandymanAssigned, zone: ZoneInfo) -> AggregateChange:
    return _change(event, INSTALLATION, {"handyman_id": event.data.handyman_id})


@projects(inst.InstallationStatusChanged)
def _installation_status_changed(event: inst.InstallationStatusChanged, zone: ZoneInfo) -> AggregateChange:
    to_status = event.data.to_status
    fields: dict[str, str] = {"status": to_status.value}
    if to_status is inst.InstallationStatus.IN_PROGRESS:
        fields[STARTED_S] = str(int(event.occurred_at.timestamp()))
    elif to_status is inst.InstallationStatus.WORK_COMPLETED:
        seconds = int(event.occurred_at.timestamp())
        fields[COMPLETED_S] = str(seconds)
        fields[COMPLETED_DAY] = _business_day(seconds, zone)
    elif to_status is inst.InstallationStatus.CUSTOMER_APPROVED:
        fields[APPROVED_DAY] = business_day(event.occurred_at, zone)
    return _change(event, INSTALLATION, fields)


@projects(ratings.RatingSubmitted)
def _rating_submitted(event: ratings.RatingSubmitted, zone: ZoneInfo) -> AggregateChange:
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
def _revenue_recorded(event: credits.RevenueRecorded, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {month_revenue(data.month): str(data.month_total_cents), month_tier(data.month): data.tier}
    return _partner_credits(event, fields)


@projects(credits.TierChanged)
def _tier_changed(event: credits.TierChanged, zone: ZoneInfo) -> AggregateChange:
    return _partner_credits(event, {month_tier(event.data.month): event.data.to_tier})


@projects(credits.CreditEarned)
@projects(credits.CreditApplied)
def _credit_balance(event: credits.CreditEarned | credits.CreditApplied, zone: ZoneInfo) -> AggregateChange:
    return _partner_credits(event, {BALANCE: str(event.data.balance_after_cents)})
