"""The read API: the partner's dashboard, and the projection's state for operators."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from heyzack_shared.auth import CurrentCaller, Operator
from heyzack_shared.errors import Unavailable
from heyzack_shared.http import error_response
from kpi_projector import queries, ranges, reports
from kpi_projector.exports import FORMATS, content_disposition, filename
from kpi_projector.lag import EndOffsets
from kpi_projector.live import PartnerChanges
from kpi_projector.projection_state import ProjectionState, projection_state
from kpi_projector.projections.vocabulary import PARTNER_CREDITS
from kpi_projector.read_models import ReadModels
from kpi_projector.report_models import ReportQuery, ReportTab
from kpi_projector.reports import REPORT_TABS

router = APIRouter()


async def _read_models(request: Request) -> ReadModels:
    read_models: ReadModels = request.app.state.read_models
    return read_models


async def _business_zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.business_zone
    return zone


async def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", _utc_now)
    return clock


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _low_stock_threshold(request: Request) -> int:
    threshold: int = request.app.state.low_stock_threshold
    return threshold


async def _partner_changes(request: Request) -> PartnerChanges:
    """The live-update relay, once it listens (a stream must not say `ready` while told nothing); 503 when
    it does not within a few seconds."""
    changes: PartnerChanges = request.app.state.partner_changes
    if not await changes.wait_subscribed():
        raise Unavailable("live updates are unavailable right now; the figures can still be read")
    return changes


async def _end_offsets(request: Request) -> EndOffsets:
    end_offsets: EndOffsets = request.app.state.end_offsets
    return end_offsets


ReadModelsDep = Annotated[ReadModels, Depends(_read_models)]
BusinessZone = Annotated[ZoneInfo, Depends(_business_zone)]
EndOffsetsDep = Annotated[EndOffsets, Depends(_end_offsets)]
Clock = Annotated[Callable[[], datetime], Depends(_clock)]
LowStockThreshold = Annotated[int, Depends(_low_stock_threshold)]
PartnerChangesDep = Annotated[PartnerChanges, Depends(_partner_changes)]


@router.get("/v1/dashboard", response_model=queries.Dashboard, tags=["dashboard"])
async def get_dashboard(
    caller: CurrentCaller, read_models: ReadModelsDep, zone: BusinessZone, clock: Clock
) -> queries.Dashboard:
    """The seven KPI cards of the caller's partner; the revenue card is of the current business month.
    `rebuilding` says when the figures are not whole yet (the projector is rebuilding them)."""
    now = clock()
    partner_id = caller.partner_id
    (counters, partner), state = await asyncio.gather(
        read_models.dashboard_figures(
            partner_id, PARTNER_CREDITS, partner_id, queries.partner_fields(now, zone)
        ),
        read_models.rebuild_state(),
    )
    return queries.dashboard(
        partner_id, counters, partner=partner, now=now, zone=zone, rebuilding=state.rebuilding
    )


class Changed(BaseModel):
    applied_at: str
    """When the projector applied the change (UTC): read the dashboard or report again to see it."""


@router.get(
    "/v1/changes",
    response_class=EventSourceResponse,
    tags=["dashboard"],
    responses={503: {"description": "live updates are unavailable right now; poll the figures instead"}},
)
async def stream_changes(caller: CurrentCaller, changes: PartnerChangesDep) -> AsyncIterator[ServerSentEvent]:
    """Server-Sent Events telling the caller when its partner's figures changed: `ready` once listening,
    then `changed` after each change (a burst is told once to a slow reader), and a `: ping` comment every
    15 s of quiet. Figures themselves are read through the other endpoints. The stream ends when the
    token expires (reconnect with a fresh one)."""
    with changes.listen(caller.partner_id) as listener:
        yield ServerSentEvent(event="ready", data={"listening": True}, retry=2000)
        while (left := caller.expires_at - time.time()) > 0:
            try:
                applied_at = await asyncio.wait_for(listener.next_change(), left)
            except TimeoutError:
                return
            yield ServerSentEvent(event="changed", data=Changed(applied_at=applied_at))


RangeParameter = Annotated[
    str,
    Query(
        alias="range",
        description=f"one of {', '.join(ranges.PRESETS)}; `custom` takes `start` and `end`",
    ),
]
DateParameter = Annotated[str | None, Query(description="inclusive date YYYY-MM-DD, for range=custom")]


def report_range(
    preset: str | None, start: str | None, end: str | None, now: datetime, zone: ZoneInfo
) -> ranges.DateRange:
    """The range of a report request at `now` (today is the business date of `now`); 422 when bad."""
    return ranges.resolve(preset, start, end, now.astimezone(zone).date())


@router.get("/v1/reports", response_model=reports.ReportTabs, tags=["reports"])
async def get_report_tabs(_: CurrentCaller) -> reports.ReportTabs:
    """The report tabs, in the order the portal shows them: each one's name (the `{tab}` of
    `GET /v1/reports/{tab}` and its export), label and the charts drawn from its report."""
    return reports.report_tabs()


TabParameter = Annotated[
    str, Path(description="a tab of GET /v1/reports", json_schema_extra={"enum": list(REPORT_TABS)})
]


async def _report_tab(tab: TabParameter, _: CurrentCaller) -> ReportTab:
    """The tab of the path, once the caller is known (401 first, then 404 for a tab that does not exist)."""
    return reports.report_tab(tab)


async def _report_query(
    caller: CurrentCaller,
    zone: BusinessZone,
    clock: Clock,
    low_stock_threshold: LowStockThreshold,
    preset: RangeParameter = ranges.DEFAULT_PRESET,
    start: DateParameter = None,
    end: DateParameter = None,
) -> ReportQuery:
    """The caller's partner's query over the range of the request (422 when bad), at the clock's now."""
    now = clock()
    chosen = report_range(preset, start, end, now, zone)
    return ReportQuery(caller.partner_id, chosen, now, zone, low_stock_threshold)


