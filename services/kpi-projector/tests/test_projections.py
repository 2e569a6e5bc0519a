"""The pure projection: events in, per-aggregate changes out, merged per batch by per-field version."""

from __future__ import annotations

from kpi_projector_testkit import START, Events, version_of

from heyzack_shared.contracts import ratings
from kpi_projector.projections.engine import AggregateChange, project, project_all
from kpi_projector.projections.vocabulary import (
    BALANCE,
    COUNTED,
    CUSTOMER,
    HANDYMAN,
    INSTALLATION,
    PARTNER_CREDITS,
    RATING,
    counter,
    month_revenue,
    total,
)


def test_each_installations_event_changes_its_aggregate(events: Events) -> None:
    created = project(events.installation("inst-1", device_type="alarm", price_cents=12_300))
    assert created is not None
    assert (created.kind, created.aggregate_id, created.version) == (INSTALLATION, "inst-1", 1)
    assert created.fields["status"] == "SCHEDULED"
    assert created.fields["device_type"] == "alarm"
    assert created.fields["price_cents"] == "12300"
    assert created.fields["created_at"] == "2026-11-25T08:01:00.000000+00:00"
    assert COUNTED[created.kind] == ("status",)

    moved = project(events.status("inst-1", "SCHEDULED", "IN_PROGRESS", version=2))
    assert moved is not None and moved.version == 2
    assert moved.fields == {
        "status": "IN_PROGRESS",
        "in_progress_s": str(int(START.timestamp()) + 120),
        "in_progress_day": "2026-11-25",
    }

    busy = project(events.handyman("hm-1", "BUSY", version=3))
    assert busy is not None
    assert (busy.kind, busy.fields, COUNTED[busy.kind]) == (
        HANDYMAN,
        {"handyman_id": "hm-1", "availability": "BUSY"},
        ("availability", "handyman_id"),
    )

    inactive = project(events.customer("cust-1", version=2, active=False))
    assert inactive is not None and (inactive.kind, inactive.fields) == (CUSTOMER, {"active": "false"})


class _Unprojected(ratings.SurveySent):
    """An event type no projection is registered for (projections match the exact type)."""


def test_events_without_a_projection_are_ignored(partner_id: str) -> None:
    survey = _Unprojected.new(
        partner_id=partner_id,
        aggregate_id="survey-1",
        aggregate_version=1,
        data=ratings.SurveySentData(survey_id="survey-1", customer_id="cust-1", installation_id=None),
    )
    assert project(survey) is None
    assert project_all([survey]) == []


def test_a_batch_is_merged_per_aggregate_keeping_each_fields_newest_version(events: Events) -> None:
    created, started, done, approved = events.approved_job("inst-1")
    assigned = events.assigned("inst-1", "hm-7", version=2)
    other = events.installation("inst-2")

    everything = project_all([approved, created, other, done, started, assigned, approved])
    changes = [change for change in everything if change.kind == INSTALLATION]  # not the per-SKU facts

    assert len(changes) == 2
    merged = next(change for change in changes if change.aggregate_id == "inst-1")
    assert merged.version == 4
    assert merged.fields["status"] == "CUSTOMER_APPROVED"
    assert version_of(merged, "status") == 4
    assert (merged.fields["device_type"], version_of(merged, "device_type")) == ("camera", 1)
    assert (merged.fields["handyman_id"], version_of(merged, "handyman_id")) == ("hm-7", 2)


def test_merging_is_insensitive_to_order_and_duplicates(events: Events) -> None:
    job = [*events.approved_job("inst-1"), events.assigned("inst-1", "hm-1", version=5)]

    def state(change: AggregateChange) -> dict[str, tuple[str, int]]:
        return {name: (value, version_of(change, name)) for name, value in change.fields.items()}

    [forwards] = [change for change in project_all(job) if change.kind == INSTALLATION]
    [backwards] = [change for change in project_all([*reversed(job), *job]) if change.kind == INSTALLATION]
    assert state(forwards) == state(backwards)
    assert forwards.version == backwards.version == 5


def test_projection_reads_business_time_from_the_event_only(events: Events) -> None:
    event = events.installation("inst-1")
    change = project(event)
    assert change is not None and change == project(event)
    assert change.fields["created_at"] == event.occurred_at.isoformat(timespec="microseconds")


