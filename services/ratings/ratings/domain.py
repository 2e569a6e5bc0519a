"""Star ratings, NPS surveys, customer issues, and what ratings knows of installations. No I/O here.

Every mutating method changes the entity and returns the event recording the change, stamped with the
entity's next `aggregate_version`. A rating is one event (version 1); a survey and an issue have two
(sent/reported = 1, answered/resolved = 2). A new entity's id is generated, unless an import (`history.py`)
gives the id its record already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from heyzack_shared.aggregate import Aggregate, new_id
from heyzack_shared.contracts import installations as facts
from heyzack_shared.contracts import ratings as events
from heyzack_shared.contracts.installations import DeviceType, InstallationStatus
from heyzack_shared.errors import Conflict, Invalid, NotFound

STARS = range(1, 6)
NPS_SCORES = range(0, 11)
InstallationFact = facts.InstallationCreated | facts.HandymanAssigned | facts.InstallationStatusChanged


class UnknownInstallation(NotFound):
    code = "unknown_installation"

    def __init__(self, installation_id: str) -> None:
        super().__init__(f"unknown installation (or not yet received): {installation_id}")


class NotApproved(Conflict):
    code = "installation_not_approved"

    def __init__(self, installation_id: str, status: InstallationStatus) -> None:
        super().__init__(
            f"installation {installation_id} is {status}: only a CUSTOMER_APPROVED installation can be rated"
        )


class AlreadyRated(Conflict):
    code = "already_rated"

    def __init__(self, installation_id: str) -> None:
        super().__init__(f"installation {installation_id} is already rated: one rating per installation")


class AlreadyAnswered(Conflict):
    code = "survey_already_answered"

    def __init__(self, survey_id: str) -> None:
        super().__init__(f"survey {survey_id} is already answered")


class AlreadyResolved(Conflict):
    code = "issue_already_resolved"

    def __init__(self, issue_id: str) -> None:
        super().__init__(f"issue {issue_id} is already resolved")


@dataclass(kw_only=True)
class KnownInstallation:
    """An installation as learned from `heyzack.installations.v1`, last writer wins by aggregate_version.

    Each fact is versioned on its own (status, handyman, creation details), so an older event never
    overwrites what a newer one set, whatever order they arrive in; `version` is the newest seen.
    """

    partner_id: str
    installation_id: str
    customer_id: str | None = None
    device_type: DeviceType | None = None
    handyman_id: str | None = None
    status: InstallationStatus | None = None
    version: int = 0
    status_version: int = 0
    handyman_version: int = 0

    @property
    def created(self) -> bool:
        """Its InstallationCreated has arrived: a rating needs its customer and device type."""
        return self.customer_id is not None and self.device_type is not None

    def learn(self, event: InstallationFact) -> bool:
        """Apply one fact; returns whether anything changed."""
        version = event.aggregate_version
        changed = False
        match event:
            case facts.InstallationCreated(data=data):
                if not self.created:
                    self.customer_id, self.device_type = data.customer_id, data.device_type
                    changed = True
                changed = self._set_status(data.status, version) or changed
            case facts.HandymanAssigned(data=data):
                if version > self.handyman_version:
                    self.handyman_id, self.handyman_version = data.handyman_id, version
                    changed = True
            case facts.InstallationStatusChanged(data=data):
                changed = self._set_status(data.to_status, version)
        if version > self.version:
            self.version = version
            changed = True
        return changed

    def _set_status(self, status: InstallationStatus, version: int) -> bool:
        if version <= self.status_version:
            return False
        self.status, self.status_version = status, version
        return True

    def ensure_rateable(self) -> tuple[str, DeviceType]:
        """The customer and device type to rate, or why this installation cannot be rated."""
        if self.customer_id is None or self.device_type is None:
            raise UnknownInstallation(self.installation_id)
        if self.status is not InstallationStatus.CUSTOMER_APPROVED:
            raise NotApproved(self.installation_id, self.status or InstallationStatus.SCHEDULED)
        return self.customer_id, self.device_type


@dataclass(kw_only=True)
class Rating(Aggregate):
    installation_id: str
    customer_id: str
    handyman_id: str | None
    device_type: DeviceType
    stars: int
    comment: str | None

    @classmethod
    def submit(
        cls,
        installation: KnownInstallation,
        *,
        stars: int,
        comment: str | None,
        at: datetime,
        rating_id: str | None = None,
    ) -> tuple[Rating, events.RatingSubmitted]:
        """Rate an approved installation. "At most one per installation" depends on the other ratings:
        the repository enforces it with a unique constraint."""
        if stars not in STARS:
            raise Invalid(f"stars must be 1 to 5, not {stars}")
        customer_id, device_type = installation.ensure_rateable()
        rating = cls(
            partner_id=installation.partner_id,
            id=rating_id or new_id("rat"),
            installation_id=installation.installation_id,
            customer_id=customer_id,
            handyman_id=installation.handyman_id,
            device_type=device_type,
            stars=stars,
            comment=comment,
        )
        data = events.RatingSubmittedData(
            rating_id=rating.id,
            installation_id=rating.installation_id,
            customer_id=customer_id,
            handyman_id=rating.handyman_id,
            device_type=device_type,
            stars=stars,
            comment=comment,
        )
        return rating, rating._record(events.RatingSubmitted, data, at)


@dataclass(kw_only=True)
class Survey(Aggregate):
    customer_id: str
    installation_id: str | None
    sent_at: datetime
    nps_score: int | None = None
    comment: str | None = None
    answered_at: datetime | None = None

    @classmethod
    def send(
        cls,
        partner_id: str,
        *,
        customer_id: str,
        installation_id: str | None,
        at: datetime,
        survey_id: str | None = None,
    ) -> tuple[Survey, events.SurveySent]:
        survey = cls(
            partner_id=partner_id,
            id=survey_id or new_id("svy"),
            customer_id=customer_id,
            installation_id=installation_id,
            sent_at=at,
        )
        data = events.SurveySentData(
            survey_id=survey.id, customer_id=customer_id, installation_id=installation_id
        )
        return survey, survey._record(events.SurveySent, data, at)

    def answer(self, nps_score: int, comment: str | None, at: datetime) -> events.SurveyAnswered:
        if self.answered_at is not None:
            raise AlreadyAnswered(self.id)
        if nps_score not in NPS_SCORES:
            raise Invalid(f"nps_score must be 0 to 10, not {nps_score}")
        self.nps_score, self.comment, self.answered_at = nps_score, comment, at
        data = events.SurveyAnsweredData(survey_id=self.id, nps_score=nps_score, comment=comment)
        return self._record(events.SurveyAnswered, data, at)


@dataclass(kw_only=True)
class Issue(Aggregate):
    customer_id: str
    installation_id: str | None
    summary: str
    reported_at: datetime
    resolved_at: datetime | None = None

    @classmethod
    def report(
        cls,
        partner_id: str,
        *,
        customer_id: str,
        installation_id: str | None,
        summary: str,
        at: datetime,
        issue_id: str | None = None,
    ) -> tuple[Issue, events.IssueReported]:
        issue = cls(
            partner_id=partner_id,
            id=issue_id or new_id("iss"),
            customer_id=customer_id,
            installation_id=installation_id,
            summary=summary,
            reported_at=at,
        )
        data = events.IssueReportedData(
            issue_id=issue.id, customer_id=customer_id, installation_id=installation_id, summary=summary
        )
        return issue, issue._record(events.IssueReported, data, at)

    def resolve(self, at: datetime) -> events.IssueResolved:
        if self.resolved_at is not None:
            raise AlreadyResolved(self.id)
        self.resolved_at = at
        return self._record(events.IssueResolved, events.IssueResolvedData(issue_id=self.id), at)
