"""The demo partner's history: about 60 days of a small installation business, as records to import.

Pure and seeded: the same partner and `now` give the same story. Business hours are those of Paris. Each
job follows its natural course (created, assigned a little before its visit, 1–4 hours of work, approved by
the customer within hours or days, rated and surveyed afterwards, sometimes an issue); what would happen
after `now` has not happened yet, so the most recent jobs are still scheduled, in progress or awaiting
approval. Ids come from the partner, the seed and the record's place in the story, so loading the story of
the same `now` again finds every record already there (`make run` keeps its first `now`). About 30 customers
(3 inactive), 5 handymen (3 available), 65–80 installations with their ratings, NPS surveys and issues; the
Shopify/ERP side is the commerce simulator's (`ORDERS` orders over the same days).
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from heyzack_shared.contracts.installations import Availability, DeviceType, InstallationStatus, ProductLine
from heyzack_shared.envelope import Envelope
from heyzack_stack.commerce import simulate
from installations.history import ImportCustomer, ImportHandyman, ImportInstallation
from ratings.history import ImportIssue, ImportRating, ImportSurvey, PastAnswer

DEMO_PARTNER: Final = "partner-demo"
SEED: Final = 20261125
DAYS: Final = 60
ORDERS: Final = 45
ZONE: Final = ZoneInfo("Europe/Paris")
Status = InstallationStatus

_CUSTOMERS: Final = (
    "Amélie Laurent", "Bastien Moreau", "Chloé Girard", "Damien Roux", "Élodie Fontaine",
    "Fabien Marchand", "Gaëlle Dupuis", "Hugo Lefèvre", "Inès Garnier", "Julien Chevalier",
    "Karine Blanc", "Léo Mercier", "Manon Perrin", "Nicolas Faure", "Océane Robin",
    "Pierre Gauthier", "Quentin Masson", "Romane Lambert", "Samuel Bonnet", "Théa Rousseau",
    "Ugo Vincent", "Valérie Muller", "William Henry", "Yasmine Brun", "Zoé Morel",
    "Adrien Fournier", "Brigitte Caron", "Cédric André", "Delphine Mathieu", "Émile Barbier",
)  # fmt: skip
_INACTIVE: Final = frozenset({"Fabien Marchand", "Léo Mercier", "Brigitte Caron"})


@dataclass(frozen=True)
class _Technician:
    name: str
    certifications: list[str]
    skills: dict[str, int]  # smart_lock, camera, thermostat, network, alarm, lighting
    stars: float  # how customers tend to rate their work
    availability: tuple[tuple[int, Availability], ...] = ()  # (days ago, availability since then)


_HANDYMEN: Final = (
    _Technician(
        "Marc Dubois",
        ["HeyZack Certified Installer", "Electrical Safety"],
        dict(smart_lock=5, camera=3, thermostat=4, network=2, alarm=5, lighting=4),
        4.6,
    ),
    _Technician(
        "Sophie Bernard",
        ["HeyZack Certified Installer", "Network+"],
        dict(smart_lock=3, camera=5, thermostat=3, network=5, alarm=2, lighting=4),
        4.5,
    ),
    _Technician(
        "Karim Haddad",
        ["Alarm Systems Level 2"],
        dict(smart_lock=4, camera=4, thermostat=2, network=3, alarm=5, lighting=2),
        4.1,
    ),
    _Technician(
        "Nina Petit",
        ["HeyZack Certified Installer"],
        dict(smart_lock=2, camera=3, thermostat=5, network=2, alarm=1, lighting=5),
        4.4,
        ((1, Availability.BUSY),),
    ),
    _Technician(
        "Thomas Leroy",
        [],
        dict(smart_lock=2, camera=2, thermostat=3, network=1, alarm=1, lighting=3),
        3.4,
        ((12, Availability.OFF_DUTY),),
    ),
)

# device type -> (SKU, unit price, labour, minutes of work from..to, how often it is asked for); cents
_CATALOGUE: Final = {
    DeviceType.SMART_LOCK: ("HZ-LOCK-PRO", 24_900, 12_000, (60, 150), 5),
    DeviceType.CAMERA: ("HZ-CAM-360", 17_900, 9_000, (75, 210), 6),
    DeviceType.THERMOSTAT: ("HZ-THERMO-2", 21_900, 11_000, (60, 150), 4),
    DeviceType.NETWORK: ("HZ-MESH-3PK", 29_900, 8_000, (90, 240), 3),
    DeviceType.ALARM: ("HZ-ALARM-KIT", 39_900, 15_000, (120, 240), 4),
    DeviceType.LIGHTING: ("HZ-BULB-RGB", 2_900, 6_000, (60, 120), 4),
}
_STAR_COMMENTS: Final = {
    5: ("Fast, tidy and friendly. Works perfectly.", "Excellent explanations, the app was set up with us."),
    4: ("Good job, arrived a bit late.", "Clean work; one sensor needed a second try."),
    3: ("Works, but the app setup took a second visit.", "OK overall, communication could be better."),
    2: ("Had to call twice before anyone came.", "The device disconnects every evening."),
    1: ("Left without testing; nothing worked.",),
}
_NPS_COMMENTS: Final = (
    "I already recommended you to my neighbours.",
    "Good service, a little expensive.",
    "Support answered quickly when I had a question.",
    "Too long between the order and the visit.",
)
_ISSUES: Final = {
    DeviceType.SMART_LOCK: "The lock does not answer the app after a firmware update.",
    DeviceType.CAMERA: "Night vision is blurry on the garden camera.",
    DeviceType.THERMOSTAT: "The thermostat does not follow the weekly schedule.",
    DeviceType.NETWORK: "Wi-Fi drops in the upstairs bedrooms.",
    DeviceType.ALARM: "The alarm goes off when the cat walks past.",
    DeviceType.LIGHTING: "Two bulbs do not pair with the hub.",
}
_GENERAL_ISSUES: Final = (
    "The invoice shows the wrong address.",
    "Nobody confirmed the appointment by e-mail.",
)


@dataclass(frozen=True)
class DemoHistory:
    """Every record of the demo story, ready for the services' import use cases, in dependency order."""

    partner_id: str
    now: datetime
    customers: list[ImportCustomer]
    handymen: list[ImportHandyman]
    installations: list[ImportInstallation]
    ratings: list[ImportRating]
    surveys: list[ImportSurvey]
    issues: list[ImportIssue]
    orders_seed: int = SEED

    def commerce_events(self) -> list[Envelope]:
        """What the Shopify/ERP integration published over the same days (the commerce simulator's)."""
        return simulate(self.partner_id, orders=ORDERS, seed=self.orders_seed, until=self.now, days=DAYS)


