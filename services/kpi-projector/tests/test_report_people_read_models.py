"""The handymen and satisfaction day counters against a real Redis: the same figures whatever the order,
duplicates and batching of the events (the history of `test_report_people_api`)."""

from __future__ import annotations

import random
from datetime import date
from zoneinfo import ZoneInfo

from kpi_projector_testkit import REPORT_NOW, Events
from redis.asyncio import Redis
from test_report_people_api import History
from test_report_read_models import project

from heyzack_shared.envelope import Envelope
from kpi_projector.projections.vocabulary import HANDYMAN
from kpi_projector.ranges import resolve
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import ReportQuery
from kpi_projector.reports import REPORT_TABS

TODAY = date(2026, 11, 25)


def history(events: Events) -> list[Envelope]:
    story = History(events.partner_id)
    return [*story.handymen(), *story.installations(), *story.ratings()]


async def reports(redis: Redis, namespace: str, partner_id: str) -> list[dict[str, object]]:
    read_models = ReadModels(redis, namespace)
    chosen = resolve("last_7_days", None, None, TODAY)
    query = ReportQuery(partner_id, chosen, REPORT_NOW, ZoneInfo("Europe/Paris"))
    return [
        (await REPORT_TABS[tab].read(read_models, query)).model_dump(mode="json")
        for tab in ("handymen", "satisfaction")
    ]


async def test_any_order_duplicates_and_batching_give_the_same_reports(
    redis: Redis, namespace: str, events: Events
) -> None:
    ordered = history(events)
    await project(redis, f"{namespace}a", ordered)
    expected = await reports(redis, f"{namespace}a", events.partner_id)
    assert expected[0]["summary"]["approved"] == {"value": 4, "previous": 0}  # type: ignore[index]

    shuffled = [*ordered, *ordered[::3]]
    random.Random(7).shuffle(shuffled)
    await project(redis, f"{namespace}b", shuffled[:20], shuffled[10:40], shuffled[35:], ordered[:15])
    assert await reports(redis, f"{namespace}b", events.partner_id) == expected

    profiles = await ReadModels(redis, f"{namespace}b").indexed_aggregates(
        events.partner_id, HANDYMAN, "handyman_id"
    )
    assert sorted(profiles) == ["hm-1", "hm-2", "hm-3"]
    assert profiles["hm-1"]["certifications"] == '["electrical","locksmith"]'
