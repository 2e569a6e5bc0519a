"""GET /v1/reports/handymen and /satisfaction end to end: a fixed history published (twice, and a handyman's
profile update before its registration) to Kafka → the projector → Redis → HTTP, every figure by hand.

Every moment is between 07:00 and 12:00 UTC, so its Paris business day is its UTC date. Today is 2026-11-25
(a Wednesday: ISO week of Monday 11-23).

| job | price  | handyman | assigned → IN_PROGRESS (response) | approved |
| J1  | 300 €  | hm-1     | 11-24 09:00 → 09:30 (30 min)      | 11-25    |
| J2  | 200 €  | hm-1     | 11-25 07:10 → 07:30 (20 min)      | 11-25    |
| J3  | 500 €  | hm-2     | 11-25 07:00 → 08:00 (60 min)      | 11-25    |
| J4  | 100 €  | hm-2     | 11-20 10:00 → 10:45 (45 min)      | 11-21    |
Ratings: r1 hm-1 camera 5★ 11-25, r2 hm-1 camera 4★ 11-25, r3 hm-2 alarm 2★ 11-25, r4 hm-2 alarm 3★ 11-24,
r5 hm-1 thermostat 5★ 11-20. Surveys (sent → answered): s1 11-24 → 11-25 10, s2 11-25 → 11-25 9,
s3 11-25 → 11-25 3, s4 11-25 → -, s5 11-17 → 11-18 7. Issues (reported → resolved): i1 11-25 → 11-25,
i2 11-25 → -, i3 11-24 → 11-25.
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
            *self.job("J1", 30_000, "hm-1", _utc(11, 24, 9), _utc(11, 24, 9, 30), _utc(11, 25, 8)),
            *self.job("J2", 20_000, "hm-1", _utc(11, 25, 7, 10), _utc(11, 25, 7, 30), _utc(11, 25, 9)),
            *self.job("J3", 50_000, "hm-2", _utc(11, 25, 7), _utc(11, 25, 8), _utc(11, 25, 9, 30)),
            *self.job("J4", 10_000, "hm-2", _utc(11, 20, 10), _utc(11, 20, 10, 45), _utc(11, 21, 9)),
        ]

    def ratings(self) -> list[Envelope]:
        def rating(rid: str, hid: str, device: str, stars: int, moment: datetime) -> Envelope:
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