def test_counter_names() -> None:
    assert total(INSTALLATION) == "installation"
    assert counter(INSTALLATION, "status", "CUSTOMER_APPROVED") == "installation:status:CUSTOMER_APPROVED"


def test_a_rating_is_its_own_aggregate_counting_its_stars(events: Events) -> None:
    change = project(events.rating("rating-1", 4, installation_id="inst-9"))
    assert change is not None
    assert (change.kind, change.aggregate_id, change.version) == (RATING, "rating-1", 1)
    assert COUNTED[change.kind] == ("stars",)
    assert change.fields["stars"] == "4"
    assert change.fields["installation_id"] == "inst-9"
    assert change.fields["device_type"] == "camera"
    assert counter(RATING, "stars", "4") == "rating:stars:4"


def test_credits_events_set_the_partners_balance_and_month_totals(events: Events) -> None:
    revenue = project(events.revenue(1, 420_000, month="2026-11"))
    earned = project(events.credit_earned(2, 8_400, 8_400))
    applied = project(events.credit_applied(3, 2_000, 6_400))
    assert revenue is not None and earned is not None and applied is not None
    for change in (revenue, earned, applied):
        assert (change.kind, change.aggregate_id, COUNTED[change.kind]) == (
            PARTNER_CREDITS,
            events.partner_id,
            (),
        )
    assert revenue.fields == {month_revenue("2026-11"): "420000", "tier:2026-11": "bronze"}
    assert month_revenue("2026-11") == "month:2026-11"
    assert earned.fields == {BALANCE: "8400"} and earned.version == 2
    assert applied.fields == {BALANCE: "6400"} and applied.version == 3


def test_the_newest_credits_event_of_a_batch_sets_the_balance_whatever_the_order(events: Events) -> None:
    earned = events.credit_earned(2, 8_400, 8_400)
    applied = events.credit_applied(3, 2_000, 6_400)
    november = events.revenue(1, 420_000, month="2026-11")
    december = events.revenue(4, 10_000, month="2026-12")

    everything = project_all([december, applied, earned, november, applied])
    [merged] = [change for change in everything if change.kind == PARTNER_CREDITS]

    assert merged.fields[BALANCE] == "6400" and version_of(merged, BALANCE) == 3
    assert merged.fields[month_revenue("2026-11")] == "420000"
    assert merged.fields[month_revenue("2026-12")] == "10000"
    assert merged.version == 4


def test_installation_moments_and_business_days_for_the_reports(events: Events) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    created = events.installation("inst-1")
    late = created.model_copy(update={"occurred_at": datetime(2026, 10, 31, 23, 30, tzinfo=UTC)})
    change = project(late)
    assert change is not None and change.fields["created_day"] == "2026-11-01"  # 00:30 in Paris
    utc = project(late, ZoneInfo("UTC"))
    assert utc is not None and utc.fields["created_day"] == "2026-10-31"

    _, started, done, approved = events.approved_job("inst-1")
    assert (project(started) or change).fields["in_progress_s"] == str(
        int((START + timedelta(minutes=2)).timestamp())
    )
    done_fields = (project(done) or change).fields
    assert done_fields["completed_s"] == str(int((START + timedelta(minutes=3)).timestamp()))
    assert done_fields["completed_day"] == "2026-11-25"
    assert (project(approved) or change).fields["approved_day"] == "2026-11-25"
    cancelled = project(events.status("inst-1", "SCHEDULED", "CANCELLED", version=2))
    assert cancelled is not None and cancelled.fields == {"status": "CANCELLED"}


def test_business_days_are_those_of_the_zone_around_daylight_saving_changes() -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from kpi_projector.projections.business_time import business_day

    for zone in (ZoneInfo("Europe/Paris"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kathmandu")):
        moment = datetime(2026, 3, 27, tzinfo=UTC)
        while moment < datetime(2026, 3, 31, tzinfo=UTC):
            assert business_day(moment, zone) == moment.astimezone(zone).date().isoformat(), (zone, moment)
            moment += timedelta(minutes=7, seconds=30)
