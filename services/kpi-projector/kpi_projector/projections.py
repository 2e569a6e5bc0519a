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

from heyzack_shared.contracts import commerce, credits, ratings
from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope

CUSTOMER: Final = "customer"
HANDYMAN: Final = "handyman"
INSTALLATION: Final = "installation"
RATING: Final = "rating"
SURVEY: Final = "survey"
ISSUE: Final = "issue"
PARTNER_CREDITS: Final = "partner_credits"
"""One aggregate per partner (aggregate id = the partner id) for every event of the credits service, which
gives them one version sequence: the balance and each month's revenue total are last-writer-wins by it."""
BALANCE: Final = "balance_cents"
# Kinds of the inventory and financial reports (see the end of this module).
PRODUCT: Final = "product"
ORDER: Final = "order"
ORDER_LINE: Final = "order_line"
"""One per line of an OrderPlaced (id `<order_id>#<line index>`)."""
PAYMENT: Final = "payment"
"""One per PaymentReceived (id `<order_id>@<aggregate_version>`: each payment is a new order version)."""
SALE: Final = "sale"
"""One per RevenueRecorded (id = its `sale_id`)."""
COMMISSION: Final = "commission"
"""One per commission CreditEarned (id = its `entry_id`)."""
INSTALLATION_SKU: Final = "installation_sku"
"""One per SKU of an InstallationCreated's products (id `<installation_id>#<sku>`)."""

COUNTED: Final[dict[str, tuple[str, ...]]] = {
    CUSTOMER: ("active",),
    HANDYMAN: ("availability", "handyman_id"),
    INSTALLATION: ("status",),
    RATING: ("stars",),
    SURVEY: (),
    ISSUE: (),
    PARTNER_CREDITS: (),
    PRODUCT: (),
    ORDER: (),
    ORDER_LINE: (),
    PAYMENT: (),
    SALE: (),
    COMMISSION: (),
    INSTALLATION_SKU: (),
}
"""Per kind, the fields whose values are counted. A property of the kind, not of an event: a counted field
set by an event that did not count it would leave its counter behind. `handyman.handyman_id` (the
aggregate's own id, set by every handyman event) makes `handyman:handyman_id:<id>` = 1 the index of a
partner's handymen."""


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
ASSIGNED_S: Final = "assigned_s"
"""Epoch seconds of the (latest) HandymanAssigned."""
STARTED_DAY: Final = "in_progress_day"
"""Business day of the (latest) move to IN_PROGRESS."""
PRICE: Final = "price_cents"
# Fields of ratings, surveys and issues.
RATED_DAY: Final = "rated_day"
"""Business day of RatingSubmitted."""
SENT_DAY: Final = "sent_day"
"""Business day of SurveySent."""
ANSWERED_DAY: Final = "answered_day"
"""Business day of SurveyAnswered."""
NPS_SCORE: Final = "nps_score"
REPORTED_DAY: Final = "reported_day"
"""Business day of IssueReported."""
RESOLVED: Final = "resolved"
"""`true` once IssueResolved is seen."""


@dataclass(frozen=True, slots=True)
class DayCounter:
    """A counter in a business-day bucket that an aggregate contributes to, a pure function of its fields.

    An aggregate contributes `amount` (1, the integer field `amount[0]`, or `amount[0]` minus `amount[1]`) to
    the counter `name` (+ `:<value>` of each `keyed_by` field) of the day in its field `day`, when `day`,
    every `keyed_by`, `requires` and `amount` field is known; otherwise nothing. The store keeps every day
    counter equal to the sum of the contributions of the aggregates' current states: when an applied change
    alters an aggregate's contribution, it takes the old one back and adds the new one in the same atomic step
    that stores the fields. As the fields converge (last-writer-wins per field by version) whatever the order
    and duplicates of the events, so do the counters: exactly-once by construction, with no event log.
    """

    day: str
    name: str
    keyed_by: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    amount: tuple[str] | tuple[str, str] | None = None

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (self.day, *self.keyed_by, *self.requires, *(self.amount or ()))


