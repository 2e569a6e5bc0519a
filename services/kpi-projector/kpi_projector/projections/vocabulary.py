"""The read-model vocabulary: the names the projections write and the read side reads.

Kinds of aggregate, their fields, the counted fields (`COUNTED`) and the day counters (`DAY_COUNTERS`, the
report read-models) are named here once: the projections set them, `read_models.py` hands them to
`apply_batch.lua`, and the dashboard and the report tabs read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
# Kinds of the inventory and financial reports.
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


def month_rate(month: str) -> str:
    """The `PARTNER_CREDITS` field of the latest commission rate earned in business month `YYYY-MM`."""
    return f"rate:{month}"
