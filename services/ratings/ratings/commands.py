"""What a caller asks the service to do, already validated and scoped to the caller's partner."""

from __future__ import annotations

from dataclasses import dataclass

from heyzack_shared.idempotency import IdempotencyKey


@dataclass(frozen=True, kw_only=True)
class SubmitRating:
    partner_id: str
    installation_id: str
    stars: int
    comment: str | None = None
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class SendSurvey:
    partner_id: str
    customer_id: str
    installation_id: str | None = None
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class AnswerSurvey:
    partner_id: str
    survey_id: str
    nps_score: int
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportIssue:
    partner_id: str
    customer_id: str
    summary: str
    installation_id: str | None = None
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveIssue:
    partner_id: str
    issue_id: str