ReportTabDep = Annotated[ReportTab, Depends(_report_tab)]
ReportQueryDep = Annotated[ReportQuery, Depends(_report_query)]


@router.get(
    "/v1/reports/{tab}",
    response_model=reports.Report,
    tags=["reports"],
    responses={404: error_response("unknown tab"), 422: error_response("bad range")},
)
async def get_report(
    report_tab: ReportTabDep, query: ReportQueryDep, read_models: ReadModelsDep
) -> BaseModel:
    """One tab of the caller's partner's reports over a date range, each figure also for the previous period
    of equal length; days are business days (the response names the time zone). The tabs are listed by
    `GET /v1/reports`. `rebuilding` says when the figures are not whole yet."""
    report, state = await asyncio.gather(report_tab.read(read_models, query), read_models.rebuild_state())
    return report.model_copy(update={"rebuilding": state.rebuilding})


ExportFormat = Annotated[Literal["csv", "xlsx", "pdf"], Query(alias="format", description="the file type")]


@router.get(
    "/v1/reports/{tab}/export",
    tags=["reports"],
    response_class=Response,
    responses={
        200: {
            "description": "the report as a file download",
            "content": {fmt.media_type: {} for fmt in FORMATS.values()},
        },
        404: error_response("unknown tab"),
        422: error_response("bad range or format"),
    },
)
async def export_report(
    report_tab: ReportTabDep,
    query: ReportQueryDep,
    read_models: ReadModelsDep,
    file_format: ExportFormat,
) -> Response:
    """The same report as `GET /v1/reports/{tab}`, from the same snapshot, as a CSV, Excel or PDF download."""
    snapshot = (await report_tab.read(read_models, query)).model_dump(mode="json")
    export = FORMATS[file_format]
    return Response(
        export.render(snapshot, query.partner_id),
        media_type=export.media_type,
        headers={"Content-Disposition": content_disposition(filename(snapshot, file_format))},
    )


@router.get(
    "/v1/ops/projection",
    response_model=ProjectionState,
    tags=["ops"],
    responses={403: error_response("the token lacks the `ops` role")},
)
async def get_projection(
    _: Operator, read_models: ReadModelsDep, end_offsets: EndOffsetsDep
) -> ProjectionState:
    """The live generation, where its consumer stands on every partition, and how fresh it is."""
    return await projection_state(read_models, end_offsets)