# Inventory and financial reports. `BUCKET` holds the constant `ALL_TIME`: counters keyed by it live in the
# one bucket `rep:day:all` of the partner (current stock, the order and payment ledgers read for the aging).
BUCKET: Final = "bucket"
ALL_TIME: Final = "all"
PLACED_DAY: Final = "placed_day"
"""Business day of OrderPlaced."""
DUE_DAY: Final = "due_day"
"""Business day of an order's `due_at`."""
PAID_DAY: Final = "paid_day"
SALE_DAY: Final = "sale_day"
"""Business day of RevenueRecorded (the sale's moment)."""
EARNED_DAY: Final = "earned_day"
STOCK_PRODUCT: Final = "inv:product"
"""All-time, `:<sku>:<category>:<name>`: 1 for the product's current name and category."""
STOCK_ON_HAND: Final = "inv:on_hand"
"""All-time, `:<sku>`: the latest on_hand of the SKU."""
ORDERS_PLACED: Final = "inv:orders"
"""By placing day: orders placed."""
ORDERS_UNITS: Final = "inv:units"
"""By placing day: units (Σ line quantities) of those orders."""
SKU_UNITS: Final = "inv:sku_units"
"""By placing day, `:<sku>`: units of the SKU ordered."""
INSTALLATIONS_SKU: Final = "inv:inst_sku"
"""By installation creation day, `:<sku>`: installations created with the SKU among their products."""
INSTALLATIONS_SKU_UNITS: Final = "inv:inst_sku_units"
"""By installation creation day, `:<sku>`: the quantities of the SKU in those installations."""
INSTALLATION_SKU_FIELDS: Final = 1
"""How many distinct SKUs of an installation its own aggregate carries (more become `INSTALLATION_SKU`s)."""
CATEGORY_REVENUE: Final = "fin:category_revenue"
"""By placing day, `:<category>`: Σ quantity × unit_price_cents of the order lines of the category."""
CATEGORY_COST: Final = "fin:category_cost"
"""By placing day, `:<category>`: Σ quantity × unit_cost_cents."""
REVENUE_BY_SOURCE: Final = "fin:revenue"
"""By sale day, `:<source>`: Σ amount_cents of RevenueRecorded."""
COMMISSION_EARNED: Final = "fin:commission"
"""By earning day: Σ amount_cents of commission CreditEarned."""
ORDER_LEDGER: Final = "fin:order"
"""All-time, `:<order_id>:<placed_day>:<due_day>`: the order's total_cents."""
PAYMENT_LEDGER: Final = "fin:paid"
"""All-time, `:<order_id>:<paid_day>`: Σ amount_cents of the order's payments received that day."""

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

# Day-counter names of the handymen report, each keyed by `:<handyman_id>` (the installation's, the rating's).
HANDYMAN_APPROVED: Final = "hm:approved"
"""By approval day: installations of the handyman approved that day."""
HANDYMAN_REVENUE: Final = "hm:revenue"
"""By approval day: the sum of those installations' price_cents."""
HANDYMAN_RESPONSES: Final = "hm:responses"
"""By IN_PROGRESS day: jobs whose assignment and IN_PROGRESS moments are both known."""
HANDYMAN_RESPONSE_SECONDS: Final = "hm:response_seconds"
"""By IN_PROGRESS day: the sum of those jobs' response times (HandymanAssigned → IN_PROGRESS), in seconds."""
HANDYMAN_RATINGS: Final = "hm:ratings"
"""By rating day: ratings of the handyman."""
HANDYMAN_STARS: Final = "hm:stars"
"""By rating day: the sum of those ratings' stars."""

# Day-counter names of the satisfaction report.
RATINGS_STARS: Final = "sat:stars"
"""By rating day, `:<stars>`: ratings with that many stars."""
RATINGS_DEVICE_STARS: Final = "sat:device_stars"
"""By rating day, `:<device_type>:<stars>`."""
SURVEYS_SENT: Final = "sat:surveys_sent"
"""By sending day: surveys sent."""
SURVEYS_ANSWERED: Final = "sat:surveys_answered"
"""By sending day: of the surveys sent that day, those answered now."""
NPS_ANSWERS: Final = "sat:nps"
"""By answer day, `:<nps_score>`: survey answers with that score."""
ISSUES_REPORTED: Final = "sat:issues_reported"
"""By reporting day: issues reported."""
ISSUES_RESOLVED: Final = "sat:issues_resolved"
"""By reporting day: of the issues reported that day, those resolved now."""