def demo_history(partner_id: str = DEMO_PARTNER, *, now: datetime, seed: int = SEED) -> DemoHistory:
    story = _Story(partner_id, now, seed)
    return DemoHistory(
        partner_id,
        now,
        story.customers,
        story.handymen,
        story.installations,
        story.ratings,
        story.surveys,
        story.issues,
        orders_seed=seed,
    )


class _Story:
    def __init__(self, partner_id: str, now: datetime, seed: int) -> None:
        self.partner_id, self.now, self.seed = partner_id, now, seed
        self.rng = random.Random(f"{seed}:{partner_id}")
        self.today = now.astimezone(ZONE).date()
        self.customers = [self._customer(number, name) for number, name in enumerate(_CUSTOMERS)]
        self.handymen = [self._handyman(number, profile) for number, profile in enumerate(_HANDYMEN)]
        self.installations: list[ImportInstallation] = []
        self.ratings: list[ImportRating] = []
        self.surveys: list[ImportSurvey] = []
        self.issues: list[ImportIssue] = []
        for days_ago in range(DAYS, -1, -1):
            day = self.today - timedelta(days=days_ago)
            for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3) if day.weekday() < 5 else (0, 0, 1))):
                self._job(day)
        for number, summary in enumerate(_GENERAL_ISSUES):
            customer = self.customers[3 + number * 7]
            reported = self._at(self.today - timedelta(days=20 - 15 * number), 11)
            self._issue(f"general-{number}", customer.customer_id, None, summary, reported)

    def _id(self, prefix: str, *place: object) -> str:
        name = ":".join(map(str, (self.seed, self.partner_id, prefix, *place)))
        return f"{prefix}_{uuid.uuid5(uuid.NAMESPACE_URL, name).hex}"

    def _at(self, day: date, hour: float) -> datetime:
        return datetime.combine(day, time(), ZONE) + timedelta(hours=hour)

    def _customer(self, number: int, name: str) -> ImportCustomer:
        plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
        return ImportCustomer(
            partner_id=self.partner_id,
            customer_id=self._id("cus", number),
            name=name,
            email=plain.replace(" ", ".") + "@example.com",
            active=name not in _INACTIVE,
            registered_at=self._at(self.today - timedelta(days=DAYS + 12 - 2 * number), 10 + number % 7),
        )

    def _handyman(self, number: int, profile: _Technician) -> ImportHandyman:
        return ImportHandyman(
            partner_id=self.partner_id,
            handyman_id=self._id("hdm", number),
            name=profile.name,
            availability=Availability.AVAILABLE,
            certifications=profile.certifications,
            skills=profile.skills,
            registered_at=self._at(self.today - timedelta(days=DAYS + 20), 9 + number),
            availability_changes=tuple(
                (self._at(self.today - timedelta(days=days_ago), 8), availability)
                for days_ago, availability in profile.availability
                if self._at(self.today - timedelta(days=days_ago), 8) <= self.now
            ),
        )

    def _job(self, day: date) -> None:
        rng, number = self.rng, len(self.installations)
        created = self._at(day, rng.uniform(8, 18))
        device = rng.choices(list(_CATALOGUE), weights=[entry[4] for entry in _CATALOGUE.values()])[0]
        sku, unit_price, labour, minutes, _ = _CATALOGUE[device]
        quantity = rng.randint(1, 4) if device in (DeviceType.CAMERA, DeviceType.LIGHTING) else 1
        products = [ProductLine(sku=sku, quantity=quantity)]
        price = unit_price * quantity + labour
        if rng.random() < 0.2:  # a second product on the same visit
            extra_sku, extra_price, *_ = _CATALOGUE[rng.choice([d for d in _CATALOGUE if d != device])]
            products.append(ProductLine(sku=extra_sku, quantity=1))
            price += extra_price
        visit_day = day + timedelta(days=rng.randint(1, 6))
        while visit_day.weekday() >= 5:
            visit_day += timedelta(days=1)
        visit = self._at(visit_day, rng.choice((8, 8.5, 9, 10, 11, 13.5, 14, 15, 16)))
        customer = rng.choice([c for c in self.customers if c.active and c.registered_at < created])
        technician = self._technician(device, visit)
        assigned = max(visit - timedelta(minutes=rng.randint(15, 240)), created + timedelta(minutes=10))
        started = visit + timedelta(minutes=rng.randint(-10, 25))
        completed = started + timedelta(minutes=rng.randint(*minutes))
        approved = completed + timedelta(minutes=rng.choice((45, 90, 180, 600, 1_500, 2_900, 4_300)))
        statuses = [
            (started, Status.IN_PROGRESS),
            (completed, Status.WORK_COMPLETED),
            (approved, Status.CUSTOMER_APPROVED),
        ]
        outcome = rng.random()
        if outcome < 0.06:  # called off before the visit
            cancelled = created + (visit - created) * rng.uniform(0.2, 0.9)
            statuses = [(cancelled, Status.CANCELLED)]
            assigned = min(assigned, cancelled - timedelta(hours=1))
        elif outcome < 0.1:  # the customer never answered
            statuses = statuses[:2]
        if self.now - timedelta(days=2) < started <= self.now and rng.random() < 0.5:
            statuses = statuses[:1]  # a visit that runs over several days
        if created > self.now:
            return
        installation_id = self._id("ins", number)
        handyman = self.handymen[technician]
        steps = [(at, status) for at, status in statuses if at <= self.now]
        self.installations.append(
            ImportInstallation(
                partner_id=self.partner_id,
                installation_id=installation_id,
                customer_id=customer.customer_id,
                device_type=device,
                products=products,
                price_cents=price,
                scheduled_for=visit,
                created_at=created,
                assignments=((assigned, handyman.handyman_id),) if assigned <= self.now else (),
                statuses=tuple(steps),
            )
        )
        self._feedback(installation_id, customer.customer_id, device, _HANDYMEN[technician], steps)

    def _technician(self, device: DeviceType, visit: datetime) -> int:
        """Handymen with the skill are asked more often; nobody works while off duty."""
        candidates = [
            number
            for number, profile in enumerate(_HANDYMEN)
            if not any(
                availability is Availability.OFF_DUTY
                and visit >= self._at(self.today - timedelta(days=days_ago), 0)
                for days_ago, availability in profile.availability
            )
        ]
        weights = [_HANDYMEN[number].skills[device.value] ** 2 for number in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    def _feedback(
        self,
        installation_id: str,
        customer_id: str,
        device: DeviceType,
        technician: _Technician,
        steps: list[tuple[datetime, Status]],
    ) -> None:
        rng, reached = self.rng, {status: at for at, status in steps}
        approved, completed = reached.get(Status.CUSTOMER_APPROVED), reached.get(Status.WORK_COMPLETED)
        stars = max(1, min(5, round(rng.gauss(technician.stars, 1.0))))
        rated = None if approved is None else approved + timedelta(minutes=rng.randint(10, 1_800))
        if rated is not None and rated <= self.now and rng.random() < 0.75:
            comment = rng.choice(_STAR_COMMENTS[stars]) if rng.random() < 0.6 else None
            self.ratings.append(
                ImportRating(
                    partner_id=self.partner_id,
                    rating_id=self._id("rat", installation_id),
                    installation_id=installation_id,
                    stars=stars,
                    comment=comment,
                    submitted_at=rated,
                )
            )
        finished = approved or completed  # the survey goes out at 10:00 the next day
        sent = None if finished is None else self._at(_next_day(finished), 10)
        if sent is not None and sent <= self.now and rng.random() < 0.85:
            answered = sent + timedelta(minutes=rng.randint(30, 5_000))
            score = rng.choices(range(11), weights=(1, 0, 1, 1, 1, 2, 3, 6, 10, 14, 14))[0]
            comment = rng.choice(_NPS_COMMENTS) if rng.random() < 0.3 else None
            answer = PastAnswer(nps_score=score, comment=comment, answered_at=answered)
            self.surveys.append(
                ImportSurvey(
                    partner_id=self.partner_id,
                    survey_id=self._id("svy", installation_id),
                    customer_id=customer_id,
                    installation_id=installation_id,
                    sent_at=sent,
                    answer=answer if answered <= self.now and rng.random() < 0.75 else None,
                )
            )
        if completed is not None and rng.random() < 0.18:
            reported = completed + timedelta(hours=rng.randint(20, 300))
            self._issue(installation_id, customer_id, installation_id, _ISSUES[device], reported)

    def _issue(
        self, place: str, customer_id: str, installation_id: str | None, summary: str, reported: datetime
    ) -> None:
        if reported > self.now:
            return
        resolved = reported + timedelta(minutes=self.rng.randint(120, 6_000))
        self.issues.append(
            ImportIssue(
                partner_id=self.partner_id,
                issue_id=self._id("iss", place),
                customer_id=customer_id,
                installation_id=installation_id,
                summary=summary,
                reported_at=reported,
                resolved_at=resolved if resolved <= self.now and self.rng.random() < 0.85 else None,
            )
        )


def _next_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date() + timedelta(days=1)
