"""GET /v1/reports/handymen and /satisfaction end to end: a fixed history published (twice, and a handyman's
profile update before its registration) to Kafka → the projector → Redis → HTTP, every figure by hand.

November 12–25: every moment is between 07:00 and 12:00 UTC, so its Paris business day is its UTC date. Today
is 2026-11-25 (a Wednesday: ISO week of Monday 11-23).

| job | price  | handyman | assigned → IN_PROGRESS (response) | approved |
| J1  | 300 €  | hm-1     | 11-24 09:00 → 09:30 (30 min)      | 11-25    |
| J2  | 200 €  | hm-1     | 11-25 07:10 → 07:30 (20 min)      | 11-25    |
| J3  | 500 €  | hm-2     | 11-25 07:00 → 08:00 (60 min)      | 11-25    |
| J4  | 100 €  | hm-2     | 11-20 10:00 → 10:45 (45 min)      | 11-21    |
Ratings: r1 hm-1 camera 5★ 11-25, r2 hm-1 camera 4★ 11-25, r3 hm-2 alarm 2★ 11-25, r4 hm-2 alarm 3★ 11-24,
r5 hm-1 thermostat 5★ 11-20. Surveys (sent → answered): s1 11-24 → 11-25 10, s2 11-25 → 11-25 9,
s3 11-25 → 11-25 3, s4 11-25 → -, s5 11-17 → 11-18 7. Issues (reported → resolved): i1 11-25 → 11-25,
i2 11-25 → -, i3 11-24 → 11-25.

October 21 – November 10, for the range 10-29..11-04 across the month boundary (a Thursday to a Wednesday:
ISO weeks of 10-26 and 11-02) and its previous period 10-22..10-28, across the end of summer time (Paris is
UTC+2 until 10-25 01:00 UTC, UTC+1 after). Moments are UTC; "=" gives a Paris day other than the UTC date.

| job | price  | handyman | assigned → IN_PROGRESS (response)           | approved              |
| J5  | 400 €  | hm-1     | 10-28 23:00 → 23:30 = 10-29 (30 min)        | 11-02 09:00           |
| J6  | 250 €  | hm-2     | 10-26 09:00 → 10:30 (90 min)                | 10-31 23:30 = 11-01   |
| J7  | 120 €  | hm-1     | 10-21 21:30 → 22:30 = 10-22 (60 min)        | 10-28 22:30 (10-28)   |
| J8  | 600 €  | hm-3     | 11-04 20:15 → 21:00 (45 min)                | 11-04 23:30 = 11-05   |
Ratings: r6 hm-2 camera 3★ 10-31 23:10 = 11-01, r7 hm-1 alarm 1★ 11-03, r8 (no handyman) thermostat 5★
10-29, r9 hm-1 camera 5★ 10-22 08:00, r10 hm-2 camera 2★ 10-21 22:30 = 10-22, r11 hm-1 camera 4★ 10-21
21:30 (23:30 Paris: 10-21), r12 hm-3 lighting 5★ 11-04 23:15 = 11-05. Surveys (sent → answered, score):
s6 10-30 → 11-01 23:30 = 11-02 10, s7 10-31 23:00 = 11-01 → 11-01 6, s8 11-03 → -, s9 10-27 → 10-29 10,
s10 10-23 → 10-23 8, s11 11-04 22:30 (23:30 Paris: 11-04) → 11-04 23:30 = 11-05 9, s12 10-29 → 10-30 9,
s13 10-22 → 10-24 2, s14 10-28 22:30 (23:30 Paris: 10-28) → -. Issues (reported → resolved):
i4 10-30 → 11-03, i5 11-02 → -, i6 11-04 → 11-10, i7 10-31 23:30 = 11-01 → 11-01, i8 10-25 → 10-30,
i9 10-26 → -.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdf
import pytest
from kpi_projector_testkit import REPORT_NOW, Events
from test_reports_api import figures, projector

from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import ratings, topics
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.kafka import new_producer
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from kpi_projector.settings import ProjectorSettings

Client = tuple[httpx.AsyncClient, dict[str, str]]


def _utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class History:
    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id

    def new(
        self, event_type: type[Envelope], aggregate_id: str, version: int, data: EventData, moment: datetime
    ) -> Envelope:
        return event_type.new(
            partner_id=self.partner_id,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            data=data,
            occurred_at=moment,
        )

    def handymen(self) -> list[Envelope]:
        def registered(hid: str, name: str, certifications: list[str], skills: dict[str, int]) -> Envelope:
            data = inst.HandymanRegisteredData(
                handyman_id=hid,
                name=name,
                availability=inst.Availability.AVAILABLE,
                certifications=certifications,
                skills=skills,
            )
            return self.new(inst.HandymanRegistered, hid, 1, data, _utc(11, 1, 9))

        update = inst.HandymanProfileUpdatedData(
            handyman_id="hm-1",
            certifications=["electrical", "locksmith"],
            skills={"camera": 5, "smart_lock": 3},
        )
        return [
            self.new(inst.HandymanProfileUpdated, "hm-1", 2, update, _utc(11, 2, 9)),  # before v1 arrives
            registered("hm-1", "Ana", ["electrical"], {"camera": 4}),
            registered("hm-2", "Ben", [], {"alarm": 2}),
            registered("hm-3", "Cy", ["network"], {"network": 5, "lighting": 1}),
        ]

    def job(
        self, jid: str, price: int, hid: str, assigned: datetime, started: datetime, approved: datetime
    ) -> list[Envelope]:
        created = inst.InstallationCreatedData(
            installation_id=jid,
            customer_id="cust-1",
            device_type=inst.DeviceType.CAMERA,
            products=[],
            price_cents=price,
            scheduled_for=assigned,
        )

        def moved(version: int, before: str, after: str, moment: datetime) -> Envelope:
            data = inst.InstallationStatusChangedData(
                installation_id=jid,
                from_status=inst.InstallationStatus(before),
                to_status=inst.InstallationStatus(after),
            )
            return self.new(inst.InstallationStatusChanged, jid, version, data, moment)

        assignment = inst.HandymanAssignedData(installation_id=jid, handyman_id=hid)
        return [
            self.new(inst.InstallationCreated, jid, 1, created, assigned.replace(hour=7, minute=0)),
            self.new(inst.HandymanAssigned, jid, 2, assignment, assigned),
            moved(3, "SCHEDULED", "IN_PROGRESS", started),
            moved(4, "IN_PROGRESS", "WORK_COMPLETED", started.replace(minute=59)),
            moved(5, "WORK_COMPLETED", "CUSTOMER_APPROVED", approved),
        ]

    def installations(self) -> list[Envelope]:
        return [
            *self.job("J5", 40_000, "hm-1", _utc(10, 28, 23), _utc(10, 28, 23, 30), _utc(11, 2, 9)),
            *self.job("J6", 25_000, "hm-2", _utc(10, 26, 9), _utc(10, 26, 10, 30), _utc(10, 31, 23, 30)),
            *self.job("J7", 12_000, "hm-1", _utc(10, 21, 21, 30), _utc(10, 21, 22, 30), _utc(10, 28, 22, 30)),
            *self.job("J8", 60_000, "hm-3", _utc(11, 4, 20, 15), _utc(11, 4, 21), _utc(11, 4, 23, 30)),
            *self.job("J1", 30_000, "hm-1", _utc(11, 24, 9), _utc(11, 24, 9, 30), _utc(11, 25, 8)),
            *self.job("J2", 20_000, "hm-1", _utc(11, 25, 7, 10), _utc(11, 25, 7, 30), _utc(11, 25, 9)),
            *self.job("J3", 50_000, "hm-2", _utc(11, 25, 7), _utc(11, 25, 8), _utc(11, 25, 9, 30)),
            *self.job("J4", 10_000, "hm-2", _utc(11, 20, 10), _utc(11, 20, 10, 45), _utc(11, 21, 9)),
        ]

    def ratings(self) -> list[Envelope]:
        def rating(rid: str, hid: str | None, device: str, stars: int, moment: datetime) -> Envelope:
            data = ratings.RatingSubmittedData(
                rating_id=rid,
                installation_id=f"inst-{rid}",
                customer_id="cust-1",
                handyman_id=hid,
                device_type=inst.DeviceType(device),
                stars=stars,
                comment=None,
            )
            return self.new(ratings.RatingSubmitted, rid, 1, data, moment)

        def survey(sid: str, sent: datetime, answered: datetime | None, score: int = 0) -> list[Envelope]:
            data = ratings.SurveySentData(survey_id=sid, customer_id="cust-1", installation_id=None)
            steps = [self.new(ratings.SurveySent, sid, 1, data, sent)]
            if answered is not None:
                answer = ratings.SurveyAnsweredData(survey_id=sid, nps_score=score, comment=None)
                steps.append(self.new(ratings.SurveyAnswered, sid, 2, answer, answered))
            return steps

        def issue(iid: str, reported: datetime, resolved: datetime | None) -> list[Envelope]:
            data = ratings.IssueReportedData(
                issue_id=iid, customer_id="cust-1", installation_id=None, summary="x"
            )
            steps = [self.new(ratings.IssueReported, iid, 1, data, reported)]
            if resolved is not None:
                steps.append(
                    self.new(ratings.IssueResolved, iid, 2, ratings.IssueResolvedData(issue_id=iid), resolved)
                )
            return steps

        return [
            rating("r6", "hm-2", "camera", 3, _utc(10, 31, 23, 10)),
            rating("r7", "hm-1", "alarm", 1, _utc(11, 3, 10)),
            rating("r8", None, "thermostat", 5, _utc(10, 29, 10)),
            rating("r9", "hm-1", "camera", 5, _utc(10, 22, 8)),
            rating("r10", "hm-2", "camera", 2, _utc(10, 21, 22, 30)),
            rating("r11", "hm-1", "camera", 4, _utc(10, 21, 21, 30)),
            rating("r12", "hm-3", "lighting", 5, _utc(11, 4, 23, 15)),
            *survey("s6", _utc(10, 30, 9), _utc(11, 1, 23, 30), 10),
            *survey("s7", _utc(10, 31, 23), _utc(11, 1, 8), 6),
            *survey("s8", _utc(11, 3, 9), None),
            *survey("s9", _utc(10, 27, 9), _utc(10, 29, 9), 10),
            *survey("s10", _utc(10, 23, 9), _utc(10, 23, 10), 8),
            *survey("s11", _utc(11, 4, 22, 30), _utc(11, 4, 23, 30), 9),
            *survey("s12", _utc(10, 29, 9), _utc(10, 30, 9), 9),
            *survey("s13", _utc(10, 22, 9), _utc(10, 24, 9), 2),
            *survey("s14", _utc(10, 28, 22, 30), None),
            *issue("i4", _utc(10, 30, 9), _utc(11, 3, 9)),
            *issue("i5", _utc(11, 2, 9), None),
            *issue("i6", _utc(11, 4, 10), _utc(11, 10, 9)),
            *issue("i7", _utc(10, 31, 23, 30), _utc(11, 1, 9)),
            *issue("i8", _utc(10, 25, 9), _utc(10, 30, 9)),
            *issue("i9", _utc(10, 26, 9), None),
            rating("r1", "hm-1", "camera", 5, _utc(11, 25, 9, 10)),
            rating("r2", "hm-1", "camera", 4, _utc(11, 25, 9, 20)),
            rating("r3", "hm-2", "alarm", 2, _utc(11, 25, 9, 40)),
            rating("r4", "hm-2", "alarm", 3, _utc(11, 24, 12)),
            rating("r5", "hm-1", "thermostat", 5, _utc(11, 20, 10)),
            *reversed(survey("s1", _utc(11, 24, 10), _utc(11, 25, 8), 10)),  # the answer first
            *survey("s2", _utc(11, 25, 7), _utc(11, 25, 7, 30), 9),
            *survey("s3", _utc(11, 25, 7), _utc(11, 25, 8), 3),
            *survey("s4", _utc(11, 25, 7), None),
            *survey("s5", _utc(11, 17, 10), _utc(11, 18, 10), 7),
            *issue("i1", _utc(11, 25, 8), _utc(11, 25, 9)),
            *issue("i2", _utc(11, 25, 8, 30), None),
            *reversed(issue("i3", _utc(11, 24, 10), _utc(11, 25, 9, 30))),
        ]


ANA_CERTS = ["electrical", "locksmith"]
HM1_SKILLS = {"smart_lock": 3, "camera": 5, "thermostat": 0, "network": 0, "alarm": 0, "lighting": 0}
HM2_SKILLS = {"smart_lock": 0, "camera": 0, "thermostat": 0, "network": 0, "alarm": 2, "lighting": 0}
HM3_SKILLS = {"smart_lock": 0, "camera": 0, "thermostat": 0, "network": 5, "alarm": 0, "lighting": 1}


@pytest.fixture
async def client(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> AsyncIterator[Client]:
    history = History(events.partner_id)
    published = [
        (topics.INSTALLATIONS, [*history.handymen(), *history.installations()]),
        (topics.RATINGS, history.ratings()),
    ]
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):  # everything twice: Kafka's at-least-once
            for topic, batch in published:
                for event in batch:
                    await producer.send_and_wait(topic, event.to_json(), key=events.partner_id.encode())
    finally:
        await producer.stop()
    headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
    async with projector(settings, REPORT_NOW) as http:

        async def everything_projected() -> bool:
            people = await http.get("/v1/reports/handymen?range=last_7_days", headers=headers)
            mood = await http.get("/v1/reports/satisfaction?range=last_7_days", headers=headers)
            if people.status_code != 200 or mood.status_code != 200:
                return False
            summary, rows = people.json()["summary"], people.json()["tables"]["handymen"]
            return bool(
                summary["approved"]["value"] == 4
                and summary["avg_response_minutes"]["value"] == 38.8
                and rows
                and rows[-1]["skills"] == HM3_SKILLS
                and any(row["skills"] == HM1_SKILLS and row["name"] == "Ana" for row in rows)
                and mood.json()["summary"]
                == figures(
                    nps=(33.3, 0.0),
                    average_rating=(3.8, None),
                    ratings=(5, 0),
                    survey_response_rate=(0.75, 1.0),
                    issue_resolution_rate=(0.6667, None),
                )
            )

        # The last event of each topic (J4's approval, i3's report) shows here: one partner's events share a
        # partition per topic, so every event before it (the October ones first) has been projected too.
        await wait_until(everything_projected, timeout=30, message="the reports never showed the history")
        yield http, headers


def row(hid: str, name: str, approved: int, rating: Any, ratings_: int, response: Any, **rest: Any) -> Any:
    return {
        "handyman_id": hid,
        "name": name,
        "approved": approved,
        "average_rating": rating,
        "ratings": ratings_,
        "avg_response_minutes": response,
        **rest,
    }


async def test_handymen_today(client: Client, events: Events) -> None:
    http, headers = client
    response = await http.get("/v1/reports/handymen?range=today", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["tab"] == "handymen" and body["partner_id"] == events.partner_id
    assert body["previous_range"] == {"start": "2026-11-24", "end": "2026-11-24"}
    assert body["summary"] == figures(
        handymen=(2, 2),  # hm-1, hm-2 | hm-1 (started J1), hm-2 (r4)
        approved=(3, 0),  # J1, J2, J3
        average_rating=(3.67, 3.0),  # (5 + 4 + 2) / 3 | r4
        avg_response_minutes=(40.0, 30.0),  # (J2 20 + J3 60) / 2 | J1
        revenue_cents=(100_000, 0),
    )
    assert body["tables"]["handymen"] == [
        row(
            "hm-1", "Ana", 2, 4.5, 2, 20.0, certifications=ANA_CERTS, revenue_cents=50_000, skills=HM1_SKILLS
        ),
        row("hm-2", "Ben", 1, 2.0, 1, 60.0, certifications=[], revenue_cents=50_000, skills=HM2_SKILLS),
        row("hm-3", "Cy", 0, None, 0, None, certifications=["network"], revenue_cents=0, skills=HM3_SKILLS),
    ]


async def test_handymen_last_7_days_rank_by_approved_then_revenue(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/handymen?range=last_7_days", headers=headers)).json()
    assert body["summary"] == figures(
        handymen=(2, 0),
        approved=(4, 0),
        average_rating=(3.8, None),  # (5 + 4 + 5 + 2 + 3) / 5
        avg_response_minutes=(38.8, None),  # (30 + 20 + 60 + 45) / 4 = 38.75
        revenue_cents=(110_000, 0),
    )
    rows = body["tables"]["handymen"]
    assert [(r["handyman_id"], r["approved"], r["revenue_cents"]) for r in rows] == [
        ("hm-2", 2, 60_000),
        ("hm-1", 2, 50_000),
        ("hm-3", 0, 0),
    ]
    assert [(r["average_rating"], r["ratings"], r["avg_response_minutes"]) for r in rows] == [
        (2.5, 2, 52.5),
        (4.67, 3, 25.0),
        (None, 0, None),
    ]


async def test_satisfaction_today(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/satisfaction?range=today", headers=headers)).json()
    assert body["tab"] == "satisfaction"
    assert body["summary"] == figures(
        nps=(33.3, None),  # s1 10, s2 9, s3 3: (2 - 1) / 3 | no answer on 11-24
        average_rating=(3.67, 3.0),
        ratings=(3, 1),
        survey_response_rate=(0.6667, 1.0),  # s2, s3 of s2-s4 | s1
        issue_resolution_rate=(0.5, 1.0),  # i1 of i1, i2 | i3
    )
    assert body["series"] == {
        "nps_weekly": [{"week": "2026-11-23", "nps": 33.3, "answers": 3}],
        "sentiment_weekly": [{"week": "2026-11-23", "positive": 2, "neutral": 0, "negative": 1}],
    }
    assert body["tables"]["by_device_type"] == [
        {"device_type": "camera", "ratings": 2, "average_rating": 4.5},
        {"device_type": "alarm", "ratings": 1, "average_rating": 2.0},
    ]


async def test_satisfaction_last_7_days_by_iso_week(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/satisfaction?range=last_7_days", headers=headers)).json()
    assert (body["range"]["start"], body["range"]["end"]) == ("2026-11-19", "2026-11-25")
    assert body["series"] == {
        "nps_weekly": [
            {"week": "2026-11-16", "nps": None, "answers": 0},  # s5 was answered on 11-18, before the range
            {"week": "2026-11-23", "nps": 33.3, "answers": 3},
        ],
        "sentiment_weekly": [
            {"week": "2026-11-16", "positive": 1, "neutral": 0, "negative": 0},  # r5
            {"week": "2026-11-23", "positive": 2, "neutral": 1, "negative": 1},
        ],
    }
    assert body["tables"]["by_device_type"] == [
        {"device_type": "alarm", "ratings": 2, "average_rating": 2.5},
        {"device_type": "camera", "ratings": 2, "average_rating": 4.5},
        {"device_type": "thermostat", "ratings": 1, "average_rating": 5.0},
    ]


BOUNDARY = {"range": "custom", "start": "2026-10-29", "end": "2026-11-04"}
BOUNDARY_PREVIOUS = {"range": "custom", "start": "2026-10-22", "end": "2026-10-28"}


async def test_handymen_over_a_month_boundary_and_its_previous_period(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/handymen", params=BOUNDARY, headers=headers)).json()
    assert (body["range"]["start"], body["range"]["end"]) == ("2026-10-29", "2026-11-04")
    assert body["previous_range"] == {"start": "2026-10-22", "end": "2026-10-28"}
    assert body["summary"] == figures(
        # hm-1 (J5, r7), hm-2 (J6, r6), hm-3 (J8 started) | hm-1 (J7, r9), hm-2 (r10, J6 started)
        handymen=(3, 2),
        approved=(2, 1),  # J5 11-02, J6 11-01 (J8 is approved on 11-05) | J7 10-28 (23:30 Paris)
        average_rating=(2.0, 3.5),  # (r7 1 + r6 3) / 2, r8 has no handyman | (r9 5 + r10 2) / 2
        avg_response_minutes=(37.5, 75.0),  # (J5 30 + J8 45) / 2 | (J7 60 + J6 90) / 2
        revenue_cents=(65_000, 12_000),  # J5 40000 + J6 25000 | J7
    )
    assert body["tables"]["handymen"] == [
        row(
            "hm-1", "Ana", 1, 1.0, 1, 30.0, certifications=ANA_CERTS, revenue_cents=40_000, skills=HM1_SKILLS
        ),
        row("hm-2", "Ben", 1, 3.0, 1, None, certifications=[], revenue_cents=25_000, skills=HM2_SKILLS),
        row("hm-3", "Cy", 0, None, 0, 45.0, certifications=["network"], revenue_cents=0, skills=HM3_SKILLS),
    ]

    # The previous period as a range of its own: its rows, and its own previous period 10-15..10-21.
    before = (await http.get("/v1/reports/handymen", params=BOUNDARY_PREVIOUS, headers=headers)).json()
    assert {name: figure["value"] for name, figure in before["summary"].items()} == {
        name: figure["previous"] for name, figure in body["summary"].items()
    }
    assert {name: figure["previous"] for name, figure in before["summary"].items()} == {
        "handymen": 1,  # hm-1: r11 (10-21 23:30 Paris)
        "approved": 0,
        "average_rating": 4.0,  # r11
        "avg_response_minutes": None,  # J7 was assigned on 10-21 but started on 10-22 (Paris)
        "revenue_cents": 0,
    }
    assert [
        (r["handyman_id"], r["approved"], r["revenue_cents"], r["average_rating"], r["ratings"])
        for r in before["tables"]["handymen"]
    ] == [
        ("hm-1", 1, 12_000, 5.0, 1),  # J7; r9
        ("hm-2", 0, 0, 2.0, 1),  # r10; ranked before hm-3 by name (Ben, Cy)
        ("hm-3", 0, 0, None, 0),
    ]
    assert [r["avg_response_minutes"] for r in before["tables"]["handymen"]] == [60.0, 90.0, None]


async def test_satisfaction_over_a_month_boundary_and_its_previous_period(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/satisfaction", params=BOUNDARY, headers=headers)).json()
    assert body["previous_range"] == {"start": "2026-10-22", "end": "2026-10-28"}
    assert body["summary"] == figures(
        # answers s9 10, s12 9, s7 6, s6 10 (s11's is on 11-05): (3 − 1) / 4 | s10 8, s13 2: (0 − 1) / 2
        nps=(50.0, -50.0),
        average_rating=(3.0, 3.5),  # (r8 5 + r6 3 + r7 1) / 3 | (r9 5 + r10 2) / 2
        ratings=(3, 2),
        # sent s6, s7, s8, s11, s12; answered now: all but s8 | sent s9, s10, s13, s14; answered: all but s14
        survey_response_rate=(0.8, 0.75),
        issue_resolution_rate=(0.75, 0.5),  # i4, i6, i7 of i4-i7 | i8 of i8, i9
    )
    assert body["series"] == {
        "nps_weekly": [
            {"week": "2026-10-26", "nps": 33.3, "answers": 3},  # 10-29..11-01: s9 10, s12 9, s7 6
            {"week": "2026-11-02", "nps": 100.0, "answers": 1},  # 11-02..11-04: s6 10
        ],
        "sentiment_weekly": [
            {"week": "2026-10-26", "positive": 1, "neutral": 1, "negative": 0},  # r8 5, r6 3
            {"week": "2026-11-02", "positive": 0, "neutral": 0, "negative": 1},  # r7 1 (r12 is on 11-05)
        ],
    }
    assert body["tables"]["by_device_type"] == [
        {"device_type": "alarm", "ratings": 1, "average_rating": 1.0},
        {"device_type": "camera", "ratings": 1, "average_rating": 3.0},
        {"device_type": "thermostat", "ratings": 1, "average_rating": 5.0},
    ]

    # The previous period as a range of its own, whose own previous period 10-15..10-21 has only r11.
    before = (await http.get("/v1/reports/satisfaction", params=BOUNDARY_PREVIOUS, headers=headers)).json()
    assert before["summary"] == figures(
        nps=(-50.0, None),
        average_rating=(3.5, 4.0),
        ratings=(2, 1),
        survey_response_rate=(0.75, None),
        issue_resolution_rate=(0.5, None),
    )
    assert before["series"] == {
        "nps_weekly": [
            {"week": "2026-10-19", "nps": -50.0, "answers": 2},  # 10-22..10-25: s10 8, s13 2
            {"week": "2026-10-26", "nps": None, "answers": 0},  # 10-26..10-28 (s9 was answered on 10-29)
        ],
        "sentiment_weekly": [
            {"week": "2026-10-19", "positive": 1, "neutral": 0, "negative": 1},  # r9 5, r10 2
            {"week": "2026-10-26", "positive": 0, "neutral": 0, "negative": 0},
        ],
    }
    assert before["tables"]["by_device_type"] == [
        {"device_type": "camera", "ratings": 2, "average_rating": 3.5}
    ]


@pytest.mark.parametrize(("tab", "figure"), [("handymen", "revenue_cents"), ("satisfaction", "ratings")])
async def test_exports_of_the_new_tabs(client: Client, tab: str, figure: str) -> None:
    http, headers = client
    query = "range=last_7_days"
    report = (await http.get(f"/v1/reports/{tab}?{query}", headers=headers)).json()
    for fmt in ("csv", "xlsx"):
        response = await http.get(f"/v1/reports/{tab}/export?format={fmt}&{query}", headers=headers)
        assert response.status_code == 200, response.text
    pdf = await http.get(f"/v1/reports/{tab}/export?format=pdf&{query}", headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-disposition"].startswith("attachment;")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    value = report["summary"][figure]["value"]
    shown = "€1,100" if tab == "handymen" else str(value)
    assert shown in text, text[:2000]