DAY_COUNTERS: Final[dict[str, tuple[DayCounter, ...]]] = {
    INSTALLATION: (
        DayCounter(CREATED_DAY, INSTALLATIONS_CREATED),
        DayCounter(CREATED_DAY, INSTALLATIONS_CREATED, keyed_by=("device_type",)),
        DayCounter(CREATED_DAY, INSTALLATIONS_STATUS, keyed_by=("status",)),
        DayCounter(CREATED_DAY, INSTALLATIONS_DEVICE_STATUS, keyed_by=("device_type", "status")),
        DayCounter(APPROVED_DAY, INSTALLATIONS_APPROVED_ON),
        DayCounter(COMPLETED_DAY, JOBS_COMPLETED, requires=(STARTED_S, COMPLETED_S)),
        DayCounter(COMPLETED_DAY, JOB_SECONDS, amount=(COMPLETED_S, STARTED_S)),
        DayCounter(APPROVED_DAY, HANDYMAN_APPROVED, keyed_by=("handyman_id",)),
        DayCounter(APPROVED_DAY, HANDYMAN_REVENUE, keyed_by=("handyman_id",), amount=(PRICE,)),
        DayCounter(
            STARTED_DAY, HANDYMAN_RESPONSES, keyed_by=("handyman_id",), requires=(ASSIGNED_S, STARTED_S)
        ),
        DayCounter(
            STARTED_DAY, HANDYMAN_RESPONSE_SECONDS, keyed_by=("handyman_id",), amount=(STARTED_S, ASSIGNED_S)
        ),
        *(
            counter
            for index in range(INSTALLATION_SKU_FIELDS)
            for counter in (
                DayCounter(CREATED_DAY, INSTALLATIONS_SKU, keyed_by=(f"sku_{index}",)),
                DayCounter(
                    CREATED_DAY,
                    INSTALLATIONS_SKU_UNITS,
                    keyed_by=(f"sku_{index}",),
                    amount=(f"sku_quantity_{index}",),
                ),
            )
        ),
    ),
    RATING: (
        DayCounter(RATED_DAY, HANDYMAN_RATINGS, keyed_by=("handyman_id",)),
        DayCounter(RATED_DAY, HANDYMAN_STARS, keyed_by=("handyman_id",), amount=("stars",)),
        DayCounter(RATED_DAY, RATINGS_STARS, keyed_by=("stars",)),
        DayCounter(RATED_DAY, RATINGS_DEVICE_STARS, keyed_by=("device_type", "stars")),
    ),
    SURVEY: (
        DayCounter(SENT_DAY, SURVEYS_SENT),
        DayCounter(SENT_DAY, SURVEYS_ANSWERED, requires=(NPS_SCORE,)),
        DayCounter(ANSWERED_DAY, NPS_ANSWERS, keyed_by=(NPS_SCORE,)),
    ),
    ISSUE: (
        DayCounter(REPORTED_DAY, ISSUES_REPORTED),
        DayCounter(REPORTED_DAY, ISSUES_RESOLVED, requires=(RESOLVED,)),
    ),
    PRODUCT: (
        DayCounter(BUCKET, STOCK_PRODUCT, keyed_by=("sku", "category", "name")),
        DayCounter(BUCKET, STOCK_ON_HAND, keyed_by=("sku",), amount=("on_hand",)),
    ),
    ORDER: (
        DayCounter(PLACED_DAY, ORDERS_PLACED),
        DayCounter(PLACED_DAY, ORDERS_UNITS, amount=("units",)),
        DayCounter(BUCKET, ORDER_LEDGER, keyed_by=("order_id", PLACED_DAY, DUE_DAY), amount=("total_cents",)),
    ),
    ORDER_LINE: (
        DayCounter(PLACED_DAY, SKU_UNITS, keyed_by=("sku",), amount=("quantity",)),
        DayCounter(PLACED_DAY, CATEGORY_REVENUE, keyed_by=("category",), amount=("revenue_cents",)),
        DayCounter(PLACED_DAY, CATEGORY_COST, keyed_by=("category",), amount=("cost_cents",)),
    ),
    PAYMENT: (DayCounter(BUCKET, PAYMENT_LEDGER, keyed_by=("order_id", PAID_DAY), amount=("amount_cents",)),),
    SALE: (DayCounter(SALE_DAY, REVENUE_BY_SOURCE, keyed_by=("source",), amount=("amount_cents",)),),
    COMMISSION: (DayCounter(EARNED_DAY, COMMISSION_EARNED, amount=("amount_cents",)),),
    INSTALLATION_SKU: (
        DayCounter(CREATED_DAY, INSTALLATIONS_SKU, keyed_by=("sku",)),
        DayCounter(CREATED_DAY, INSTALLATIONS_SKU_UNITS, keyed_by=("sku",), amount=("quantity",)),
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
        versions, fields = self.field_versions, self.fields
        if versions is None:
            versions = self.field_versions = dict.fromkeys(fields, self.version)
        known = versions.get
        other_versions = other.field_versions
        if other_versions is None:  # one event: every field at its version (the usual case)
            version = other.version
            for name, value in other.fields.items():
                if version > known(name, 0):
                    fields[name] = value
                    versions[name] = version
        else:
            for name, value in other.fields.items():
                version = other_versions[name]
                if version > known(name, 0):
                    fields[name] = value
                    versions[name] = version
        if other.version > self.version:
            self.version = other.version


Projection = Callable[[Any, ZoneInfo], AggregateChange]
P = TypeVar("P", bound=Projection)
_PROJECTIONS: dict[type[Envelope], Projection] = {}
FanOut = Callable[[Any, ZoneInfo], list[AggregateChange]]
F = TypeVar("F", bound=FanOut)
_FAN_OUTS: dict[type[Envelope], FanOut] = {}


def projects(event_type: type[Envelope]) -> Callable[[P], P]:
    """Register the decorated function as the projection of `event_type`."""

    def register(function: P) -> P:
        _PROJECTIONS[event_type] = function
        return function

    return register


def fans_out(event_type: type[Envelope]) -> Callable[[F], F]:
    """Register the decorated function as the extra projection of `event_type`: more changes, of other
    aggregates (one per order line, per payment, per sale...), each deterministic in the event so a duplicate
    gives the same change. A change of the event's own aggregate is merged with its main projection's."""

    def register(function: F) -> F:
        _FAN_OUTS[event_type] = function
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
    projections, fan_outs = _PROJECTIONS, _FAN_OUTS
    for event in events:
        event_type = type(event)
        projection = projections.get(event_type)
        if projection is not None:
            change = projection(event, zone)
            key = (change.partner_id, change.kind, change.aggregate_id)
            earlier = merged.get(key)
            if earlier is None:
                merged[key] = change
            else:
                earlier.absorb(change)
        fan_out = fan_outs.get(event_type)
        if fan_out is not None:
            for change in fan_out(event, zone):
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
        "handyman_id": event.aggregate_id,
        "name": data.name,
        "availability": data.availability,
        "certifications": _json(data.certifications),
        "skills": _json(data.skills),
    }
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanProfileUpdated)
def _handyman_profile_updated(event: inst.HandymanProfileUpdated, zone: ZoneInfo) -> AggregateChange:
    fields = {
        "handyman_id": event.aggregate_id,
        "certifications": _json(event.data.certifications),
        "skills": _json(event.data.skills),
    }
    return _change(event, HANDYMAN, fields)


@projects(inst.HandymanAvailabilityChanged)
def _handyman_availability_changed(
    event: inst.HandymanAvailabilityChanged, zone: ZoneInfo
) -> AggregateChange:
    fields = {"handyman_id": event.aggregate_id, "availability": event.data.availability}
    return _change(event, HANDYMAN, fields)


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
    return _change(event, INSTALLATION, fields)


@projects(inst.HandymanAssigned)
def _handyman_assigned(event: inst.HandymanAssigned, zone: ZoneInfo) -> AggregateChange:
    fields = {"handyman_id": event.data.handyman_id, ASSIGNED_S: str(int(event.occurred_at.timestamp()))}
    return _change(event, INSTALLATION, fields)


@projects(inst.InstallationStatusChanged)
def _installation_status_changed(event: inst.InstallationStatusChanged, zone: ZoneInfo) -> AggregateChange:
    to_status = event.data.to_status
    fields: dict[str, str] = {"status": to_status.value}
    if to_status is inst.InstallationStatus.IN_PROGRESS:
        seconds = int(event.occurred_at.timestamp())
        fields[STARTED_S] = str(seconds)
        fields[STARTED_DAY] = _business_day(seconds, zone)
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
        RATED_DAY: business_day(event.occurred_at, zone),
    }
    if data.handyman_id is not None:
        fields["handyman_id"] = data.handyman_id
    return _change(event, RATING, fields)


@projects(ratings.SurveySent)
def _survey_sent(event: ratings.SurveySent, zone: ZoneInfo) -> AggregateChange:
    return _change(event, SURVEY, {SENT_DAY: business_day(event.occurred_at, zone)})


@projects(ratings.SurveyAnswered)
def _survey_answered(event: ratings.SurveyAnswered, zone: ZoneInfo) -> AggregateChange:
    fields = {NPS_SCORE: str(event.data.nps_score), ANSWERED_DAY: business_day(event.occurred_at, zone)}
    return _change(event, SURVEY, fields)


@projects(ratings.IssueReported)
def _issue_reported(event: ratings.IssueReported, zone: ZoneInfo) -> AggregateChange:
    return _change(event, ISSUE, {REPORTED_DAY: business_day(event.occurred_at, zone)})


@projects(ratings.IssueResolved)
def _issue_resolved(event: ratings.IssueResolved, zone: ZoneInfo) -> AggregateChange:
    return _change(event, ISSUE, {RESOLVED: "true"})


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


# Inventory and financial reports: commerce events, and the per-sale / per-commission facts of the credits
# events (whose main projection is the partner's `partner_credits` aggregate).


def _fact(event: Envelope, kind: str, aggregate_id: str, fields: dict[str, str]) -> AggregateChange:
    return AggregateChange(event.partner_id, kind, aggregate_id, event.aggregate_version, fields)


@projects(commerce.StockLevelChanged)
def _stock_level_changed(event: commerce.StockLevelChanged, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        BUCKET: ALL_TIME,
        "sku": data.sku,
        "name": data.name,
        "category": data.category,
        "on_hand": str(data.on_hand),
    }
    return _change(event, PRODUCT, fields)


@projects(commerce.OrderPlaced)
def _order_placed(event: commerce.OrderPlaced, zone: ZoneInfo) -> AggregateChange:
    data = event.data
    fields = {
        BUCKET: ALL_TIME,
        "order_id": event.aggregate_id,
        PLACED_DAY: business_day(event.occurred_at, zone),
        DUE_DAY: business_day(data.due_at, zone),
        "total_cents": str(data.total_cents),
        "units": str(sum(line.quantity for line in data.lines)),
    }
    return _change(event, ORDER, fields)


@fans_out(commerce.OrderPlaced)
def _order_lines(event: commerce.OrderPlaced, zone: ZoneInfo) -> list[AggregateChange]:
    day = business_day(event.occurred_at, zone)
    return [
        _fact(
            event,
            ORDER_LINE,
            f"{event.aggregate_id}#{index}",
            {
                PLACED_DAY: day,
                "sku": line.sku,
                "category": line.category,
                "source": line.source.value,
                "quantity": str(line.quantity),
                "revenue_cents": str(line.quantity * line.unit_price_cents),
                "cost_cents": str(line.quantity * line.unit_cost_cents),
            },
        )
        for index, line in enumerate(event.data.lines)
    ]


@fans_out(commerce.PaymentReceived)
def _payment_received(event: commerce.PaymentReceived, zone: ZoneInfo) -> list[AggregateChange]:
    fields = {
        BUCKET: ALL_TIME,
        "order_id": event.aggregate_id,
        PAID_DAY: business_day(event.occurred_at, zone),
        "amount_cents": str(event.data.amount_cents),
    }
    return [_fact(event, PAYMENT, f"{event.aggregate_id}@{event.aggregate_version}", fields)]


@fans_out(credits.RevenueRecorded)
def _sale_recorded(event: credits.RevenueRecorded, zone: ZoneInfo) -> list[AggregateChange]:
    data = event.data
    fields = {
        SALE_DAY: business_day(event.occurred_at, zone),
        "source": data.source.value,
        "amount_cents": str(data.amount_cents),
    }
    return [_fact(event, SALE, data.sale_id, fields)]


def month_rate(month: str) -> str:
    """The `PARTNER_CREDITS` field of the latest commission rate earned in business month `YYYY-MM`."""
    return f"rate:{month}"


@fans_out(credits.CreditEarned)
def _commission_earned(event: credits.CreditEarned, zone: ZoneInfo) -> list[AggregateChange]:
    data = event.data
    if data.reason is not credits.CreditReason.COMMISSION:
        return []
    day = business_day(event.occurred_at, zone)
    fields = {EARNED_DAY: day, "amount_cents": str(data.amount_cents)}
    return [
        _fact(event, COMMISSION, data.entry_id, fields),
        _partner_credits(event, {month_rate(day[:7]): repr(float(data.rate))}),
    ]


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
        _fact(
            event,
            INSTALLATION_SKU,
            f"{event.aggregate_id}#{sku}",
            {CREATED_DAY: day, "sku": sku, "quantity": str(quantity)},
        )
        for sku, quantity in _skus(products)[INSTALLATION_SKU_FIELDS:]
    ]
